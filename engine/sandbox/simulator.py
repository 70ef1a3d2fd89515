"""Make moto's ECS and Auto Scaling behave like AWS over time, for the sandbox deployment.

moto 5.2 answers every call at once and never moves anything forward: `UpdateService` swaps the task
definition and leaves the deployments as they were (IN_PROGRESS forever for a new service), there are no
service events, Auto Scaling instances are InService and Healthy the moment they exist, and desired capacity
outside [min, max] is accepted. The `Simulator` is a daemon thread that ticks over moto's in-process backends
(the same objects the loopback moto server answers from) and plays what AWS would do:

* ECS: `UpdateService` with a new task definition (or `forceNewDeployment`) starts a new PRIMARY deployment
  (IN_PROGRESS, running 0 → rising) and demotes the old one to ACTIVE, which drains; after
  `rollout_seconds` the new one is COMPLETED with running == desired and the old one is gone. Service events
  are written as ECS writes them, newest first. A model in `faults.fail_rollout` ends its rollout FAILED
  (circuit breaker, no automatic rollback) with the old deployment still running; putting back the last
  revision that completed rolls out normally. A daemon service's desired/running counts follow the healthy
  instances of the model's Auto Scaling group (one task per instance).
* Auto Scaling: new instances are `Pending` for `warmup_seconds`, then InService/Healthy; for a model in
  `faults.fail_capacity` they turn InService/Unhealthy and are replaced, so they never become healthy.
  UpdateAutoScalingGroup/SetDesiredCapacity reject a desired capacity outside [min, max] with AWS's
  ValidationError, and DefaultCooldown/DefaultInstanceWarmup given to UpdateAutoScalingGroup are kept and
  shown by DescribeAutoScalingGroups.
* What the faults leave for the root-cause collection (`engine.sandbox.failures`): a failing rollout's tasks are
  kept STOPPED (stoppedReason, stopCode, exit code) with their container's CloudWatch Logs lines; a failing group
  records scaling activities (DescribeScalingActivities answers them: moto records none), among them Failed
  launches, and its instances' target health reads `initial` while they boot and `unhealthy` once InService.
* Scheduled actions (`schedule`) let the sandbox play LISA's own state machines over time (the "ambient"
  transitions of the seeded models).

moto internals this module relies on are checked by `check_moto_internals()` (and the version by
`check_moto_version()`), so a moto upgrade that breaks them fails loudly at start instead of silently.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import moto
from moto.autoscaling.exceptions import ValidationError as AutoScalingValidationError
from moto.autoscaling.models import (
    AutoScalingBackend,
    FakeAutoScalingGroup,
    FakeScheduledAction,
    InstanceState,
    autoscaling_backends,
)
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends
from moto.cloudformation.parsing import ResourceMap
from moto.core.base_backend import BackendDict
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.dynamodb.responses import DynamoHandler
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.subnets import Subnet
from moto.ecs.models import Cluster, Container, EC2ContainerServiceBackend, Service, Task, TaskDefinition, ecs_backends
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup
from moto.logs.models import LogsBackend, logs_backends

from engine.errors import LisaDesktopError
from engine.sandbox.failures import BOOTING, UNHEALTHY, ScalingActivities, stop_failed_task

if TYPE_CHECKING:
    from moto.ec2.models import EC2Backend

log = logging.getLogger(__name__)

SUPPORTED_MOTO: Final = ((5, 2), (5, 3))
"""moto versions the simulator was written for: >= 5.2, < 5.3."""
MAX_SERVICE_EVENTS: Final = 100
"""ECS returns at most the 100 most recent service events."""
FAILED_TASK_ATTEMPTS: Final = 3
"""Tasks a failing rollout tries to start before the circuit breaker trips."""
ACTION_MAX_FAILURES: Final = 20
MAX_ACTIVITY_RECORDS: Final = 100
"""DescribeScalingActivities' default (and largest) page."""
CIRCUIT_BREAKER_REASON: Final = "ECS deployment circuit breaker: tasks failed to start."
LAUNCHED_AT: Final = "_sandbox_launched_at"
"""Attribute the InstanceState patch stamps with the simulator clock at launch."""


class SandboxError(LisaDesktopError):
    """The sandbox cannot start or run (wrong moto version, moto internals changed, port taken, ...)."""


@dataclass
class Faults:
    """Switches that make the simulated world fail, by model id. Mutable while the sandbox runs."""

    fail_rollout: set[str] = field(default_factory=set)
    """ECS rollouts of these models to a new task definition end FAILED (the old deployment keeps running)."""
    fail_capacity: set[str] = field(default_factory=set)
    """New instances in these models' Auto Scaling groups never become healthy."""


# -- moto version and internals --------------------------------------------------------------------------------


def check_moto_version(version: str | None = None) -> str:
    """Raise SandboxError unless moto (or `version`) is in the range the simulator was written for."""
    text = moto.__version__ if version is None else version
    numbers = [int(part) for part in re.findall(r"\d+", text)[:2]]
    parsed = [*numbers, 0, 0][:2]
    low, high = SUPPORTED_MOTO
    if not (list(low) <= parsed < list(high)):
        raise SandboxError(
            f"moto {text} is installed, but the sandbox simulator was written for moto "
            f">={low[0]}.{low[1]},<{high[0]}.{high[1]}: it patches moto internals that may have changed. "
            "Check engine/sandbox/simulator.py against the new moto (ECS deployments/events, Auto Scaling "
            "instance states and responses) and widen SUPPORTED_MOTO."
        )
    return text


_REQUIRED_INTERNALS: Final[tuple[tuple[type, str], ...]] = (
    (FakeAutoScalingGroup, "active_instances"),
    (FakeAutoScalingGroup, "set_desired_capacity"),
    (FakeAutoScalingGroup, "get_propagated_tags"),
    (FakeAutoScalingGroup, "replace_autoscaling_group_instances"),
    (AutoScalingResponse, "update_auto_scaling_group"),
    (AutoScalingResponse, "set_desired_capacity"),
    (AutoScalingResponse, "_get_int_param"),
    (AutoScalingResponse, "describe_scaling_activities"),
    (FakeTargetGroup, "health_for"),
    (Task, "__init__"),
    (InstanceState, "__init__"),
    (EC2ContainerServiceBackend, "update_service"),
    (EC2ContainerServiceBackend, "register_task_definition"),
    (EC2ContainerServiceBackend, "describe_services"),
    (EC2ContainerServiceBackend, "describe_task_definition"),
    (EC2ContainerServiceBackend, "delete_service"),
    (EC2ContainerServiceBackend, "delete_cluster"),
    (EC2ContainerServiceBackend, "deregister_task_definition"),
    (CloudFormationBackend, "get_stack"),
    (Subnet, "_base_avail_ip_iterator"),
    (DynamoHandler, "scan"),
    (DynamoHandler, "query"),
    (DynamoHandler, "put_item"),
    (DynamoHandler, "update_item"),
    (DynamoHandler, "delete_item"),
    (DynamoHandler, "transact_write_items"),
)


_REQUIRED_INSTANCE_ATTRIBUTES: Final[tuple[tuple[type, str], ...]] = (
    (Service, "deployments"),
    (Service, "events"),
    (Service, "task_definition"),
    (Service, "scheduling_strategy"),
    (Service, "running_count"),
    (Service, "pending_count"),
    (FakeAutoScalingGroup, "instance_states"),
    (FakeAutoScalingGroup, "target_group_arns"),
    (AutoScalingBackend, "scheduled_actions"),
    (FakeScheduledAction, "auto_scaling_group_name"),
    (EC2ContainerServiceBackend, "tasks"),
    (Task, "stopped_reason"),
    (Task, "desired_status"),
    (Task, "containers"),
    (Container, "exitCode"),
    (LogsBackend, "groups"),
    (FakeTargetGroup, "targets"),
    (InstanceState, "lifecycle_state"),
    (InstanceState, "health_status"),
    (ResourceMap, "_parsed_resources"),
    (AmiBackend, "amis"),
    (Cluster, "tags"),
    (Service, "tags"),
)
"""Attributes moto's constructors set on instances, which the simulator reads and writes."""


def check_moto_internals() -> None:
    """Raise SandboxError if a moto internal the simulator patches or reads is missing."""
    missing = [
        f"{owner.__module__}.{owner.__name__}.{name}" for owner, name in _REQUIRED_INTERNALS if not hasattr(owner, name)
    ]
    missing += [
        f"{owner.__module__}.{owner.__name__}().{name}"
        for owner, name in _REQUIRED_INSTANCE_ATTRIBUTES
        if name not in _assigned_in_init(owner)
    ]
    if not hasattr(BackendDict, "_instances"):
        missing.append("moto.core.base_backend.BackendDict._instances")
    if missing:
        raise SandboxError("moto's internals changed; the sandbox simulator cannot run. Missing: " + ", ".join(missing))


def _assigned_in_init(owner: type) -> set[str]:
    init = owner.__dict__.get("__init__")
    init = getattr(init, "__wrapped__", init)  # the sandbox's own patch wraps InstanceState.__init__
    code = getattr(init, "__code__", None)
    return set(code.co_names) if code is not None else set()


# -- process-wide response patches -------------------------------------------------------------------------------

_SIMULATORS: dict[str, Simulator] = {}
"""Live simulators by account id: the Auto Scaling response patches act only for these accounts."""
_PATCH_LOCK = threading.Lock()
_PATCHED = False


def _install_response_patches() -> None:
    """Wrap a few moto responses once per process; each wrapper acts only for a live sandbox's account and
    delegates to moto unchanged for every other account.

    * UpdateAutoScalingGroup/SetDesiredCapacity validate like AWS (desired within [min, max]) and keep
      DefaultCooldown/DefaultInstanceWarmup, which moto's response never passes to its backend. The *response*
      (the API) is wrapped, not the backend method, because moto's backend calls `set_desired_capacity(0)`
      itself when it deletes a group.
    * A new Auto Scaling instance (InstanceState) starts Pending, not InService, so no request ever sees it
      healthy before the simulator's warm-up has passed.
    * DynamoDB Scan/Query answer with the JSON text moto ≤ 5.1 produced: moto 5.2's shape-driven serializer
      is slow on LISA's nested `model_config` maps: seconds for a table of a few hundred items.
    * DynamoDB writes are serialized: moto checks a ConditionExpression and then writes without a lock, so two
      concurrent conditional writes could both pass, which DynamoDB never allows (the engine's intake relies
      on it).
    * TerminateInstanceInAutoScalingGroup of an instance no group manages (any more) is refused as AWS refuses
      it (ValidationError "Instance Id not found"); moto failed with HTTP 500 (StopIteration).
    * A subnet's private addresses are handed out one launch at a time: moto draws them from one generator per
      subnet without a lock, and two instances launched at once in a subnet (a stack's group and the
      simulator's replacement, say) failed the second with "generator already executing" (HTTP 500).
    * A subnet keeps its own iterator over its addresses: moto keeps it in a functools.cache keyed by the subnet,
      for the life of the process, which kept every stopped sandbox's subnets, and through their instances its
      whole world, in memory.
    """
    global _PATCHED
    with _PATCH_LOCK:
        if _PATCHED:
            return
        original_update = AutoScalingResponse.update_auto_scaling_group
        original_set = AutoScalingResponse.set_desired_capacity
        original_scan = DynamoHandler.scan
        original_query = DynamoHandler.query
        original_instance_init = InstanceState.__init__
        original_activities = AutoScalingResponse.describe_scaling_activities
        original_terminate = AutoScalingResponse.terminate_instance_in_auto_scaling_group
        original_health_for = FakeTargetGroup.health_for
        original_addresses = {
            name: getattr(Subnet, name) for name in ("get_available_subnet_ip", "request_ip", "del_subnet_ip")
        }
        subnet_hosts = Subnet._base_avail_ip_iterator.__wrapped__

        def base_avail_ip_iterator(self: Subnet) -> Any:
            hosts = self.__dict__.get(_SUBNET_HOSTS)
            if hosts is None:
                hosts = self.__dict__[_SUBNET_HOSTS] = subnet_hosts(self)
            return hosts

        @functools.wraps(original_instance_init)
        def instance_init(self: InstanceState, *args: Any, **kwargs: Any) -> None:
            original_instance_init(self, *args, **kwargs)
            group = self.auto_scaling_group
            simulator = _SIMULATORS.get(str(getattr(group, "account_id", "")))
            if simulator is not None and self.lifecycle_state == "InService":
                # a launched instance boots first; the simulator makes it InService after the warm-up
                self.lifecycle_state = "Pending"
                setattr(self, LAUNCHED_AT, simulator.clock())

        def update_auto_scaling_group(self: AutoScalingResponse) -> ActionResult:
            simulator = _SIMULATORS.get(self.current_account)
            if simulator is None or simulator.region != self.region:
                return original_update(self)
            return simulator.api_update_group(self, original_update)

        def set_desired_capacity(self: AutoScalingResponse) -> ActionResult:
            simulator = _SIMULATORS.get(self.current_account)
            if simulator is None or simulator.region != self.region:
                return original_set(self)
            return simulator.api_set_desired(self, original_set)

        def describe_scaling_activities(self: AutoScalingResponse) -> ActionResult:
            simulator = _SIMULATORS.get(self.current_account)
            if simulator is None or simulator.region != self.region:
                return original_activities(self)
            return simulator.api_scaling_activities(self)

        def terminate_instance_in_auto_scaling_group(self: AutoScalingResponse) -> ActionResult:
            instance_id = self._get_param("InstanceId")
            groups = self.autoscaling_backend.autoscaling_groups.values()
            managed = any(state.instance.id == instance_id for group in groups for state in group.instance_states)
            if self.current_account in _SIMULATORS and not managed:
                raise AutoScalingValidationError(
                    f"Instance Id not found - No managed instance found for instance ID: {instance_id}"
                )
            return original_terminate(self)

        def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: EC2Backend) -> FakeHealthStatus:
            health = original_health_for(self, target, ec2_backend)
            account = str(self.arn).split(":")[4] if str(self.arn).count(":") >= 5 else ""
            simulator = _SIMULATORS.get(account)
            played = simulator.target_health(str(target["Id"])) if simulator is not None else None
            if played is None or health.status != "healthy":
                return health
            state, reason, description = played
            return FakeHealthStatus(
                health.instance_id, health.port, health.health_check_port, state, reason, description
            )

        def scan(self: DynamoHandler) -> ActionResult | str:
            result = original_scan(self)
            return _dynamo_json(result) if self.current_account in _SIMULATORS else result

        def query(self: DynamoHandler) -> ActionResult | str:
            result = original_query(self)
            return _dynamo_json(result) if self.current_account in _SIMULATORS else result

        setattr(AutoScalingResponse, "update_auto_scaling_group", update_auto_scaling_group)  # noqa: B010
        setattr(AutoScalingResponse, "set_desired_capacity", set_desired_capacity)  # noqa: B010
        setattr(
            AutoScalingResponse,
            terminate_instance_in_auto_scaling_group.__name__,
            terminate_instance_in_auto_scaling_group,
        )
        for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
            setattr(DynamoHandler, name, _serialized(getattr(DynamoHandler, name)))
        setattr(DynamoHandler, "scan", scan)  # noqa: B010
        setattr(DynamoHandler, "query", query)  # noqa: B010
        setattr(InstanceState, "__init__", instance_init)  # noqa: B010
        setattr(AutoScalingResponse, "describe_scaling_activities", describe_scaling_activities)  # noqa: B010
        setattr(FakeTargetGroup, "health_for", health_for)  # noqa: B010
        for name, original in original_addresses.items():
            setattr(Subnet, name, _one_at_a_time(original, _SUBNET_ADDRESSES))
        setattr(Subnet, "_base_avail_ip_iterator", base_avail_ip_iterator)  # noqa: B010
        _PATCHED = True


_DYNAMO_WRITES = threading.Lock()
_SUBNET_ADDRESSES = threading.Lock()
_SUBNET_HOSTS = "_sandbox_hosts"
"""Where a subnet keeps its iterator over its addresses (`_install_response_patches`)."""


def _one_at_a_time(method: Callable[..., Any], lock: threading.Lock) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return locked


def _serialized(write: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    @functools.wraps(write)
    def serialized(self: DynamoHandler) -> Any:
        if self.current_account not in _SIMULATORS:
            return write(self)
        with _DYNAMO_WRITES:
            return write(self)

    return serialized


def _dynamo_json(result: ActionResult) -> ActionResult | str:
    """DynamoDB's wire format for a Scan/Query result (moto keeps binary values as raw bytes)."""

    def encode(value: object) -> str:
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode()
        raise TypeError(f"not JSON serializable: {type(value).__name__}")

    try:
        return json.dumps(result.result, default=encode)
    except (TypeError, ValueError):
        return result


# -- simulation state ----------------------------------------------------------------------------------------------

Phase = Literal["pending", "healthy", "unhealthy"]


@dataclass
class _InstanceTrack:
    phase: Phase
    since: float
    announce: bool = False
    """Its launch is told to `instance_listeners` (instances seen before any listener came, the seeded ones, not)."""


LAUNCHED: Final = "EC2 Instance Launch Successful"
TERMINATED: Final = "EC2 Instance Terminate Successful"


@dataclass
class _GroupState:
    name: str
    model_id: str | None
    instances: dict[str, _InstanceTrack] = field(default_factory=dict)
    patched: bool = False


@dataclass
class _Rollout:
    deployment_id: str
    started: float
    previous_stable: str | None
    """Task definition of the last COMPLETED deployment when this rollout began (None for a new service)."""
    old_running: dict[str, int]
    """Running tasks of each older deployment when this rollout began."""
    failing: bool = False
    stopped_tasks: int = 0
    """Failed tasks of this rollout already put in moto as STOPPED tasks."""


@dataclass
class _ServiceState:
    key: str
    model_id: str | None
    rollout: _Rollout | None = None
    last_completed: str | None = None


@dataclass
class _StackRecord:
    model_id: str | None
    services: list[tuple[str, str]] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    task_definitions: list[str] = field(default_factory=list)


@dataclass
class _Action:
    name: str
    due: float
    run: Callable[[], bool]
    failures: int = 0


_Counts = tuple[int, int, int]


def _counts(deployment: dict[str, Any]) -> _Counts:
    return (
        int(deployment.get("runningCount") or 0),
        int(deployment.get("pendingCount") or 0),
        int(deployment.get("failedTasks") or 0),
    )


@dataclass(frozen=True)
class GroupSnapshot:
    """What the simulator knows of one Auto Scaling group (for the sandbox and tests)."""

    name: str
    min_size: int
    max_size: int
    desired: int
    healthy: int
    pending: int
    instances: int


class Simulator:
    """Ticks over moto's backends of one account and region; see the module docstring."""

    def __init__(
        self,
        *,
        account_id: str,
        region: str,
        deployment_name: str,
        faults: Faults,
        rollout_seconds: float = 8.0,
        warmup_seconds: float = 3.0,
        tick_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rollout_seconds < 0 or warmup_seconds < 0 or tick_seconds <= 0:
            raise ValueError("rollout_seconds and warmup_seconds must be >= 0, tick_seconds > 0")
        self.account_id = account_id
        self.region = region
        self.deployment_name = deployment_name
        self.faults = faults
        self.rollout_seconds = rollout_seconds
        self.warmup_seconds = warmup_seconds
        self.tick_seconds = tick_seconds
        self.clock = clock
        self.lock = threading.RLock()
        self._services: dict[str, _ServiceState] = {}
        self._groups: dict[str, _GroupState] = {}
        self._model_of_service: dict[str, str] = {}
        self._model_of_group: dict[str, str] = {}
        self._group_of_model: dict[str, str] = {}
        self._service_of_model: dict[str, str] = {}
        self._stack_status: dict[str, str] = {}
        self._stack_records: dict[str, _StackRecord] = {}
        self._actions: list[_Action] = []
        self.activities = ScalingActivities()
        """The scaling activities DescribeScalingActivities answers with (moto records none)."""
        self.instance_listeners: list[Callable[[str, str], None]] = []
        """Called (on the simulator thread, under its lock) with a group's name and LAUNCHED or TERMINATED, as
        Auto Scaling's EventBridge events are sent: schedule work rather than doing it there."""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._installed = False
        self.ticks = 0

    # -- moto backends -----------------------------------------------------------------------------------------

    @property
    def ecs(self) -> EC2ContainerServiceBackend:
        return ecs_backends[self.account_id][self.region]

    @property
    def autoscaling(self) -> AutoScalingBackend:
        return autoscaling_backends[self.account_id][self.region]

    @property
    def cloudformation(self) -> CloudFormationBackend:
        return cloudformation_backends[self.account_id][self.region]

    @property
    def logs(self) -> LogsBackend:
        return logs_backends[self.account_id][self.region]

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def install(self) -> None:
        """Hook into moto for this account: UpdateService starts rollouts; Auto Scaling validates like AWS."""
        check_moto_internals()
        with self.lock:
            if self._installed:
                return
            if _SIMULATORS.get(self.account_id) not in (None, self):
                raise SandboxError(f"another sandbox simulator already runs for account {self.account_id}")
            _install_response_patches()
            backend = self.ecs
            original = backend.update_service

            def update_service(service_properties: dict[str, Any]) -> Service:
                return self._update_service(original, service_properties)

            original_register = backend.register_task_definition

            def register_task_definition(
                family: str, container_definitions: list[dict[str, Any]], **kwargs: Any
            ) -> TaskDefinition:
                return _register_task_definition(original_register, family, container_definitions, **kwargs)

            setattr(backend, "update_service", update_service)  # noqa: B010 (instance-level: this account only)
            setattr(backend, "register_task_definition", register_task_definition)  # noqa: B010
            _SIMULATORS[self.account_id] = self
            self._installed = True

    def uninstall(self) -> None:
        with self.lock:
            if not self._installed:
                return
            if _SIMULATORS.get(self.account_id) is self:
                del _SIMULATORS[self.account_id]
            backend = ecs_backends[self.account_id][self.region] if self.account_id in ecs_backends else None
            for name in ("update_service", "register_task_definition"):
                if backend is not None and name in vars(backend):
                    delattr(backend, name)
            self._installed = False

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"sandbox-simulator-{self.account_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = self.clock()
            try:
                self.tick()
            except Exception:  # keep simulating: one bad tick must not freeze the world
                log.exception("sandbox simulator tick failed")
            elapsed = self.clock() - started
            self._stop.wait(max(0.01, self.tick_seconds - elapsed))

    # -- the model layout ------------------------------------------------------------------------------------

    def register_model(
        self, model_id: str, *, cluster: str | None = None, service: str | None = None, group: str | None = None
    ) -> None:
        """Tell the simulator which ECS service and Auto Scaling group belong to a model (faults are by model)."""
        with self.lock:
            if cluster and service:
                key = f"{cluster}:{service}"
                self._model_of_service[key] = model_id
                self._service_of_model[model_id] = key
                if key in self._services:
                    self._services[key].model_id = model_id
            if group:
                self._model_of_group[group] = model_id
                self._group_of_model[model_id] = group
                if group in self._groups:
                    self._groups[group].model_id = model_id

    def settle(self, model_id: str, *, instances: bool = True) -> None:
        """Seed time: the model's group instances are long-running and healthy (`instances`), and its service
        has one COMPLETED deployment running on them, as a deployment that has been up for a while looks."""
        with self.lock:
            now = self.clock()
            group_name = self._group_of_model.get(model_id)
            group = self.autoscaling.autoscaling_groups.get(group_name) if group_name else None
            if group is not None:
                state = self._group_state(group, now)
                for instance_state in group.instance_states:
                    if instances:
                        instance_state.lifecycle_state = "InService"
                        instance_state.health_status = "Healthy"
                        state.instances[instance_state.instance.id] = _InstanceTrack("healthy", now)
            key = self._service_of_model.get(model_id)
            service = self.ecs.services.get(key) if key else None
            if key is not None and service is not None:
                self._adopt_stable(key, service)

    def _adopt_stable(self, key: str, service: Service) -> None:
        state = self._services.get(key) or _ServiceState(key, self._model_of_service.get(key))
        self._services[key] = state
        service.scheduling_strategy = "DAEMON"
        _ensure_service_fields(service)
        target = self._target(state, service)
        primary = _deployment(service, target, rollout_state="COMPLETED", running=target)
        service.deployments = [primary]
        service.desired_count = service.running_count = target
        service.pending_count = 0
        state.rollout = None
        state.last_completed = service.task_definition
        if target:
            self._event(service, f"has started {target} tasks: {_task_list(target)}.")
        self._event(service, "has reached a steady state.")

    # -- queries -------------------------------------------------------------------------------------------

    def model_of_group(self, group_name: str) -> str | None:
        with self.lock:
            return self._model_of_group.get(group_name)

    def group_of(self, model_id: str) -> str | None:
        with self.lock:
            return self._group_of_model.get(model_id)

    def group_snapshot(self, group_name: str) -> GroupSnapshot | None:
        with self.lock:
            group = self.autoscaling.autoscaling_groups.get(group_name)
            if group is None:
                return None
            states = list(group.instance_states)
            return GroupSnapshot(
                name=group_name,
                min_size=int(group.min_size or 0),
                max_size=int(group.max_size or 0),
                desired=int(group.desired_capacity or 0),
                healthy=sum(1 for s in states if _is_healthy(s)),
                pending=sum(1 for s in states if s.lifecycle_state.startswith("Pending")),
                instances=len(states),
            )

    def rollout_state(self, model_id: str) -> str | None:
        """The rolloutState of the model's PRIMARY deployment (None when it has no service)."""
        with self.lock:
            key = self._service_of_model.get(model_id)
            service = self.ecs.services.get(key) if key else None
            if service is None or not service.deployments:
                return None
            return str(service.deployments[0].get("rolloutState"))

    # -- Auto Scaling scheduled actions ------------------------------------------------------------------------

    def fire_scheduled_action(self, action_name: str) -> bool:
        """Carry out the Auto Scaling scheduled action `action_name` now, as Auto Scaling does when its recurrence
        comes: its group's min, max and desired set to the action's (a size it leaves out stays, desired moved into
        the new range). Instances launch or terminate on the next ticks, and LISA's status monitor hears of it.
        False when there is no such action (or its group is gone)."""
        with self.lock:
            action = self.autoscaling.scheduled_actions.get(action_name)
            group = self.autoscaling.autoscaling_groups.get(action.auto_scaling_group_name) if action else None
            if action is None or group is None:
                return False
            if action.min_size is not None:
                group.min_size = int(action.min_size)
            if action.max_size is not None:
                group.max_size = int(action.max_size)
            low, high = int(group.min_size or 0), int(group.max_size or 0)
            desired = action.desired_capacity
            wanted = int(desired) if desired is not None else int(group.desired_capacity or 0)
            group.set_desired_capacity(min(max(wanted, low), high))
        log.info("sandbox: scheduled action %s fired on %s", action_name, group.name)
        return True

    # -- scheduled actions ----------------------------------------------------------------------------------

    def schedule(self, name: str, run: Callable[[], bool], *, after: float = 0.0) -> None:
        """Run `run` on the simulator thread (outside the lock) once `after` seconds have passed, and again each
        tick until it returns True. An action that keeps raising is dropped after a number of tries."""
        with self.lock:
            self._actions.append(_Action(name, self.clock() + after, run))

    def pending_actions(self) -> list[str]:
        with self.lock:
            return [action.name for action in self._actions]

    def _run_actions(self, now: float) -> None:
        with self.lock:
            due = [action for action in self._actions if action.due <= now]
        for action in due:
            try:
                done = action.run()
            except Exception:
                action.failures += 1
                log.warning("sandbox action %s failed (try %d)", action.name, action.failures, exc_info=True)
                done = action.failures >= ACTION_MAX_FAILURES
            if done:
                with self.lock:
                    if action in self._actions:
                        self._actions.remove(action)

    # -- the tick ----------------------------------------------------------------------------------------------

    def tick(self) -> None:
        """One step of the world. Called by the thread every `tick_seconds`; tests may call it directly (and a
        skipping clock does, from job threads, whenever it moves): the time is read under the lock, so ticks see
        it in order."""
        with self.lock:
            now = self.clock()
            self.ticks += 1
            self._scan_stacks()
            for name, group in list(self.autoscaling.autoscaling_groups.items()):
                self._tick_group(name, group, now)
            for gone in set(self._groups) - set(self.autoscaling.autoscaling_groups):
                del self._groups[gone]
            for key, service in list(self.ecs.services.items()):
                if service.status != "ACTIVE":
                    continue
                self._tick_service(key, service, now)
        self._run_actions(now)

    # -- CloudFormation: which stack (model) owns what ----------------------------------------------------------

    def _scan_stacks(self) -> None:
        backend = self.cloudformation
        live = dict(backend.stacks)
        for stack_id, stack in live.items():
            status = str(stack.status)
            if self._stack_status.get(stack_id) == status:
                continue
            if not status.endswith("_COMPLETE") or status.startswith("DELETE"):
                continue
            self._stack_status[stack_id] = status
            self._record_stack(stack_id, stack)
        for stack_id in [known for known in self._stack_records if known not in live]:
            self._clean_up_deleted_stack(self._stack_records.pop(stack_id))
        for stack_id in [known for known in self._stack_status if known not in live]:
            del self._stack_status[stack_id]

    def _record_stack(self, stack_id: str, stack: Stack) -> None:
        prefix = f"{self.deployment_name}-"
        model_id = stack.name[len(prefix) :] if stack.name.startswith(prefix) else None
        record = _StackRecord(model_id)
        parsed: dict[str, Any] = getattr(stack.resource_map, "_parsed_resources", {})
        template_resources: dict[str, Any] = (stack.template_dict or {}).get("Resources", {})
        for logical_id, resource in list(parsed.items()):
            properties = template_resources.get(logical_id, {}).get("Properties", {})
            if isinstance(resource, Cluster | Service):
                _tag_as_cloudformation(resource, stack, logical_id)
            if isinstance(resource, Service):
                key = f"{resource.cluster_name}:{resource.name}"
                record.services.append((resource.cluster_name, resource.name))
                if properties.get("SchedulingStrategy") == "DAEMON":
                    resource.scheduling_strategy = "DAEMON"  # moto's CloudFormation ignores it
                if model_id:
                    self.register_model(model_id, cluster=resource.cluster_name, service=resource.name)
                    if key in self._services:
                        self._services[key].model_id = model_id
            elif isinstance(resource, FakeAutoScalingGroup):
                if model_id:
                    self.register_model(model_id, group=resource.name)
                warmup = properties.get("DefaultInstanceWarmup")
                if warmup is not None and str(warmup).isdigit():
                    setattr(resource, "default_instance_warmup", int(warmup))  # noqa: B010 (moto ignores it)
            elif isinstance(resource, Cluster):
                record.clusters.append(resource.name)
            elif isinstance(resource, TaskDefinition):
                record.task_definitions.append(resource.arn)
        if record.services or record.clusters or record.task_definitions:
            self._stack_records[stack_id] = record

    def _clean_up_deleted_stack(self, record: _StackRecord) -> None:
        """moto's CloudFormation cannot delete ECS resources; do it as DeleteStack would."""
        for cluster, name in record.services:
            key = f"{cluster}:{name}"
            try:
                self.ecs.delete_service(cluster, name, force=True)
            except Exception:
                log.debug("sandbox: ECS service %s already gone", key, exc_info=True)
            self._services.pop(key, None)
        for arn in record.task_definitions:
            try:
                self.ecs.deregister_task_definition(arn)
            except Exception:
                log.debug("sandbox: task definition %s already gone", arn, exc_info=True)
        for cluster in record.clusters:
            try:
                self.ecs.delete_cluster(cluster)
            except Exception:
                log.debug("sandbox: ECS cluster %s already gone", cluster, exc_info=True)
        if record.model_id:
            self._service_of_model.pop(record.model_id, None)

    # -- Auto Scaling ----------------------------------------------------------------------------------------

    def _group_state(self, group: FakeAutoScalingGroup, now: float) -> _GroupState:
        state = self._groups.get(group.name)
        if state is None:
            state = _GroupState(group.name, self._model_of_group.get(group.name))
            self._groups[group.name] = state
        if not state.patched:
            # moto counts only InService instances when it sizes a group; a Pending one must count too, or
            # the next SetDesiredCapacity would launch its replacement while it is still booting.
            setattr(group, "active_instances", _pending_aware(group))  # noqa: B010
            state.patched = True
        return state

    def _tick_group(self, name: str, group: FakeAutoScalingGroup, now: float) -> None:
        state = self._group_state(group, now)
        failing = state.model_id is not None and state.model_id in self.faults.fail_capacity
        present: set[str] = set()
        for instance_state in list(group.instance_states):
            instance_id = instance_state.instance.id
            present.add(instance_id)
            track = state.instances.get(instance_id)
            if track is None:
                instance_state.lifecycle_state = "Pending"
                instance_state.health_status = "Healthy"  # what AWS reports while an instance boots
                launched = getattr(instance_state, LAUNCHED_AT, now)
                announce = bool(self.instance_listeners)
                track = state.instances[instance_id] = _InstanceTrack("pending", float(launched), announce)
            if track.phase == "pending" and now - track.since >= self.warmup_seconds:
                instance_state.lifecycle_state = "InService"
                if failing:
                    instance_state.health_status = "Unhealthy"
                    state.instances[instance_id] = _InstanceTrack("unhealthy", now, track.announce)
                else:
                    instance_state.health_status = "Healthy"
                    state.instances[instance_id] = _InstanceTrack("healthy", now, track.announce)
                if track.announce:
                    self._tell(name, LAUNCHED)
            elif track.phase == "unhealthy" and now - track.since >= max(self.warmup_seconds, self.tick_seconds):
                self._replace_instance(group, instance_state)
        for gone in set(state.instances) - present:
            del state.instances[gone]
            self._tell(name, TERMINATED)

    def _tell(self, group_name: str, event: str) -> None:
        for listener in self.instance_listeners:
            listener(group_name, event)

    def _replace_instance(self, group: FakeAutoScalingGroup, instance_state: InstanceState) -> None:
        """An unhealthy instance is replaced, as Auto Scaling's health checks do (the replacement is launched
        first, so the group never shows fewer instances than desired)."""
        instance_id = instance_state.instance.id
        group.replace_autoscaling_group_instances(1, group.get_propagated_tags())
        group.instance_states = [s for s in group.instance_states if s is not instance_state]
        self.activities.replaced_unhealthy(
            group.name,
            instance_id,
            str(getattr(instance_state.instance, "instance_type", "") or "the requested"),
            str(getattr(instance_state.instance, "availability_zone", None) or self.region + "a"),
        )
        self._retarget(group, instance_id)
        try:
            self.autoscaling.ec2_backend.terminate_instances([instance_id])
        except Exception:
            log.debug("sandbox: instance %s already terminated", instance_id, exc_info=True)

    def _retarget(self, group: FakeAutoScalingGroup, gone: str) -> None:
        """The group's target groups drop the replaced instance and register its replacement, as Auto Scaling does."""
        elbv2 = self.autoscaling.elbv2_backend
        for arn in list(group.target_group_arns):
            try:
                elbv2.deregister_targets(arn, [{"Id": gone}])
            except Exception:
                log.debug("sandbox: target group %s is gone", arn, exc_info=True)
        try:
            self.autoscaling.update_attached_target_groups(group.name)
        except Exception:
            log.debug("sandbox: target groups of %s are gone", group.name, exc_info=True)

    def target_health(self, instance_id: str) -> tuple[str, str, str] | None:
        """The ELB health the simulator plays for an instance it tracks: `initial` while it boots, `unhealthy`
        once a failing group's instance is InService (None: as moto says, healthy)."""
        with self.lock:
            for state in self._groups.values():
                track = state.instances.get(instance_id)
                if track is not None:
                    return {"pending": BOOTING, "unhealthy": UNHEALTHY}.get(track.phase)
            for group in self.autoscaling.autoscaling_groups.values():  # launched since the last tick
                if any(s.instance.id == instance_id and s.lifecycle_state == "Pending" for s in group.instance_states):
                    return BOOTING
            return None

    def api_scaling_activities(self, response: AutoScalingResponse) -> ActionResult:
        """DescribeScalingActivities from the activities the simulator played (called by the response patch)."""
        name = response._get_param("AutoScalingGroupName")
        max_records = response._get_int_param("MaxRecords") or MAX_ACTIVITY_RECORDS
        with self.lock:
            page, token = self.activities.page(
                str(name) if name else None, max_records, response._get_param("NextToken")
            )
        result: dict[str, Any] = {"Activities": page}
        if token is not None:
            result["NextToken"] = token
        return ActionResult(result)

    def api_update_group(
        self, response: AutoScalingResponse, original: Callable[[AutoScalingResponse], ActionResult]
    ) -> ActionResult:
        """UpdateAutoScalingGroup as AWS does it (called by the response patch for this account)."""
        name = response._get_param("AutoScalingGroupName")
        minimum = response._get_int_param("MinSize")
        maximum = response._get_int_param("MaxSize")
        desired = response._get_int_param("DesiredCapacity")
        cooldown = response._get_int_param("DefaultCooldown")
        warmup = response._get_int_param("DefaultInstanceWarmup")
        with self.lock:
            group = self.autoscaling.autoscaling_groups.get(str(name)) if name else None
            if group is not None:
                low = minimum if minimum is not None else int(group.min_size or 0)
                high = maximum if maximum is not None else int(group.max_size or 0)
                if low > high:
                    raise AutoScalingValidationError(
                        f"Max bound, {high}, must be greater than or equal to min bound, {low}"
                    )
                if desired is not None and not low <= desired <= high:
                    raise AutoScalingValidationError(
                        f"Desired capacity:{desired} must be between the specified min size:{low} and max size:{high}"
                    )
            result = original(response)
            if group is not None:
                if cooldown is not None:
                    group.default_cooldown = cooldown
                if warmup is not None:
                    setattr(group, "default_instance_warmup", warmup)  # noqa: B010 (moto ignores it)
                current = int(group.desired_capacity or 0)
                low, high = int(group.min_size or 0), int(group.max_size or 0)
                if desired is None and not low <= current <= high:
                    # AWS moves the desired capacity into a changed [min, max]; moto looks at instance counts
                    group.set_desired_capacity(min(max(current, low), high))
            return result

    def api_set_desired(
        self, response: AutoScalingResponse, original: Callable[[AutoScalingResponse], ActionResult]
    ) -> ActionResult:
        name = response._get_param("AutoScalingGroupName")
        desired = response._get_int_param("DesiredCapacity")
        with self.lock:
            group = self.autoscaling.autoscaling_groups.get(str(name)) if name else None
            if group is not None and desired is not None:
                if desired > int(group.max_size or 0):
                    raise AutoScalingValidationError(
                        f"New SetDesiredCapacity value {desired} is above max value {group.max_size} "
                        "for the AutoScalingGroup."
                    )
                if desired < int(group.min_size or 0):
                    raise AutoScalingValidationError(
                        f"New SetDesiredCapacity value {desired} is below min value {group.min_size} "
                        "for the AutoScalingGroup."
                    )
            return original(response)

    def _healthy(self, model_id: str | None) -> int | None:
        group_name = self._group_of_model.get(model_id) if model_id else None
        if group_name is None:
            return None
        group = self.autoscaling.autoscaling_groups.get(group_name)
        if group is None:
            return 0
        return sum(1 for s in group.instance_states if _is_healthy(s))

    # -- ECS ---------------------------------------------------------------------------------------------------

    def _target(self, state: _ServiceState, service: Service) -> int:
        """A daemon service runs one task per healthy instance of its model's group; others their desired count."""
        healthy = self._healthy(state.model_id)
        if healthy is None or service.scheduling_strategy != "DAEMON":
            return int(service.desired_count or 0)
        return healthy

    def _update_service(
        self, original: Callable[[dict[str, Any]], Service], service_properties: dict[str, Any]
    ) -> Service:
        """UpdateService as ECS does it: a new task definition (or forceNewDeployment) starts a deployment."""
        with self.lock:
            force = bool(service_properties.pop("force_new_deployment", False))
            requested = service_properties.get("task_definition")
            cluster = str(service_properties.get("cluster") or "default")
            name = str(service_properties.get("service", "")).split("/")[-1]
            before, _ = self.ecs.describe_services(cluster, [name])
            previous = before[0].task_definition if before else None
            service = original(service_properties)
            if requested:
                # moto stores the string as given ("family:3"); ECS answers with the full ARN
                service.task_definition = self.ecs.describe_task_definition(str(requested)).arn
            key = f"{service.cluster_name}:{service.name}"
            if force or service.task_definition != previous:
                self._start_rollout(key, service)
            elif key in self._services:
                self._tick_service(key, service, self.clock())  # counts follow the target, not moto's values
            return service

    def _start_rollout(self, key: str, service: Service) -> None:
        now = self.clock()
        state = self._services.get(key)
        if state is None:
            state = _ServiceState(key, self._model_of_service.get(key))
            self._services[key] = state
        _ensure_service_fields(service)
        target = self._target(state, service)
        older: list[dict[str, Any]] = []
        for deployment in service.deployments:
            demoted: dict[str, Any] = dict(deployment)
            demoted["status"] = "ACTIVE"
            demoted["updatedAt"] = utcnow()
            older.append(demoted)
        primary = _deployment(service, target, rollout_state="IN_PROGRESS", running=0)
        service.deployments = [primary, *older]
        state.rollout = _Rollout(
            deployment_id=primary["id"],
            started=now,
            previous_stable=state.last_completed,
            old_running={d["id"]: int(d.get("runningCount") or 0) for d in older},
        )
        self._tick_service(key, service, now)

    def _tick_service(self, key: str, service: Service, now: float) -> None:
        state = self._services.get(key)
        if state is None:
            # A service the sandbox did not seed (e.g. created by a stack the engine made): its first deployment
            # rolls out like any other.
            self._services[key] = _ServiceState(key, self._model_of_service.get(key))
            if service.deployments:
                self._start_rollout(key, service)
            return
        if not service.deployments:
            return
        target = self._target(state, service)
        deployments: list[dict[str, Any]] = [dict(d) for d in service.deployments]
        before = {str(d["id"]): _counts(d) for d in deployments}
        primary, older = deployments[0], deployments[1:]
        finished: str | None = None
        rollout = state.rollout
        in_progress = primary.get("rolloutState") == "IN_PROGRESS"
        if rollout is not None and primary.get("id") == rollout.deployment_id and in_progress:
            finished = self._advance(state, rollout, primary, older, target, now)
            self._stop_failed_tasks(service, rollout, primary)
            if finished == "COMPLETED":
                older = []
        else:
            state.rollout = None
            primary["desiredCount"] = target
            if primary.get("rolloutState") == "FAILED":
                primary["runningCount"] = primary["pendingCount"] = 0
                _distribute(older, target, {d["id"]: int(d.get("runningCount") or 0) for d in older})
            else:
                primary["runningCount"], primary["pendingCount"] = target, 0
                older = []
        deployments = [primary, *older]
        unchanged = [_counts(d) for d in deployments] == list(before.values()) and len(deployments) == len(before)
        if unchanged and finished is None and int(service.desired_count or 0) == target:
            return
        stamp = utcnow()
        for deployment in deployments:
            if _counts(deployment) != before.get(deployment["id"]) or finished:
                deployment["updatedAt"] = stamp
        self._write_events(service, before, deployments, finished)
        service.deployments = deployments
        service.desired_count = target
        service.running_count = sum(int(d["runningCount"]) for d in deployments)
        service.pending_count = sum(int(d["pendingCount"]) for d in deployments)

    def _advance(
        self,
        state: _ServiceState,
        rollout: _Rollout,
        primary: dict[str, Any],
        older: list[dict[str, Any]],
        target: int,
        now: float,
    ) -> str | None:
        """Move an IN_PROGRESS rollout on; returns "COMPLETED"/"FAILED" when it ends this tick."""
        progress = (now - rollout.started) / self.rollout_seconds if self.rollout_seconds > 0 else 1.0
        if not rollout.failing and state.model_id in self.faults.fail_rollout:
            # a new revision fails; going back to the last revision that completed (a rollback) succeeds
            rollout.failing = primary.get("taskDefinition") != rollout.previous_stable
        primary["desiredCount"] = target
        if rollout.failing:
            attempts = min(FAILED_TASK_ATTEMPTS, int(progress * FAILED_TASK_ATTEMPTS) + 1) if target else 0
            primary["runningCount"] = 0
            primary["failedTasks"] = max(0, attempts - 1)
            primary["pendingCount"] = 1 if target and progress < 1 else 0
            _distribute(older, target, rollout.old_running)
            if progress >= 1:
                primary["failedTasks"] = FAILED_TASK_ATTEMPTS if target else 0
                primary["rolloutState"] = "FAILED"
                primary["rolloutStateReason"] = CIRCUIT_BREAKER_REASON
                state.rollout = None
                return "FAILED"
            return None
        if progress >= 1:
            primary["runningCount"], primary["pendingCount"] = target, 0
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            state.rollout = None
            state.last_completed = primary.get("taskDefinition")
            return "COMPLETED"
        done = min(target, math.floor(progress * target))
        in_flight = 1 if done < target else 0
        primary["runningCount"], primary["pendingCount"] = done, in_flight
        _distribute(older, target - done - in_flight, rollout.old_running)
        return None

    def _stop_failed_tasks(self, service: Service, rollout: _Rollout, primary: dict[str, Any]) -> None:
        """Each task a failing rollout gave up on is left STOPPED in moto, with its container's log lines."""
        failed = int(primary.get("failedTasks") or 0) if rollout.failing else 0
        while rollout.stopped_tasks < failed:
            rollout.stopped_tasks += 1
            stop_failed_task(self.ecs, self.logs, service, primary)

    def _write_events(
        self,
        service: Service,
        before: dict[str, _Counts],
        deployments: list[dict[str, Any]],
        finished: str | None,
    ) -> None:
        """Service events for what changed this tick, in the words ECS uses."""
        started = stopped = 0
        for deployment in deployments:
            running, pending, failed = before.get(deployment["id"], (0, 0, 0))
            if deployment["status"] == "PRIMARY":
                now_total = deployment["runningCount"] + deployment["pendingCount"] + deployment["failedTasks"]
                started += max(0, now_total - (running + pending + failed))
            stopped += max(0, running - deployment["runningCount"])
        kept = {deployment["id"] for deployment in deployments}
        stopped += sum(counts[0] for deployment_id, counts in before.items() if deployment_id not in kept)
        primary = deployments[0]
        if stopped:
            self._event(service, f"has stopped {stopped} running tasks: {_task_list(stopped)}.")
        if started:
            self._event(service, f"has started {started} tasks: {_task_list(started)}.")
        if finished == "COMPLETED":
            self._event(service, f"(deployment {primary['id']}) deployment completed.")
        elif finished == "FAILED":
            self._event(service, f"(deployment {primary['id']}) deployment failed: tasks failed to start.")
        steady = primary.get("rolloutState") == "COMPLETED" and all(d["pendingCount"] == 0 for d in deployments)
        if steady and (finished is not None or started or stopped):
            self._event(service, "has reached a steady state.")

    def _event(self, service: Service, message: str) -> None:
        event = {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": f"(service {service.name}) {message}"}
        service.events = [event, *service.events][:MAX_SERVICE_EVENTS]


# -- module helpers --------------------------------------------------------------------------------------------


def _register_task_definition(
    original: Callable[..., TaskDefinition], family: str, container_definitions: list[dict[str, Any]], **kwargs: Any
) -> TaskDefinition:
    """RegisterTaskDefinition as AWS accepts it: moto wants a hard `memory` limit for requiresCompatibilities
    ["EC2"], but ECS on EC2 is satisfied by `memoryReservation` alone (what LISA's containers set)."""
    compatibilities = kwargs.get("requires_compatibilities")
    soft_only = kwargs.get("memory") is None and all(
        "memory" not in d and "memoryReservation" in d for d in container_definitions
    )
    if compatibilities == ["EC2"] and soft_only:
        kwargs["requires_compatibilities"] = None
        task_definition = original(family, container_definitions, **kwargs)
        task_definition.requires_compatibilities = ["EC2"]
        return task_definition
    return original(family, container_definitions, **kwargs)


def _is_healthy(state: InstanceState) -> bool:
    return state.lifecycle_state == "InService" and state.health_status == "Healthy"


def _pending_aware(group: FakeAutoScalingGroup) -> Callable[[], list[InstanceState]]:
    def active_instances() -> list[InstanceState]:
        return [s for s in group.instance_states if s.lifecycle_state in ("InService", "Pending")]

    return active_instances


_ID_RNG = random.Random()


def _deployment_id(rng: random.Random = _ID_RNG) -> str:
    return f"ecs-svc/{rng.randrange(10**18, 10**19)}"


def _task_list(count: int) -> str:
    return " ".join(f"(task {uuid.uuid4().hex})" for _ in range(min(count, 10)))


def _deployment(service: Service, target: int, *, rollout_state: str, running: int) -> dict[str, Any]:
    deployment_id = _deployment_id()
    stamp = utcnow()
    reason = "completed" if rollout_state == "COMPLETED" else "in progress"
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": target,
        "pendingCount": 0,
        "runningCount": running,
        "failedTasks": 0,
        "createdAt": stamp,
        "updatedAt": stamp,
        "launchType": service.launch_type or "EC2",
        "rolloutState": rollout_state,
        "rolloutStateReason": f"ECS deployment {deployment_id} {reason}.",
    }


def _distribute(deployments: Iterable[dict[str, Any]], total: int, shares: dict[str, int]) -> None:
    """Spread `total` running tasks over older deployments, each up to what it ran when the rollout began."""
    remaining = max(0, total)
    items = list(deployments)
    for deployment in items:
        take = min(remaining, shares.get(deployment["id"], 0))
        deployment["runningCount"], deployment["pendingCount"] = take, 0
        deployment["desiredCount"] = take
        remaining -= take
    if remaining and items:
        items[0]["runningCount"] += remaining
        items[0]["desiredCount"] += remaining


def _ensure_service_fields(service: Service) -> None:
    """Fields DescribeServices shows on AWS that moto's Service does not have."""
    if getattr(service, "deployment_configuration", None) is None:
        configuration = {
            "deploymentCircuitBreaker": {"enable": True, "rollback": False},
            "maximumPercent": 100,
            "minimumHealthyPercent": 0,
        }
        setattr(service, "deployment_configuration", configuration)  # noqa: B010
    if getattr(service, "created_at", None) is None:
        setattr(service, "created_at", utcnow())  # noqa: B010


def _tag_as_cloudformation(resource: Cluster | Service, stack: Stack, logical_id: str) -> None:
    """The tags CloudFormation puts on each resource it creates, which moto's CloudFormation puts only on EC2's."""
    tags = {
        "aws:cloudformation:stack-name": stack.name,
        "aws:cloudformation:stack-id": stack.stack_id,
        "aws:cloudformation:logical-id": logical_id,
    }
    kept = [tag for tag in resource.tags or () if tag.get("key") not in tags]
    resource.tags = [*kept, *({"key": key, "value": value} for key, value in tags.items())]
