"""A model view as the row the window draws (`ModelRow`): plain, JSON-safe data, its configuration and live facts
as JSON text (encoded here, on the refresh's worker thread, one short call per model). The configuration's secret
fields are masked here, at the source: what the window shows, copies, caches or starts an update from never holds
them; the row keeps them apart, in memory, for Reveal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from engine.aws.ecs import Deployment, EcsService
from engine.aws.inventory import LiveState, ModelView
from engine.aws.models_table import HEARTBEAT_ATTRIBUTE, HOLDER_ATTRIBUTE, UnreadableRecord
from engine.model_row import ModelRow, json_text
from engine.schedules.actions import day_schedules
from engine.schedules.record import schedule_of
from engine.schema.record import ModelRecord, hosting_type_of
from engine.secrets import masked, secrets_of

RECENT_EVENTS: Final = 10


def row_of(view: ModelView, default_model: str | None = None) -> ModelRow:
    """The row of `view`; `default_model`: LISA's default model, as the listing read it."""
    record, live = view.record, view.live
    config = record.config
    shape = record.to_api()
    secrets = secrets_of(shape)
    minimum, desired, maximum = _capacity(config, live)
    held_by, heartbeat = _hold(record)
    group = live.scaling_group if live is not None else None
    return ModelRow(
        model_id=record.model_id,
        model_name=str(config.get("modelName") or ""),
        hosting=record.hosting_type.value,
        model_type=str(config.get("modelType") or ""),
        status=record.model_status.value,
        instance_type=_text(config.get("instanceType")),
        min_capacity=minimum,
        desired_capacity=desired,
        max_capacity=maximum,
        running_tasks=live.running_count if live is not None else None,
        healthy_instances=group.healthy_in_service_count if group is not None else None,
        streaming=config.get("streaming") is True,
        features=_feature_names(config.get("features")),
        allowed_groups=tuple(str(g) for g in config.get("allowedGroups") or () if g is not None),
        last_modified=record.last_modified_date,
        failure_reason=record.failure_reason,
        live_error=view.live_error or view.litellm_error,
        config_json=json_text(masked(shape) if secrets else shape),
        secrets=secrets,
        live_json=json_text(_live_json(live)) if live is not None else None,
        litellm_registered=view.litellm_registered,
        held_by=held_by,
        heartbeat=heartbeat,
        context_window=record.context_window,
        is_default=record.model_id == default_model,
        schedule_json=_schedule_json(record),
    )


def unreadable_row(unreadable: UnreadableRecord) -> ModelRow:
    """The row of an item this version cannot read: what can be told from it, its stored status as text, and the
    item itself as its configuration (what Copy as JSON gives), its secret fields masked."""
    item = unreadable.item
    secrets = secrets_of(item)
    stored = item.get("model_config")
    config: Mapping[str, Any] = stored if isinstance(stored, Mapping) else {}
    return ModelRow(
        model_id=unreadable.model_id,
        model_name=str(config.get("modelName") or ""),
        hosting=hosting_type_of(config).value,
        model_type=str(config.get("modelType") or ""),
        status=unreadable.status_text,
        instance_type=_text(config.get("instanceType")),
        last_modified=_int(item.get("last_modified_date")),
        config_json=json_text(masked(item) if secrets else item),
        unreadable=unreadable.reason,
        secrets=secrets,
    )


def _schedule_json(record: ModelRecord) -> str | None:
    """The row's short form of the record's schedule (`ModelRow.schedule_json`); None without a readable one."""
    schedule = schedule_of(record)
    if schedule is None:
        return None
    windows = [[day, window.startTime, window.stopTime] for day, window in day_schedules(schedule)]
    return json_text({"timezone": schedule.timezone, "windows": windows})


def _hold(record: ModelRecord) -> tuple[str | None, int | None]:
    """Holder and heartbeat as `engine.jobs.lease.hold_of` reads them, from the record's unknown attributes
    (a dict lookup: `hold_of` dumps the whole record, too slow for thousands of rows)."""
    extra = record.model_extra or {}
    holder = extra.get(HOLDER_ATTRIBUTE)
    if not isinstance(holder, str) or not holder:
        return None, None
    beat = extra.get(HEARTBEAT_ATTRIBUTE, record.last_modified_date)
    return holder, int(beat) if isinstance(beat, int | float) else None


def _capacity(config: Mapping[str, Any], live: LiveState | None) -> tuple[int | None, int | None, int | None]:
    """The Auto Scaling group's sizes when it was read, else the configured bounds."""
    group = live.scaling_group if live is not None else None
    if group is not None:
        return group.min_size, group.desired_capacity, group.max_size
    scaling = config.get("autoScalingConfig")
    if not isinstance(scaling, Mapping):
        return None, None, None
    return _int(scaling.get("minCapacity")), _int(scaling.get("desiredCapacity")), _int(scaling.get("maxCapacity"))


def _live_json(live: LiveState) -> dict[str, Any]:
    data = live.to_json()
    data["pendingCount"] = live.pending_count
    data["liveError"] = live.live_error
    service = live.service
    if service is not None:
        data["deployments"] = [_deployment_json(d) for d in service.deployments]
        data["events"] = _recent_events(service)
    return data


def _deployment_json(deployment: Deployment) -> dict[str, Any]:
    return {
        "status": deployment.status,
        "revision": deployment.revision,
        "rolloutState": deployment.rollout_state,
        "rolloutStateReason": deployment.rollout_state_reason,
        "desiredCount": deployment.desired_count,
        "runningCount": deployment.running_count,
        "pendingCount": deployment.pending_count,
        "failedTasks": deployment.failed_tasks,
        "updatedAt": _iso(deployment.updated_at),
    }


def _recent_events(service: EcsService) -> list[dict[str, Any]]:
    """The newest events first, as ECS lists them."""
    return [{"time": _iso(e.created_at), "message": e.message} for e in service.events[:RECENT_EVENTS]]


def _feature_names(features: Any) -> tuple[str, ...]:
    if not isinstance(features, list):
        return ()
    return tuple(str(f["name"]) for f in features if isinstance(f, Mapping) and f.get("name"))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
