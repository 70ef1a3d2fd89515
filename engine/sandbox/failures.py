"""What the sandbox's faults leave behind in AWS, for the root-cause collection to find (engine.jobs.root_cause).

* A failing rollout (`Faults.fail_rollout`) stops each task it tries to start, as ECS does when the model
  container exits: a STOPPED task started by the deployment (stoppedReason, stopCode, the container's exit code),
  and the container's lines in its CloudWatch Logs stream `<prefix>/<container>/<task id>` (from the task
  definition's awslogs configuration; nothing is written when the log group does not exist).
* A failing capacity (`Faults.fail_capacity`) leaves the group's scaling activities (an unhealthy instance
  terminated, the launch of its replacement Failed for want of capacity) and its instances' target health
  (`unhealthy`, `Target.FailedHealthChecks`; `initial` while they boot).

moto keeps stopped tasks only if something puts them in its backend, records no scaling activities at all
(DescribeScalingActivities answers an empty list) and reports every registered instance healthy: the simulator
adds them through the functions here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
from moto.logs.models import LogsBackend

STOPPED_REASON: Final = "Essential container in task exited"
STOP_CODE: Final = "EssentialContainerExited"
EXIT_CODE: Final = 1
UNHEALTHY: Final = ("unhealthy", "Target.FailedHealthChecks", "Health checks failed with these codes: [503]")
BOOTING: Final = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
MAX_ACTIVITIES: Final = 100
"""Activities kept per group (AWS keeps six weeks of them)."""


def container_log_lines(image: str, model_path: str) -> list[str]:
    """What a model server that cannot start writes before it exits."""
    return [
        f"INFO: starting the model server ({image})",
        f"INFO: loading the model weights from {model_path}",
        "INFO: weights loaded in 41.7 s; allocating the KV cache",
        "ERROR: engine failed to start: CUDA out of memory. Tried to allocate 2.00 GiB "
        "(GPU 0; 22.19 GiB total capacity; 21.03 GiB already allocated)",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
    ]


def stop_failed_task(
    ecs: EC2ContainerServiceBackend, logs: LogsBackend | None, service: Service, deployment: Mapping[str, Any]
) -> Task | None:
    """A task of `deployment` that started and stopped because its essential container exited, as DescribeTasks
    shows it, with its container's log lines. None when the service's cluster is gone."""
    cluster = ecs.clusters.get(service.cluster_name)
    if cluster is None:
        return None
    definition = ecs.describe_task_definition(str(deployment.get("taskDefinition") or service.task_definition))
    task = Task(
        cluster,
        definition,
        None,
        None,
        ecs,
        f"service:{service.name}",
        launch_type="EC2",
        started_by=str(deployment.get("id", "")),
    )
    now = utcnow()
    task.status = "STOPPED"  # moto's managed state: lastStatus
    task.desired_status = "STOPPED"
    task.stopped_reason = STOPPED_REASON
    for name, value in (("stop_code", STOP_CODE), ("started_at", now), ("stopping_at", now), ("stopped_at", now)):
        setattr(task, name, value)
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = EXIT_CODE
        container.health_status = "UNHEALTHY"
    ecs.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    if logs is not None and definition.container_definitions:
        _write_log(logs, definition.container_definitions[0], task.id)
    return task


def _write_log(logs: LogsBackend, container: Mapping[str, Any], task_id: str) -> None:
    options: Mapping[str, Any] = (container.get("logConfiguration") or {}).get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not group or not prefix or group not in logs.groups:
        return  # no awslogs configuration, or its group was deleted: there is nothing to write to
    stream = f"{prefix}/{container.get('name')}/{task_id}"
    logs.create_log_stream(group, stream)
    environment = {e.get("name"): e.get("value") for e in container.get("environment") or ()}
    lines = container_log_lines(str(container.get("image", "")), str(environment.get("LOCAL_MODEL_PATH", "")))
    start = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": start + i, "message": line} for i, line in enumerate(lines)])


@dataclass
class ScalingActivities:
    """The scaling activities the simulator plays, per group, newest first (DescribeScalingActivities' order)."""

    by_group: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, group: str, description: str, cause: str, *, status: str, message: str | None = None) -> None:
        now = utcnow()
        activity: dict[str, Any] = {
            "ActivityId": str(uuid.uuid4()),
            "AutoScalingGroupName": group,
            "Description": description,
            "Cause": cause,
            "StartTime": now,
            "EndTime": now,
            "StatusCode": status,
            "Progress": 100,
            "Details": "{}",
        }
        if message:
            activity["StatusMessage"] = message
        self.by_group[group] = [activity, *self.by_group.get(group, [])][:MAX_ACTIVITIES]

    def replaced_unhealthy(self, group: str, instance_id: str, instance_type: str, zone: str) -> None:
        """An instance failed its ELB health check and was terminated; launching its replacement failed once."""
        stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
        self.add(
            group,
            f"Terminating EC2 instance: {instance_id}",
            f"At {stamp} an instance was taken out of service in response to an ELB system health check failure.",
            status="Successful",
        )
        self.add(
            group,
            "Launching a new EC2 instance.  Status Reason: Could not launch On-Demand Instances. "
            f"InsufficientInstanceCapacity - We currently do not have sufficient {instance_type} capacity in the "
            f"Availability Zone you requested ({zone}). Launching EC2 instance failed.",
            f"At {stamp} an instance was started in response to a difference between desired and actual capacity, "
            "increasing the capacity from 0 to 1.",
            status="Failed",
            message=f"We currently do not have sufficient {instance_type} capacity in the Availability Zone you "
            f"requested ({zone}). Launching EC2 instance failed.",
        )

    def page(self, group: str | None, max_records: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of DescribeScalingActivities: the group's (or every group's) activities after `token`."""
        if group is not None:
            activities = list(self.by_group.get(group, []))
        else:
            activities = sorted(
                (a for items in self.by_group.values() for a in items), key=lambda a: a["StartTime"], reverse=True
            )
        start = int(token) if token and token.isdigit() else 0
        end = start + max(1, max_records)
        return activities[start:end], (str(end) if end < len(activities) else None)
