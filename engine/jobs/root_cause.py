"""Why a rollout or a capacity wait failed, gathered from what AWS kept: the stopped tasks of the failed deployment
(stoppedReason, stopCode, container exit codes and reasons), the last lines of the container's CloudWatch Logs
stream, the Auto Scaling group's failed activities and the target group's unhealthy targets.

Every read is best effort: a source that cannot be read is noted in `RootCause.unread` and the others are still
read; collecting never raises, so the failure it explains is reported and rolled back as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final, TypeVar

from engine.aws import console
from engine.aws.autoscaling import ScalingActivity, ScalingGroup
from engine.aws.ecs import ServiceRef, StoppedTask
from engine.aws.elb import ElbGateway, TargetHealth
from engine.aws.logs import LAST_LINES, LogsGateway, container_stream
from engine.jobs.context import JobContext
from engine.jobs.events import JobEvent, StepState

DATA_KEY: Final = "rootCause"
"""The key of a failure event's data that holds `RootCause.to_data()`."""
MAX_TASKS: Final = 5
MAX_ACTIVITIES: Final = 5
MAX_TARGETS: Final = 3
SUMMARY_ITEMS: Final = 3
SUMMARY_LIMIT: Final = 480
ITEM_LIMIT: Final = 240
_ERROR_WORDS: Final = ("error", "exception", "fatal", "traceback", "killed", "failed")

_T = TypeVar("_T")


@dataclass(frozen=True)
class LogExcerpt:
    group: str
    stream: str
    lines: tuple[str, ...]

    @property
    def telling_line(self) -> str | None:
        """The last line that reads like an error, else the last non-blank one."""
        lines = [line.strip() for line in self.lines if line.strip()]
        errors = [line for line in lines if any(word in line.lower() for word in _ERROR_WORDS)]
        chosen = errors or lines
        return chosen[-1] if chosen else None


@dataclass(frozen=True)
class ConsoleLink:
    label: str
    url: str


@dataclass(frozen=True)
class RootCause:
    """What AWS says about a failure, in lines: `items` (stopped tasks, failed activities, unhealthy targets, one
    line each), the container's last log lines, the sources that could not be read, and where to look further."""

    items: tuple[str, ...] = ()
    log: LogExcerpt | None = None
    unread: tuple[str, ...] = ()
    links: tuple[ConsoleLink, ...] = ()
    arns: tuple[tuple[str, str], ...] = ()
    """(what, ARN) pairs to copy."""

    @property
    def found(self) -> bool:
        return bool(self.items or (self.log and self.log.lines))

    def lines(self) -> list[str]:
        """One line per finding, then one per unread source."""
        found = list(self.items)
        if self.log is not None:
            telling = self.log.telling_line
            found.append(f"container log: {_cut(telling, ITEM_LIMIT)}" if telling else "container log: no lines")
        return found + [f"not read: {note}" for note in self.unread]

    def summary(self) -> str:
        """One line: the first findings (or, when nothing was found, what could not be read)."""
        lines = self.lines()
        findings = [line for line in lines if not line.startswith("not read: ")] or lines
        return _cut("; ".join(findings[:SUMMARY_ITEMS]), SUMMARY_LIMIT) if findings else "nothing found"

    def to_data(self) -> dict[str, Any]:
        """JSON-safe, for an event's data (`DATA_KEY`)."""
        return {
            "items": list(self.items),
            "log": None
            if self.log is None
            else {"group": self.log.group, "stream": self.log.stream, "lines": list(self.log.lines)},
            "unread": list(self.unread),
            "links": [{"label": link.label, "url": link.url} for link in self.links],
            "arns": [{"label": label, "arn": arn} for label, arn in self.arns],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RootCause:
        log = data.get("log")
        return cls(
            items=tuple(str(item) for item in data.get("items") or ()),
            log=LogExcerpt(str(log["group"]), str(log["stream"]), tuple(str(line) for line in log.get("lines") or ()))
            if isinstance(log, Mapping)
            else None,
            unread=tuple(str(note) for note in data.get("unread") or ()),
            links=tuple(ConsoleLink(str(link["label"]), str(link["url"])) for link in data.get("links") or ()),
            arns=tuple((str(arn["label"]), str(arn["arn"])) for arn in data.get("arns") or ()),
        )


def last_root_cause(events: Iterable[JobEvent]) -> RootCause | None:
    """The root cause carried by the latest event that has one (None if none has)."""
    found: RootCause | None = None
    for event in events:
        data = event.data.get(DATA_KEY)
        if isinstance(data, Mapping):
            found = RootCause.from_data(data)
    return found


def report(ctx: JobContext, step: str, cause: RootCause) -> None:
    """One progress event per line of the root cause, the whole of it in each one's data."""
    for line in cause.lines():
        ctx.report(step, StepState.PROGRESS, f"root cause: {line}", rootCause=cause.to_data())


# -- describing what was found -------------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _task_text(task: StoppedTask) -> str:
    reason = task.stopped_reason or "no reason given"
    text = f"stopped: {reason}" + (f" ({task.stop_code})" if task.stop_code else "")
    for container in task.containers:
        code = "no exit code" if container.exit_code is None else f"exit code {container.exit_code}"
        text += f"; container {container.name} {code}" + (f": {container.reason}" if container.reason else "")
    return text


def task_lines(tasks: Sequence[StoppedTask]) -> list[str]:
    """`task 1a2b3c4d stopped: Essential container in task exited (EssentialContainerExited); container model
    exit code 1`; tasks that stopped alike are one line (`3 tasks, the latest 1a2b3c4d, stopped: …`)."""
    alike: dict[str, list[StoppedTask]] = {}
    for task in tasks:
        alike.setdefault(_task_text(task), []).append(task)
    lines = []
    for text, group in alike.items():
        who = f"task {group[0].id[:8]}" if len(group) == 1 else f"{len(group)} tasks, the latest {group[0].id[:8]},"
        lines.append(_cut(f"{who} {text}", ITEM_LIMIT))
    return lines


def activity_line(activity: ScalingActivity) -> str:
    """`Auto Scaling Failed: Launching a new EC2 instance – We currently do not have sufficient …`."""
    what = activity.description.split("Status Reason:", 1)[0].strip().rstrip(".")
    detail = activity.status_message or activity.cause
    return _cut(f"Auto Scaling {activity.status_code}: {what}" + (f" – {detail}" if detail else ""), ITEM_LIMIT)


def activity_lines(activities: Sequence[ScalingActivity]) -> list[str]:
    """One line per different activity, newest first (`(2 times)` when it repeated)."""
    counts: dict[str, int] = {}
    for activity in activities:
        line = activity_line(activity)
        counts[line] = counts.get(line, 0) + 1
    return [line if count == 1 else f"{line} ({count} times)" for line, count in counts.items()]


def target_line(target: TargetHealth) -> str:
    """`target i-0abc unhealthy: Target.FailedHealthChecks (Health checks failed with these codes: [502])`."""
    text = f"target {target.target_id} {target.state}"
    if target.reason:
        text += f": {target.reason}"
    if target.description:
        text += f" ({target.description})"
    return _cut(text, ITEM_LIMIT)


# -- collecting ----------------------------------------------------------------------------------------------------


class _Collector:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.region = ctx.aws.clients.region
        self.items: list[str] = []
        self.log: LogExcerpt | None = None
        self.unread: list[str] = []
        self.links: list[ConsoleLink] = []
        self.arns: list[tuple[str, str]] = []

    def read(self, source: str, read: Callable[[], _T]) -> _T | None:
        """`read()`, or None with `source` and the error noted (collecting must never hide the failure)."""
        try:
            return read()
        except Exception as error:
            self.unread.append(_cut(f"{source}: {error}", ITEM_LIMIT))
            return None

    def link(self, label: str, url: str, arn: str | None = None) -> None:
        self.links.append(ConsoleLink(label, url))
        if arn and arn.startswith("arn:"):
            self.arns.append((label, arn))

    def record_links(self, *, group_known: bool) -> None:
        """The model's stack (and its group, when the caller did not know it) from its record."""
        record = self.read("the model record", lambda: self.ctx.aws.models.get(self.ctx.model_id))
        if record is None:
            return
        if record.auto_scaling_group and not group_known:
            self.link("Auto Scaling group", console.auto_scaling_group_url(self.region, record.auto_scaling_group))
        stack = record.cloudformation_stack_arn
        if stack:
            region = console.region_of_arn(stack) or self.region
            self.link("CloudFormation stack", console.stack_url(region, stack), stack)

    def targets(self, target_group_arns: Sequence[str]) -> None:
        elb = ElbGateway(self.ctx.aws.clients)
        for arn in target_group_arns:
            self.link("Target group", console.target_group_url(self.region, arn), arn)
            unhealthy = self.read(f"target health of {arn.rsplit(':', 1)[-1]}", partial(elb.unhealthy_targets, arn))
            self.items.extend(target_line(target) for target in (unhealthy or ())[:MAX_TARGETS])

    def container_log(self, task: StoppedTask) -> None:
        definition = self.read(
            "the stopped task's definition", lambda: self.ctx.aws.ecs.describe_task_definition(task.task_definition_arn)
        )
        if definition is None:
            return
        streams = [container_stream(c, task.id) for c in definition.container_definitions]
        stream = next((s for s in streams if s is not None), None)
        if stream is None:
            self.unread.append("CloudWatch Logs: the container has no awslogs configuration with a stream prefix")
            return
        self.link("Log group", console.log_group_url(stream.region or self.region, stream.group, stream.stream))
        if stream.region and stream.region != self.region:
            self.unread.append(f"CloudWatch Logs: the log group is in {stream.region}, not {self.region}")
            return
        logs = LogsGateway(self.ctx.aws.clients)
        lines = self.read("CloudWatch Logs", lambda: logs.last_lines(stream, LAST_LINES))
        if lines is not None:
            self.log = LogExcerpt(stream.group, stream.stream, tuple(lines))

    def result(self) -> RootCause:
        return RootCause(tuple(self.items), self.log, tuple(self.unread), tuple(self.links), tuple(self.arns))


def _safely(collect: Callable[[], RootCause]) -> RootCause:
    """`collect()`, or a RootCause that says why nothing could be gathered: explaining must never fail the job."""
    try:
        return collect()
    except Exception as error:
        return RootCause(unread=(_cut(f"the root cause: {type(error).__name__}: {error}", ITEM_LIMIT),))


def rollout_cause(
    ctx: JobContext,
    ref: ServiceRef,
    *,
    task_definition: str,
    deployment_id: str | None,
    target_group_arns: Sequence[str] = (),
) -> RootCause:
    """Why the rollout of `task_definition` failed: the failed deployment's stopped tasks (or the service's, of that
    revision, when the deployment is not known), the newest one's container log, and the service's unhealthy
    targets."""
    return _safely(partial(_rollout_cause, ctx, ref, task_definition, deployment_id, target_group_arns))


def _rollout_cause(
    ctx: JobContext, ref: ServiceRef, task_definition: str, deployment_id: str | None, target_group_arns: Sequence[str]
) -> RootCause:
    collect = _Collector(ctx)
    service_arn = ref.service if ref.service.startswith("arn:") else None
    collect.link("ECS service", console.ecs_service_url(collect.region, ref.cluster, ref.service), service_arn)
    tasks = collect.read(
        "stopped ECS tasks",
        lambda: ctx.aws.ecs.stopped_tasks(
            ref.cluster, started_by=deployment_id, service=ref.service, task_definition=task_definition, limit=MAX_TASKS
        ),
    )
    if tasks == []:
        collect.unread.append("stopped ECS tasks: ECS lists none for the failed revision (it keeps them about an hour)")
    collect.items.extend(task_lines(tasks or ()))
    if tasks:
        collect.container_log(tasks[0])
    collect.targets(target_group_arns)
    collect.record_links(group_known=False)
    return collect.result()


def capacity_cause(ctx: JobContext, group_name: str, group: ScalingGroup | None, *, since: datetime) -> RootCause:
    """Why the group's instances did not become healthy: its failed or cancelled activities since `since`, and the
    unhealthy targets of its target groups."""
    return _safely(partial(_capacity_cause, ctx, group_name, group, since))


def _capacity_cause(ctx: JobContext, group_name: str, group: ScalingGroup | None, since: datetime) -> RootCause:
    collect = _Collector(ctx)
    collect.link("Auto Scaling group", console.auto_scaling_group_url(collect.region, group_name))
    activities = collect.read(
        "Auto Scaling activities",
        lambda: ctx.aws.autoscaling.unsuccessful_activities(group_name, since=since, limit=MAX_ACTIVITIES),
    )
    collect.items.extend(activity_lines(activities or ()))
    collect.targets(group.target_group_arns if group is not None else ())
    collect.record_links(group_known=True)
    return collect.result()
