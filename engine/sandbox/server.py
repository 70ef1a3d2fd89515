"""The built-in sandbox: a LISA deployment on loopback that behaves like AWS, with no AWS account.

    with Sandbox(rollout_seconds=1, warmup_seconds=1) as sandbox:
        ecs = sandbox.client("ecs")
        sandbox.faults.fail_rollout.add("mistral-7b-instruct")

`Sandbox.start()` runs moto's server app on 127.0.0.1 in this process, seeds the deployment through
boto3 clients pointed at it (SSM parameters, management-key secret, models table, one CloudFormation stack per
LISA-hosted model), starts the LiteLLM registry and the simulator thread that moves ECS rollouts and Auto
Scaling capacity forward over time.

Isolation: moto keeps its state in process-wide backends keyed by AWS account, and picks the account from
the request's access key (unknown keys: moto's default account 123456789012). Each live sandbox owns one
account, which it clears when it starts and stops, and an access key registered for it in moto's IAM. The
first sandbox of a process uses `SANDBOX_ACCOUNT_ID` with the constant credentials `SANDBOX_ACCESS_KEY`/
`SANDBOX_SECRET_KEY`; a sandbox started while another is live gets an account and key of its own, so take the
credentials from the instance (`sandbox.access_key`, `sandbox.session()`, `sandbox.client(...)`). Never the
default account: plain moto users (`mock_aws`) in the same process do not see the sandbox's patches. But do
not run a sandbox while `moto.mock_aws` starts or stops: it resets every account, the sandbox's included.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import boto3
from moto.cloudformation.models import Stack
from moto.cloudformation.utils import generate_stack_id
from moto.core.base_backend import AccountSpecificBackend, BackendDict
from moto.core.model_instances import reset_model_data
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ec2.exceptions import InvalidInstanceIdError
from moto.ec2.models import EC2Backend
from moto.iam.models import iam_backends

from engine.aws.cloudformation import MODEL_ID_TAG
from engine.aws.sessions import new_session
from engine.clock import WALL_CLOCK, Clock, SkippingClock
from engine.sandbox.catalog import CATALOG, CatalogModel, synthetic_models
from engine.sandbox.constants import (
    LOOPBACK,
    SANDBOX_ACCESS_KEY,
    SANDBOX_ACCOUNT_ID,
    SANDBOX_DEPLOYMENT_NAME,
    SANDBOX_PREFIX,
    SANDBOX_REGION,
    SANDBOX_SECRET_KEY,
)
from engine.sandbox.lisa_actors import MONITOR_DELAY_S, StatusMonitor
from engine.sandbox.lisa_api import ApiRequest, LisaApiServer, start_lisa_api
from engine.sandbox.litellm_registry import LiteLLMRegistry
from engine.sandbox.moto_http import MotoHttpServer
from engine.sandbox.seed import CLIENT_CONFIG, HostedResources, SandboxDeployment
from engine.sandbox.simulator import Faults, SandboxError, Simulator, check_moto_internals, check_moto_version
from engine.stack_template import resource_names

log = logging.getLogger(__name__)


_ACCOUNTS_LOCK = threading.Lock()


_LIVE_ACCOUNTS: set[str] = set()


class Sandbox:
    """A LISA deployment on loopback: moto + seeded models + LiteLLM registry + simulator.

    `rollout_seconds`: how long an ECS rollout takes; `warmup_seconds`: how long a new instance stays Pending;
    `fail_rollout`/`fail_capacity`: model ids whose rollouts fail / whose new instances never become healthy
    (also mutable later through `faults`); `extra_models`: synthetic models added for benchmarks; `ambient`:
    whether the seeded transitional models move on by themselves (`ambient_seconds` overrides their delays,
    by model id); `lisa_actors`: whether LISA's own server-side writers run too (its status monitor, after
    `monitor_delay_s`); `litellm_settings`: the `litellmConfig.litellm_settings` of the deployment's configuration
    (none, as in LISA's example configuration, by default); `clock`: the simulator's time (a `SkippingClock` in
    tests, shared with the jobs through `engine.jobs.context.jobs_on_clock`: it ticks whenever that clock moves,
    so a job's wait for a rollout or a warm-up takes no wall-clock time).
    """

    def __init__(
        self,
        port: int = 0,
        *,
        rollout_seconds: float = 8.0,
        warmup_seconds: float = 3.0,
        fail_rollout: Iterable[str] = (),
        fail_capacity: Iterable[str] = (),
        extra_models: int = 0,
        ambient: bool = True,
        ambient_seconds: Mapping[str, float] | None = None,
        tick_seconds: float = 0.25,
        management_key: str | None = None,
        models: Iterable[CatalogModel] | None = None,
        lisa_actors: bool = True,
        monitor_delay_s: float = MONITOR_DELAY_S,
        litellm_settings: Mapping[str, Any] | None = None,
        clock: Clock = WALL_CLOCK,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0..65535, not {port}")
        if extra_models < 0:
            raise ValueError("extra_models must be >= 0")
        self.port = port
        self.rollout_seconds = rollout_seconds
        self.warmup_seconds = warmup_seconds
        self.tick_seconds = tick_seconds
        self.extra_models = extra_models
        self.ambient = ambient
        self.faults = Faults(set(fail_rollout), set(fail_capacity))
        self.region = SANDBOX_REGION
        self.prefix = SANDBOX_PREFIX
        self.deployment_name = SANDBOX_DEPLOYMENT_NAME
        self.management_key = management_key or f"sk-sandbox-{secrets.token_urlsafe(24)}"
        self.catalog: tuple[CatalogModel, ...] = tuple(CATALOG if models is None else models)
        self._ambient_seconds = dict(ambient_seconds or {})
        self.litellm = LiteLLMRegistry(self.management_key, host=LOOPBACK)
        self.account_id = ""
        self.access_key = SANDBOX_ACCESS_KEY
        self.secret_key = SANDBOX_SECRET_KEY
        self.endpoint_url = ""
        self.startup_seconds: float | None = None
        self._server: MotoHttpServer | None = None
        self._simulator: Simulator | None = None
        self._deployment: SandboxDeployment | None = None
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._lock = threading.Lock()
        self.lisa_actors = lisa_actors
        self.monitor_delay_s = monitor_delay_s
        self.litellm_settings = dict(litellm_settings) if litellm_settings is not None else None
        self.clock = clock
        self._stop_ticking_on_advance: Callable[[], None] | None = None
        self.status_monitor: StatusMonitor | None = None
        """LISA's status monitor, when `lisa_actors` (engine.sandbox.lisa_actors)."""
        self.lisa_api: LisaApiServer | None = None
        """LISA's REST API over the deployment (engine.sandbox.lisa_api)."""
        self.lisa_api_url = ""
        """`http://127.0.0.1:<port>/sandbox`: routes `<lisa_api_url>/models`, ... (also SSM `<prefix>/LisaApiUrl`)."""
        self.lisa_api_admin_token = ""
        self.lisa_api_user_token = ""

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> str:
        """Start everything and seed the deployment; returns the endpoint URL (http://127.0.0.1:PORT)."""
        with self._lock:
            if self._server is not None:
                return self.endpoint_url
            began = time.perf_counter()
            check_moto_version()
            check_moto_internals()
            try:
                self._start()
            except BaseException:
                self._teardown()
                raise
            self.startup_seconds = round(time.perf_counter() - began, 3)
            log.info("sandbox deployment ready at %s in %.2f s", self.endpoint_url, self.startup_seconds)
            return self.endpoint_url

    def _start(self) -> None:
        if self.port:
            _check_port_free(self.port)
        self.account_id, forced = _claim_account()
        _forget_account(self.account_id)  # leftovers of an earlier sandbox in this account
        if forced:  # MOTO_ACCOUNT_ID routes every request to one account, whatever the key
            self.access_key, self.secret_key = SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
        elif self.account_id == SANDBOX_ACCOUNT_ID:
            self.access_key, self.secret_key = _register_key(self.account_id, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
        else:
            self.access_key, self.secret_key = _register_key(self.account_id)
        self.litellm.start()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request at INFO
        server = MotoHttpServer(LOOPBACK, self.port)
        self._server = server
        server.start()
        self.endpoint_url = server.endpoint_url
        simulator = Simulator(
            account_id=self.account_id,
            region=self.region,
            deployment_name=self.deployment_name,
            faults=self.faults,
            rollout_seconds=self.rollout_seconds,
            warmup_seconds=self.warmup_seconds,
            tick_seconds=self.tick_seconds,
            clock=self.clock.monotonic,
        )
        self._simulator = simulator
        simulator.install()
        deployment = SandboxDeployment(
            client=self.client,
            account_id=self.account_id,
            region=self.region,
            deployment_name=self.deployment_name,
            prefix=self.prefix,
            registry=self.litellm,
            simulator=simulator,
            litellm_settings=self.litellm_settings,
        )
        self._deployment = deployment
        delays: dict[str, float] = {}
        if self.ambient:
            for model in self.catalog:
                if model.ambient_seconds is not None and model.status.is_transitional:
                    delays[model.model_id] = model.ambient_seconds
            delays.update({k: v for k, v in self._ambient_seconds.items() if k in delays})
        _count_cluster_tasks(simulator)
        deployment.seed(self.catalog, ambient_seconds=delays, model_warmup_s=self.warmup_seconds)
        step = time.perf_counter()
        _seed_synthetic(deployment, synthetic_models(self.extra_models))
        deployment.timings.mark("synthetic", step)
        simulator.tick()  # one step before anyone looks: stack ownership, warm-up settings, counts
        if self.lisa_actors:  # after that first step: the seeded instances were there before LISA's monitor
            self.status_monitor = StatusMonitor(
                simulator,
                self.client_on_first_use("dynamodb"),
                self.client_on_first_use("autoscaling"),
                deployment.table_name,
                delay_s=self.monitor_delay_s,
            )
            self.status_monitor.attach()
        if isinstance(self.clock, SkippingClock):
            self._stop_ticking_on_advance = self.clock.on_advance(simulator.tick)
        self.lisa_api = start_lisa_api(self)
        self.lisa_api_url = self.lisa_api.url
        deployment.publish_lisa_api_url(self.lisa_api_url)
        assert deployment.api_tokens is not None
        self.lisa_api_admin_token = deployment.api_tokens.admin
        self.lisa_api_user_token = deployment.api_tokens.user
        simulator.start()

    def stop(self) -> None:
        with self._lock:
            self._teardown()

    def _teardown(self) -> None:
        if self._stop_ticking_on_advance is not None:
            self._stop_ticking_on_advance()
            self._stop_ticking_on_advance = None
        if self.lisa_api is not None:
            self.lisa_api.stop()
            self.lisa_api = None
        if self._simulator is not None:
            self._simulator.stop()
            self._simulator.uninstall()
        if self._server is not None:
            try:
                self._server.stop()
            except Exception:
                log.debug("sandbox: moto server stop failed", exc_info=True)
        self.litellm.stop()
        if self.account_id:
            _forget_account(self.account_id)
            _release_account(self.account_id)
        self._server = self._simulator = self._deployment = None
        self._session = None
        with self._clients_lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
        self.litellm.clear()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- access ----------------------------------------------------------------------------------------------

    def session(self) -> boto3.Session:
        """A boto3 session with this sandbox's credentials and region (its service models shared with every
        sandbox of the process: loading them again for each session's clients was most of a client's cost)."""
        if self._session is None:
            self._session = new_session(
                aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key, region_name=self.region
            )
        return self._session

    def client(self, service_name: str) -> Any:
        """A boto3 client for `service_name` pointed at the sandbox (few retries: moto answers unimplemented
        calls with HTTP 500, which botocore would otherwise retry slowly), answered by moto's app in this process
        without the socket (`MotoHttpServer.answer_in_process`). One client per service, kept while the sandbox
        runs (boto3's clients are thread-safe; making them is not)."""
        self._require_running()
        with self._clients_lock:
            client = self._clients.get(service_name)
            if client is None:
                client = self.session().client(service_name, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)  # type: ignore[call-overload]
                assert self._server is not None
                client.meta.events.register("before-send", self._server.answer_in_process)
                self._clients[service_name] = client
            return client

    def warm_request_path(self) -> None:
        """One read of each service a console reads first, over the loopback socket as a console's requests come:
        moto's first request to a service parses that service's model and builds its app, which
        otherwise fell on the first refresh of a console reading this sandbox from another process (`sandbox
        serve`, the window's inventory helper). Its seeding makes no request, so nothing else has made them."""
        deployment = self.deployment
        session = self.session()

        def client(service_name: str) -> Any:
            return session.client(service_name, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)  # type: ignore[call-overload]

        client("dynamodb").scan(TableName=deployment.table_name, Limit=1)
        client("ecs").list_clusters(maxResults=1)
        client("autoscaling").describe_auto_scaling_groups(MaxRecords=1)
        client("cloudformation").list_stacks()
        client("ssm").get_parameters(Names=[f"{self.prefix}/modelTableName"])
        client("secretsmanager").describe_secret(SecretId=deployment.secret_name)

    def client_on_first_use(self, service_name: str) -> Any:
        """`client(service_name)`, made when first used: for LISA's actors and API, which a sandbox starts with
        seven clients that most sandboxes never use."""
        return _ClientOnFirstUse(self, service_name)

    @property
    def simulator(self) -> Simulator:
        self._require_running()
        assert self._simulator is not None
        return self._simulator

    @property
    def deployment(self) -> SandboxDeployment:
        self._require_running()
        assert self._deployment is not None
        return self._deployment

    @property
    def table_name(self) -> str:
        return self.deployment.table_name

    @property
    def secret_name(self) -> str:
        return self.deployment.secret_name

    @property
    def lisa_api_requests(self) -> list[ApiRequest]:
        """Every request LISA's API received, in order."""
        return self.lisa_api.received() if self.lisa_api is not None else []

    @property
    def litellm_url(self) -> str:
        """What the deployment publishes as `lisaServeRestApiUri`; LiteLLM's admin routes are under /v2/serve."""
        return self.litellm.url

    def resources(self, model_id: str) -> HostedResources:
        """The ECS/Auto Scaling/CloudFormation resource names of a LISA-hosted model."""
        try:
            return self.deployment.resources[model_id]
        except KeyError:
            raise KeyError(f"{model_id} has no hosted resources in the sandbox") from None

    def model_ids(self) -> list[str]:
        return [model.model_id for model in self.catalog] + [
            model.model_id for model in synthetic_models(self.extra_models)
        ]

    def timings(self) -> dict[str, float]:
        """Seconds spent in each seeding step of the last start."""
        return dict(self.deployment.timings.steps)

    def _require_running(self) -> None:
        if self._server is None:
            raise SandboxError("the sandbox is not running; call start() first")

    def __repr__(self) -> str:
        state = self.endpoint_url if self.running else "stopped"
        return f"Sandbox({state}, account={self.account_id or '-'})"


# -- synthetic models ----------------------------------------------------------------------------------------------


def _seed_synthetic(deployment: SandboxDeployment, models: Sequence[CatalogModel]) -> None:
    """Benchmark models: ECS and Auto Scaling resources made straight in moto, each hosted one recorded in a
    stack of its own as LISA's would be (without running moto's CloudFormation), so the
    console finds its cluster, service and group as it does for a real model."""
    hosted = [model for model in models if model.is_hosted]
    with _fast_ec2_lookups(deployment.ec2_backend):
        deployment.create_direct(hosted)
    with deployment.simulator.lock:
        for model in hosted:
            resources = deployment.resources[model.model_id]
            stack_name, stack_id = _record_stack(deployment, resources)
            deployment.resources[model.model_id] = dataclasses.replace(
                resources, stack_name=stack_name, stack_id=stack_id
            )
    deployment.put_items(deployment.model_item(model, lisa_shape=False) for model in models)


def _record_stack(deployment: SandboxDeployment, resources: HostedResources) -> tuple[str, str]:
    """A CREATE_COMPLETE stack in moto whose resources are the model's existing cluster, task definition,
    service, launch template and group; returns its name and id. Deleting it deletes them, as for a seeded stack."""
    simulator, ec2 = deployment.simulator, deployment.ec2_backend
    ecs = simulator.ecs
    names = resource_names(deployment.deployment_name, resources.model_id)
    parts: dict[str, Any] = {
        "Cluster": ecs.clusters[names.cluster],
        "TaskDefinition": ecs.task_definitions[names.task_family][1],
        "Service": ecs.services[f"{names.cluster}:{names.service}"],
        "LaunchTemplate": ec2.launch_templates[ec2.launch_template_name_to_ids[names.launch_template]],
        "AutoScalingGroup": simulator.autoscaling.autoscaling_groups[names.auto_scaling_group],
    }
    template: dict[str, Any] = {"Resources": {}, "Outputs": {}}
    for logical_id, resource in parts.items():
        resource.logical_resource_id = logical_id
        resource.cf_resource_type = resource.cloudformation_type()
        template["Resources"][logical_id] = {"Type": resource.cf_resource_type, "Properties": {}}
    template["Outputs"] = {
        "modelEndpointUrl": {"Value": resources.endpoint_url},
        "autoScalingGroup": {"Value": names.auto_scaling_group},
    }
    stack_id = generate_stack_id(names.stack, deployment.region, deployment.account_id)
    tags = {MODEL_ID_TAG: resources.model_id}
    stack = Stack(stack_id, names.stack, {}, {}, deployment.account_id, deployment.region, tags=tags)  # type: ignore[abstract]
    stack.template = json.dumps(template)
    stack.template_dict = template
    resource_map = stack.resource_map
    resource_map._template = template
    resource_map._resource_json_map = template["Resources"]
    resource_map._parsed_resources.update(parts)
    stack.output_map = stack._create_output_map()
    stack.status = "CREATE_COMPLETE"
    simulator.cloudformation.stacks[stack_id] = stack
    return names.stack, stack_id


@contextlib.contextmanager
def _fast_ec2_lookups(ec2: EC2Backend) -> Iterator[None]:
    """moto finds an instance by scanning copies of every reservation, and a resource's tags by scanning every
    tag, which makes thousands of Auto Scaling groups quadratic to create. While seeding, the instance just
    launched is found from the newest reservation back, and a resource without tags is answered at once."""
    scan_tags = ec2.describe_tags

    def get_instance(instance_id: str) -> Any:
        for reservation in reversed(ec2.reservations.values()):
            for instance in reservation.instances:
                if instance.id == instance_id:
                    return instance
        raise InvalidInstanceIdError(instance_id)

    def describe_tags(filters: dict[str, list[str]] | None = None) -> list[dict[str, str]]:
        wanted = (filters or {}).get("resource-id", [])
        lone = len(wanted) == 1 and set(filters or {}) == {"resource-id"}
        if lone and wanted[0] not in ec2.tags and not any(c in wanted[0] for c in "*?"):
            return []
        return scan_tags(filters)

    setattr(ec2, "get_instance", get_instance)  # noqa: B010 (instance-level: this account only)
    setattr(ec2, "describe_tags", describe_tags)  # noqa: B010
    try:
        yield
    finally:
        for name in ("get_instance", "describe_tags"):
            if name in vars(ec2):
                delattr(ec2, name)


def _count_cluster_tasks(simulator: Simulator) -> None:
    """DescribeClusters reports the running and pending tasks and the active services of each cluster, as AWS
    does: moto counts only tasks started by RunTask, and the simulator moves service counts instead."""
    backend = simulator.ecs
    describe = backend.describe_clusters

    def describe_clusters(cluster_names: list[str]) -> tuple[list[Any], list[Any]]:
        clusters, failures = describe(cluster_names)
        with simulator.lock:
            counts: dict[str, list[int]] = {}
            for service in backend.services.values():
                if service.status == "ACTIVE":
                    total = counts.setdefault(service.cluster_arn, [0, 0, 0])
                    total[0] += service.running_count
                    total[1] += service.pending_count
                    total[2] += 1
            for cluster in clusters:
                running, pending, active = counts.get(cluster.arn, (0, 0, 0))
                cluster.running_tasks_count, cluster.pending_tasks_count = running, pending
                cluster.active_services_count = active
        return clusters, failures

    setattr(backend, "describe_clusters", describe_clusters)  # noqa: B010 (instance-level: this account only)


# -- moto accounts -------------------------------------------------------------------------------------------------


def _claim_account() -> tuple[str, bool]:
    """An account for a new sandbox (and whether MOTO_ACCOUNT_ID forces it): `SANDBOX_ACCOUNT_ID` if no live
    sandbox has it, else a fresh one. Never moto's default account."""
    forced = os.environ.get("MOTO_ACCOUNT_ID")
    with _ACCOUNTS_LOCK:
        if forced:
            if forced in _LIVE_ACCOUNTS:
                raise SandboxError(
                    f"MOTO_ACCOUNT_ID={forced} forces every request into one account, and a sandbox already "
                    "uses it; unset MOTO_ACCOUNT_ID to run several sandboxes in one process"
                )
            _LIVE_ACCOUNTS.add(forced)
            return forced, True
        account = SANDBOX_ACCOUNT_ID
        while account in _LIVE_ACCOUNTS or account == DEFAULT_ACCOUNT_ID:
            account = str(random.randrange(10**11, 10**12))
        _LIVE_ACCOUNTS.add(account)
        return account, False


def _release_account(account_id: str) -> None:
    with _ACCOUNTS_LOCK:
        _LIVE_ACCOUNTS.discard(account_id)


def _register_key(account_id: str, key_id: str | None = None, secret: str | None = None) -> tuple[str, str]:
    """An access key moto maps to `account_id` (moto looks request keys up in its IAM backends)."""
    iam = iam_backends[account_id]["aws"]
    key = iam.create_temp_access_key()
    if key_id is not None:
        del iam.access_keys[key.access_key_id]
        key.access_key_id = key_id
        key.secret_access_key = secret or key.secret_access_key
        iam.access_keys[key_id] = key
    return key.access_key_id, key.secret_access_key


class _ClientOnFirstUse:
    """Stands for a sandbox's boto3 client of one service, which the sandbox makes when an attribute is first
    asked for (and then keeps, as `Sandbox.client` does)."""

    def __init__(self, sandbox: Sandbox, service_name: str) -> None:
        self._sandbox = sandbox
        self._service_name = service_name
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._sandbox.client(self._service_name)
        return getattr(self._client, name)


def _forget_account(account_id: str) -> None:
    """Drop every moto backend of one account (state of an earlier sandbox in it), and let it go from memory.

    moto keeps two more references to it: the regions of each account's backends are cached per backend object
    (`AccountSpecificBackend._generate_regions`, an lru_cache that holds up to 128 of them), and every model object
    it makes is listed on its class for its dashboard (`instances_tracked`), most of them with nothing that names
    their account. Without letting go of those, each sandbox a process had run stayed in memory, and every full
    garbage collection walked them all. The lists are emptied as moto's own reset empties them: the sandbox never
    reads them, and a live sandbox's objects stay where its backends hold them."""
    instances: list[BackendDict[Any]] = list(getattr(BackendDict, "_instances", []))
    for backend_dict in instances:
        with contextlib.suppress(KeyError):
            del backend_dict[account_id]
    cached_regions = getattr(AccountSpecificBackend._generate_regions, "cache_clear", None)
    if cached_regions is not None:
        cached_regions()  # the cache is only read when a backend object is made: nothing live is slower for it
    reset_model_data()


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            raise SandboxError(f"cannot start the sandbox on {LOOPBACK}:{port}: {error.strerror}") from None
