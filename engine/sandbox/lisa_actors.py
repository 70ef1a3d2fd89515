"""LISA's own server-side writers, played by the sandbox so that the console is tested against them.

`StatusMonitor` is LISA's ScheduleMonitoring Lambda (`lambda/models/scheduling/schedule_monitoring.py`): on every
Auto Scaling "EC2 Instance Launch Successful" or "EC2 Instance Terminate Successful" event, a few seconds later, it
finds the model whose record names the group (a Scan of the models table, as LISA does), counts the group's
InService instances and writes `model_status` (InService when any runs, else Stopped), `lastStatusUpdate` and
`statusReason` with an unconditional UpdateItem — whatever job holds the model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from engine.sandbox.simulator import Simulator

log = logging.getLogger(__name__)

MONITOR_DELAY_S: Final = 2.0
"""How long after an instance event LISA's Lambda writes (EventBridge delivery and a cold start)."""


@dataclass
class StatusMonitor:
    simulator: Simulator
    dynamodb: Any
    autoscaling: Any
    table_name: str
    delay_s: float = MONITOR_DELAY_S
    writes: list[tuple[str, str]] = field(default_factory=list)
    """(model id, status) of every write made, oldest first (for tests)."""

    def attach(self) -> None:
        self.simulator.instance_listeners.append(self._on_event)

    def _on_event(self, group_name: str, event: str) -> None:
        self.simulator.schedule(
            f"lisa status monitor: {event} in {group_name}", lambda: self._write(group_name), after=self.delay_s
        )

    def _write(self, group_name: str) -> bool:
        groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
        if not groups:
            return True
        in_service = sum(1 for i in groups[0].get("Instances", ()) if i.get("LifecycleState") == "InService")
        if in_service > 0:
            status, reason = "InService", f"Auto Scaling completed: ASG has {in_service} instances in service"
        else:
            status, reason = "Stopped", "Auto Scaling completed: ASG has no instances in service"
        found = self.dynamodb.scan(
            TableName=self.table_name,
            FilterExpression="auto_scaling_group = :asg_name",
            ExpressionAttributeValues={":asg_name": {"S": group_name}},
            ProjectionExpression="model_id",
        )["Items"]
        if not found:
            return True
        model_id = found[0]["model_id"]["S"]
        self.dynamodb.update_item(
            TableName=self.table_name,
            Key={"model_id": {"S": model_id}},
            UpdateExpression="SET model_status = :status, lastStatusUpdate = :timestamp, statusReason = :reason",
            ExpressionAttributeValues={
                ":status": {"S": status},
                ":timestamp": {"S": datetime.now(UTC).isoformat()},
                ":reason": {"S": reason},
            },
        )
        self.writes.append((model_id, status))
        log.info("sandbox: LISA's status monitor set %s to %s (%s)", model_id, status, reason)
        return True
