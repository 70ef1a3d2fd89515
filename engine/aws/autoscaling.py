"""EC2 Auto Scaling: a typed view of a group and its instances, batched reads, and checked updates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients, map_concurrently
from engine.aws.errors import error_code
from engine.errors import InvalidInput, Problem

DESCRIBE_GROUPS_MAX: Final = 100
"""DescribeAutoScalingGroups takes up to 100 names per call (with MaxRecords=100, one page answers them)."""

MAX_INSTANCE_WARMUP_S: Final = 3600
UNSUCCESSFUL_ACTIVITY: Final = frozenset({"Failed", "Cancelled"})


_INSTANCE_NOT_FOUND: Final = "Instance Id not found"
"""The start of Auto Scaling's refusal to terminate an instance that no group manages."""


@dataclass(frozen=True)
class ScalingInstance:
    instance_id: str
    lifecycle_state: str
    health_status: str
    instance_type: str | None = None
    availability_zone: str | None = None

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ScalingInstance:
        return cls(
            instance_id=str(raw.get("InstanceId", "")),
            lifecycle_state=str(raw.get("LifecycleState", "")),
            health_status=str(raw.get("HealthStatus", "")),
            instance_type=raw.get("InstanceType"),
            availability_zone=raw.get("AvailabilityZone"),
        )

    @property
    def is_healthy_in_service(self) -> bool:
        return self.lifecycle_state == "InService" and self.health_status == "Healthy"


@dataclass(frozen=True)
class ScalingGroup:
    name: str
    min_size: int
    max_size: int
    desired_capacity: int
    default_cooldown: int | None
    default_instance_warmup: int | None
    """None when AWS omits it (it is unset) — moto never returns it."""
    instances: tuple[ScalingInstance, ...] = ()
    target_group_arns: tuple[str, ...] = ()

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ScalingGroup:
        cooldown = raw.get("DefaultCooldown")
        warmup = raw.get("DefaultInstanceWarmup")
        return cls(
            name=str(raw.get("AutoScalingGroupName", "")),
            min_size=int(raw.get("MinSize", 0)),
            max_size=int(raw.get("MaxSize", 0)),
            desired_capacity=int(raw.get("DesiredCapacity", 0)),
            default_cooldown=int(cooldown) if cooldown is not None else None,
            default_instance_warmup=int(warmup) if warmup is not None else None,
            instances=tuple(ScalingInstance.from_response(i) for i in raw.get("Instances", ())),
            target_group_arns=tuple(str(arn) for arn in raw.get("TargetGroupARNs", ())),
        )

    @property
    def healthy_in_service_count(self) -> int:
        """Instances that are InService and Healthy (LISA's readiness count)."""
        return sum(1 for i in self.instances if i.is_healthy_in_service)

    @property
    def healthy_count(self) -> int:
        return self.healthy_in_service_count

    @property
    def is_stopped(self) -> bool:
        return self.min_size == 0 and self.max_size == 0 and self.desired_capacity == 0

    @property
    def reached_desired(self) -> bool:
        """As many healthy in-service instances as desired (desired 0 counts as reached)."""
        return self.healthy_in_service_count >= self.desired_capacity


@dataclass(frozen=True)
class ScalingActivity:
    """One of a group's scaling activities (launching or terminating an instance, ...)."""

    activity_id: str
    status_code: str
    """Successful, Failed, Cancelled, InProgress, WaitingForSpotInstanceId, ..."""
    description: str
    status_message: str | None
    cause: str | None
    start_time: datetime | None

    @classmethod
    def from_response(cls, raw: Mapping[str, Any]) -> ScalingActivity:
        return cls(
            activity_id=str(raw.get("ActivityId", "")),
            status_code=str(raw.get("StatusCode", "")),
            description=str(raw.get("Description", "")),
            status_message=raw.get("StatusMessage") or None,
            cause=raw.get("Cause") or None,
            start_time=raw.get("StartTime"),
        )

    @property
    def unsuccessful(self) -> bool:
        return self.status_code in UNSUCCESSFUL_ACTIVITY


def check_capacity(
    group: str,
    min_size: int,
    max_size: int,
    desired: int | None,
    *,
    given: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Problems of min/max/desired as AWS would see them after the update (`given` = the fields being set)."""
    problems: list[Problem] = []
    where = f"Auto Scaling group {group}"
    for name, value in (("minSize", min_size), ("maxSize", max_size), ("desiredCapacity", desired)):
        if value is not None and value < 0:
            problems.append(Problem(name, f"must be 0 or more (got {value})"))
    if problems:
        return problems
    if min_size > max_size:
        field = "minSize" if "minSize" in given else "maxSize"
        problems.append(Problem(field, f"minSize {min_size} must not exceed maxSize {max_size} of {where}"))
    if desired is not None:
        if desired > max_size:
            problems.append(Problem("desiredCapacity", f"desired {desired} exceeds maxSize {max_size} of {where}"))
        elif desired < min_size:
            problems.append(Problem("desiredCapacity", f"desired {desired} is below minSize {min_size} of {where}"))
    return problems


class AutoScalingGateway:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def describe(self, names: Iterable[str], *, max_workers: int = 8) -> dict[str, ScalingGroup]:
        """The named groups keyed by name (missing ones are absent): 100 names per call, the calls made
        concurrently (AWS takes 50 names by default, 100 with MaxRecords=100)."""
        wanted = list(dict.fromkeys(n for n in names if n))
        size = DESCRIBE_GROUPS_MAX
        batches = [wanted[start : start + size] for start in range(0, len(wanted), size)]

        def one_batch(batch: list[str]) -> list[ScalingGroup]:
            paginator = self._clients.autoscaling().get_paginator("describe_auto_scaling_groups")
            with self._clients.errors("autoscaling:DescribeAutoScalingGroups"):
                pages = paginator.paginate(
                    AutoScalingGroupNames=batch, PaginationConfig={"PageSize": DESCRIBE_GROUPS_MAX}
                )
                return [ScalingGroup.from_response(raw) for page in pages for raw in page.get("AutoScalingGroups", ())]

        groups: dict[str, ScalingGroup] = {}
        for found in map_concurrently(one_batch, batches, max_workers):
            groups.update((group.name, group) for group in found)
        return groups

    def describe_one(self, name: str) -> ScalingGroup | None:
        return self.describe([name]).get(name)

    def update(
        self,
        name: str,
        *,
        min_size: int | None = None,
        max_size: int | None = None,
        desired: int | None = None,
        cooldown: int | None = None,
        warmup: int | None = None,
        current: ScalingGroup | None = None,
    ) -> None:
        """UpdateAutoScalingGroup with only the given values.

        Refuses (InvalidInput, naming the field) a desired capacity outside [min, max] as it would be after the
        update, min > max, negative values and a warmup over 3600 s — before calling AWS, because moto accepts
        desired > max where AWS rejects it. When desired is set but min or max is not, the group is read
        first (or `current` is used). Setting min/max without desired lets AWS move desired into the range.
        """
        problems: list[Problem] = []
        if cooldown is not None and cooldown < 0:
            problems.append(Problem("defaultCooldown", f"must be 0 or more (got {cooldown})"))
        if warmup is not None and not 0 <= warmup <= MAX_INSTANCE_WARMUP_S:
            problems.append(Problem("defaultInstanceWarmup", f"must be between 0 and 3600 seconds (got {warmup})"))
        sizes = {"minSize": min_size, "maxSize": max_size, "desiredCapacity": desired}
        given = frozenset(field for field, value in sizes.items() if value is not None)
        if given:
            effective_min, effective_max = min_size, max_size
            if effective_min is None or effective_max is None:
                group = current if current is not None and current.name == name else self.describe_one(name)
                if group is None:
                    missing = Problem("autoScalingGroup", f"Auto Scaling group {name} does not exist")
                    raise InvalidInput([*problems, missing], f"update of Auto Scaling group {name}")
                effective_min = group.min_size if effective_min is None else effective_min
                effective_max = group.max_size if effective_max is None else effective_max
            problems.extend(check_capacity(name, effective_min, effective_max, desired, given=given))
        if problems:
            raise InvalidInput(problems, f"update of Auto Scaling group {name}")

        kwargs: dict[str, Any] = {}
        for key, value in (
            ("MinSize", min_size),
            ("MaxSize", max_size),
            ("DesiredCapacity", desired),
            ("DefaultCooldown", cooldown),
            ("DefaultInstanceWarmup", warmup),
        ):
            if value is not None:
                kwargs[key] = value
        if not kwargs:
            return
        with self._clients.errors("autoscaling:UpdateAutoScalingGroup", f"Auto Scaling group {name}"):
            self._clients.autoscaling().update_auto_scaling_group(AutoScalingGroupName=name, **kwargs)

    def terminate_and_decrement(self, instance_id: str) -> bool:
        """TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity: this instance goes, and the
        group's desired capacity drops by one (Auto Scaling does not choose which instance). False when no group
        manages the instance any more (Auto Scaling replaced it meanwhile): nothing was changed."""
        with self._clients.errors("autoscaling:TerminateInstanceInAutoScalingGroup", f"instance {instance_id}"):
            try:
                self._clients.autoscaling().terminate_instance_in_auto_scaling_group(
                    InstanceId=instance_id, ShouldDecrementDesiredCapacity=True
                )
            except ClientError as exc:
                if error_code(exc) == "ValidationError" and _INSTANCE_NOT_FOUND in str(exc):
                    return False
                raise
        return True

    def unsuccessful_activities(
        self, name: str, *, since: datetime | None = None, limit: int = 5, scan: int = 100
    ) -> list[ScalingActivity]:
        """The group's Failed or Cancelled activities, newest first, at most `limit`, among its latest `scan`
        activities (DescribeScalingActivities pages, newest first) started at or after `since`."""
        found: list[ScalingActivity] = []
        paginator = self._clients.autoscaling().get_paginator("describe_scaling_activities")
        with self._clients.errors("autoscaling:DescribeScalingActivities", f"Auto Scaling group {name}"):
            pages = paginator.paginate(AutoScalingGroupName=name, PaginationConfig={"MaxItems": scan})
            for page in pages:
                for raw in page.get("Activities", ()):
                    activity = ScalingActivity.from_response(raw)
                    if since is not None and activity.start_time is not None and activity.start_time < since:
                        return found
                    if activity.unsuccessful:
                        found.append(activity)
                        if len(found) >= limit:
                            return found
        return found
