"""Why a rollout or a capacity wait failed, gathered from what AWS kept: the stopped tasks of the failed deployment
(stoppedReason, stopCode, container exit codes and reasons), the last lines of the container's CloudWatch Logs
stream, the Auto Scaling group's failed activities and the target group's unhealthy targets.

Every read is best effort: a source that cannot be read is noted in `RootCause.unread` and the others are still
read; collecting never raises, so the failure it explains is reported and rolled back as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Final, TypeVar

from engine.aws import console
from engine.aws.autoscaling import ScalingActivity, ScalingGroup
from engine.aws.ecs import ServiceRef, StoppedTask
from engine.aws.elb import ElbGateway, TargetHealth
from engine.aws.logs import LAST_LINES, LogsGateway, container_stream
from engine.jobs.cause import ITEM_LIMIT, ConsoleLink, LogExcerpt, RootCause, cut_to
from engine.jobs.context import JobContext
from engine.jobs.events import StepState

MAX_TASKS: Final = 5
MAX_ACTIVITIES: Final = 5
MAX_TARGETS: Final = 3

_T = TypeVar("_T")


def report(ctx: JobContext, step: str, cause: RootCause) -> None:
    """One progress event per line of the root cause, the whole of it in each one's data."""
    for line in cause.lines():
        ctx.report(step, StepState.PROGRESS, f"root cause: {line}", rootCause=cause.to_data())


# -- describing what was found -------------------------------------------------------------------------------------


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
        lines.append(cut_to(f"{who} {text}", ITEM_LIMIT))
    return lines


def activity_line(activity: ScalingActivity) -> str:
    """`Auto Scaling Failed: Launching a new EC2 instance – We currently do not have sufficient …`."""
    what = activity.description.split("Status Reason:", 1)[0].strip().rstrip(".")
    detail = activity.status_message or activity.cause
    return cut_to(f"Auto Scaling {activity.status_code}: {what}" + (f" – {detail}" if detail else ""), ITEM_LIMIT)


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
    return cut_to(text, ITEM_LIMIT)


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
            self.unread.append(cut_to(f"{source}: {error}", ITEM_LIMIT))
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
        return RootCause(unread=(cut_to(f"the root cause: {type(error).__name__}: {error}", ITEM_LIMIT),))


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
