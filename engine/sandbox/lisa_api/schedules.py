"""LISA's schedule routes (`handler/schedule_handlers.py`, `scheduling/schedule_management.py`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from engine.sandbox.lisa_api.authorizer import Identity
from engine.sandbox.lisa_api.handlers import Answer, detail, parse_body_as, require_admin, user_has_group_access
from engine.sandbox.lisa_api.shapes import SchedulingConfig
from engine.sandbox.lisa_api.store import Tables, to_item
from engine.schedules.actions import action_arn, actions_for, arn_parts, baseline_capacity, is_model_action
from engine.schedules.record import parse_schedule, stored_scheduling
from engine.schedules.timing import wall_now, within_window

UPDATE_DENIED: Final = "User does not have permission to update model schedules"
DELETE_DENIED: Final = "User does not have permission to delete model schedules"
SCHEDULE: Final[TypeAdapter[Any]] = TypeAdapter(SchedulingConfig)


@dataclass
class ScheduleRoutes:
    """Schedule changes are made at once in the request, as LISA's handlers call its schedule management
    directly (no state machine)."""

    tables: Tables
    autoscaling: Any
    region: str
    account_id: str

    def _model(self, identity: Identity, model_id: str) -> dict[str, Any]:
        """`get_model_and_validate_access`."""
        item = self.tables.get(model_id)
        if item is None:
            raise detail(404, f"Model {model_id} not found")
        allowed = (item.get("model_config") or {}).get("allowedGroups") or []
        if not identity.is_admin and not user_has_group_access(identity.groups, allowed):
            raise detail(500, f"Access denied to access model {model_id}")
        return item

    @staticmethod
    def _scheduling(item: dict[str, Any]) -> dict[str, Any]:
        scaling = (item.get("model_config") or {}).get("autoScalingConfig") or {}
        return dict(scaling.get("scheduling") or {})

    def get_schedule(self, identity: Identity, model_id: str) -> Answer:
        scheduling = self._scheduling(self._model(identity, model_id))
        return 200, {
            "modelId": model_id,
            "scheduling": scheduling,
            "nextScheduledAction": scheduling.get("nextScheduledAction"),
        }

    def schedule_status(self, identity: Identity, model_id: str) -> Answer:
        scheduling = self._scheduling(self._model(identity, model_id))
        configured = bool(scheduling.get("scheduleConfigured", False))
        failed = bool(scheduling.get("lastScheduleFailed", False))
        return 200, {
            "modelId": model_id,
            "scheduleEnabled": scheduling.get("scheduleEnabled", False),
            "scheduleConfigured": configured,
            "lastScheduleFailed": failed,
            "scheduleStatus": "DISABLED" if not configured else "FAILED" if failed else "ACTIVE",
            "scheduleType": scheduling.get("scheduleType"),
            "timezone": scheduling.get("timezone", "UTC"),
            "nextScheduledAction": scheduling.get("nextScheduledAction"),
            "lastScheduleUpdate": scheduling.get("lastScheduleUpdate"),
            "lastScheduleFailure": scheduling.get("lastScheduleFailure"),
        }

    def _changeable(self, model_id: str) -> dict[str, Any]:
        """`get_model_and_validate_status`: the model exists and is InService or Stopped."""
        item = self.tables.get(model_id)
        if item is None:
            raise detail(404, f"Model {model_id} not found")
        status = item.get("model_status")
        if status not in ("InService", "Stopped"):
            raise detail(
                400,
                f"Cannot perform operation when model is in '{status}' state, "
                "model must be in one of: 'InService', 'Stopped'.",
            )
        return item

    def update_schedule(self, identity: Identity, model_id: str, raw: bytes) -> Answer:
        request = parse_body_as(SCHEDULE, raw)
        require_admin(identity, UPDATE_DENIED)
        item = self._changeable(model_id)
        group = item.get("auto_scaling_group")
        if not group:
            raise detail(400, "Model does not have an Auto Scaling Group configured")
        try:
            schedule = parse_schedule(request.model_dump(mode="json"))
            self._delete_actions(self._scheduling(item).get("scheduledActionArns") or [])
            arns = []
            for action in actions_for(model_id, schedule, baseline_capacity(item["model_config"])):
                self.autoscaling.put_scheduled_update_group_action(**action.put_arguments(group))
                arns.append(action_arn(self.region, self.account_id, group, action.name))
            now = wall_now()
            self._scale_now(group, schedule, item["model_config"], now)
            self._write(item, stored_scheduling(schedule, arns, now))
        except Exception as error:
            message = f"Failed to update schedule: {error}"
            raise detail(400, f"Failed to create/update schedule: {message}") from None
        return 200, {"message": "Schedule updated successfully", "modelId": model_id, "scheduleEnabled": True}

    def delete_schedule(self, identity: Identity, model_id: str) -> Answer:
        require_admin(identity, DELETE_DENIED)
        item = self._changeable(model_id)
        try:
            self._delete_actions(self._scheduling(item).get("scheduledActionArns") or [])
            group = item.get("auto_scaling_group")
            if group:  # the double clean-up by name, as LISA's
                pages = self.autoscaling.get_paginator("describe_scheduled_actions").paginate(
                    AutoScalingGroupName=group
                )
                for page in pages:
                    for action in page.get("ScheduledUpdateGroupActions", ()):
                        if is_model_action(action["ScheduledActionName"], model_id):
                            self._delete_action(group, action["ScheduledActionName"])
            self._write(item, None)
        except Exception as error:
            raise detail(400, f"Failed to delete schedule: Failed to delete schedule: {error}") from None
        return 200, {"message": "Schedule deleted successfully", "modelId": model_id, "scheduleEnabled": False}

    def _delete_actions(self, arns: list[str]) -> None:
        for arn in arns:
            parts = arn_parts(str(arn))
            if parts is not None:
                self._delete_action(*parts)

    def _delete_action(self, group: str, name: str) -> None:
        with contextlib.suppress(ClientError):  # already gone
            self.autoscaling.delete_scheduled_action(AutoScalingGroupName=group, ScheduledActionName=name)

    def _scale_now(self, group: str, schedule: Any, model_config: dict[str, Any], now: datetime) -> None:
        """LISA's immediate scaling: outside today's window the group goes to 0/0/0 at once; inside it, a group at 0
        goes back to the baseline capacity."""
        found = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
        if not found:
            return
        if not within_window(schedule, now):
            sizes = (0, 0, 0)
        elif found[0]["DesiredCapacity"] == 0:
            baseline = baseline_capacity(model_config)
            sizes = (baseline.min_size, baseline.max_size, baseline.desired)
        else:
            return
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=group, MinSize=sizes[0], MaxSize=sizes[1], DesiredCapacity=sizes[2]
        )

    def _write(self, item: dict[str, Any], scheduling: dict[str, Any] | None) -> None:
        """`update_model_schedule_record`: `model_config.autoScalingConfig.scheduling`, or a new autoScalingConfig
        holding only it when the record has none."""
        has_scaling = isinstance((item.get("model_config") or {}).get("autoScalingConfig"), dict)
        if has_scaling:
            expression, names = (
                "SET #c.#a.#s = :v",
                {"#c": "model_config", "#a": "autoScalingConfig", "#s": "scheduling"},
            )
            value: Any = scheduling
        else:
            expression, names = "SET #c.#a = :v", {"#c": "model_config", "#a": "autoScalingConfig"}
            value = {"scheduling": scheduling}
        self.tables.dynamodb.update_item(
            TableName=self.tables.models,
            Key={"model_id": {"S": item["model_id"]}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":v": to_item({"v": value})["v"]},
        )
