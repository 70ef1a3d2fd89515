"""Auto Scaling scheduled actions: list a group's, put one, delete one (already gone is fine, as LISA takes it)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.schedules.actions import ScheduledAction, is_model_action


def _gone(error: ClientError) -> bool:
    """LISA reads a ValidationError from DeleteScheduledAction as "not found (may already be deleted)"."""
    return str(error.response.get("Error", {}).get("Code")) == "ValidationError"


class ScheduledActions:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def of_group(self, group: str) -> list[ScheduledAction]:
        paginator = self._clients.autoscaling().get_paginator("describe_scheduled_actions")
        with self._clients.errors("autoscaling:DescribeScheduledActions", f"Auto Scaling group {group}"):
            return [
                ScheduledAction.from_response(raw)
                for page in paginator.paginate(AutoScalingGroupName=group)
                for raw in page.get("ScheduledUpdateGroupActions", ())
            ]

    def of_model(self, group: str, model_id: str) -> list[ScheduledAction]:
        """The group's actions named as LISA names a model's."""
        return [action for action in self.of_group(group) if is_model_action(action.name, model_id)]

    def put(self, group: str, action: ScheduledAction) -> None:
        with self._clients.errors("autoscaling:PutScheduledUpdateGroupAction", f"Auto Scaling group {group}"):
            self._clients.autoscaling().put_scheduled_update_group_action(**action.put_arguments(group))

    def delete(self, group: str, name: str) -> None:
        client = self._clients.autoscaling()
        with self._clients.errors("autoscaling:DeleteScheduledAction", f"Auto Scaling group {group}"):
            try:
                client.delete_scheduled_action(AutoScalingGroupName=group, ScheduledActionName=name)
            except ClientError as error:
                if not _gone(error):
                    raise
