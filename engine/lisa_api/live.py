"""What AWS says while LISA runs a change, for a follower whose credentials can read it: the model's ECS service
(its deployments, rollout state and service events) and its Auto Scaling group, found as the inventory finds them
(the record's stack, cluster and group).

LISA's UpdateModel does not roll back a failed ECS rollout (`handle_poll_ecs_deployment` records
`ecs_polling_error` and the model goes back to its status): the follower is told so, to report it as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from engine.aws.autoscaling import ScalingGroup
from engine.aws.ecs import Deployment, EcsService
from engine.aws.inventory import Inventory, LiveState
from engine.errors import LisaDesktopError, ModelNotFound
from engine.jobs.events import Source

CLOCK_SKEW: Final = timedelta(minutes=1)
"""How far a deployment's creation may seem to precede the change (this machine's clock against AWS's)."""
NOT_ROLLED_BACK: Final = (
    "LISA does not roll it back: the service keeps the new task definition while its earlier deployment goes on "
    "serving, and LISA put the model's status back"
)


@dataclass(frozen=True)
class Line:
    """One thing to tell: `step` names where it comes from (ecs, capacity, execution)."""

    step: str
    message: str
    source: Source = Source.ENGINE


@dataclass(frozen=True)
class Observation:
    lines: tuple[Line, ...] = ()
    failure: str | None = None
    """Why the change failed, as AWS shows it (LISA's own status may not say it)."""


class Watcher(Protocol):
    """Something read beside `GET /models/{id}` at each poll of a follower."""

    def begin(self) -> None:
        """Called once, before the change is sent: what is there before it."""

    def observe(self) -> Observation:
        """What is new since the last call."""

    def settled(self) -> bool:
        """Whether it has told all it will (the follower may poll a little longer for it)."""


@dataclass
class LiveWatch:
    """The ECS service and Auto Scaling group of one LISA-hosted model, read at each poll."""

    inventory: Inventory
    model_id: str
    _baseline: str | None = None
    """The id of the service's PRIMARY deployment before the change."""
    _since: datetime = field(default_factory=lambda: datetime.now(UTC))
    _said: dict[str, str] = field(default_factory=dict)
    _events_seen: set[str] = field(default_factory=set)
    _failure: str | None = None
    _known: bool = False
    """Whether the deployment before the change was read."""

    def begin(self) -> None:
        self._since = datetime.now(UTC)
        try:
            live = self._live()
        except LisaDesktopError:
            return  # then only a deployment made after now is the change's
        primary = live.service.primary_deployment if live is not None and live.service is not None else None
        self._baseline = primary.id if primary is not None else None
        self._known = True

    def settled(self) -> bool:
        return True

    def observe(self) -> Observation:
        try:
            live = self._live()
        except LisaDesktopError as error:
            return Observation(tuple(self._changed("error", Line("ecs", f"live state not read: {error}"))))
        if live is None:
            return Observation()
        lines: list[Line] = []
        if live.service is not None:
            lines += self._service_lines(live.service)
        if live.scaling_group is not None:
            lines += self._changed("group", Line("capacity", _capacity(live.scaling_group)))
        if live.live_error and live.service is None:
            lines += self._changed("error", Line("ecs", f"live state incomplete: {live.live_error}"))
        return Observation(tuple(lines), self._failure)

    def _live(self) -> LiveState | None:
        try:
            view = self.inventory.get_model(self.model_id)
        except ModelNotFound:
            return None
        return view.live

    def _service_lines(self, service: EcsService) -> list[Line]:
        lines: list[Line] = []
        for event in service.events_since(self._since):
            if event.id not in self._events_seen:
                self._events_seen.add(event.id)
                lines.append(Line("ecs", event.message, Source.ECS))
        primary = service.primary_deployment
        if primary is None or primary.id == self._baseline:
            return lines
        made = primary.created_at
        if not self._known and (made is None or made < self._since - CLOCK_SKEW):
            return lines
        lines += self._changed("rollout", Line("ecs", _rollout(primary)))
        if primary.failed and self._failure is None:
            self._failure = (
                f"the ECS rollout of {self.model_id} failed: deployment {primary.id} (task definition revision "
                f"{primary.revision}) is FAILED ({primary.rollout_state_reason or 'circuit breaker'}); "
                + NOT_ROLLED_BACK
            )
        return lines

    def _changed(self, key: str, line: Line) -> list[Line]:
        if self._said.get(key) == line.message:
            return []
        self._said[key] = line.message
        return [line]


def _rollout(deployment: Deployment) -> str:
    failed = f", {deployment.failed_tasks} failed" if deployment.failed_tasks else ""
    return (
        f"rollout {deployment.rollout_state or '?'} of revision {deployment.revision}: {deployment.running_count}/"
        f"{deployment.desired_count} tasks running, {deployment.pending_count} pending{failed}"
    )


def _capacity(group: ScalingGroup) -> str:
    return (
        f"Auto Scaling group {group.name}: {group.healthy_in_service_count} of {group.desired_capacity} desired "
        f"instances healthy (min {group.min_size}, max {group.max_size})"
    )
