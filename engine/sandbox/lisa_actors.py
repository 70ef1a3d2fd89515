"""LISA's own server-side writers, played by the sandbox so that the console is tested against them.

`StatusMonitor` is LISA's ScheduleMonitoring Lambda (`lambda/models/scheduling/schedule_monitoring.py`): on every
Auto Scaling "EC2 Instance Launch Successful" or "EC2 Instance Terminate Successful" event, a few seconds later, it
finds the model whose record names the group (a Scan of the models table, as LISA does), counts the group's
InService instances and writes `model_status` (InService when any runs, else Stopped), `lastStatusUpdate` and
`statusReason` with an unconditional UpdateItem — whatever job holds the model.

`LiteLLMSync` and `ContextWindowBackfill` are the custom resources a LISA deploy runs
(`lambda/models/litellm_model_sync.py`, `lambda/models/model_context_window_backfill.py`); `LisaActors.redeploy()`
plays a deploy, on demand. Each writes only its attributes, unconditionally, as LISA's do.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from boto3.dynamodb.types import TypeDeserializer

from engine.sandbox.seed import MODELS_BUCKET
from engine.sandbox.simulator import Simulator

if TYPE_CHECKING:
    from engine.sandbox.server import Sandbox

log = logging.getLogger(__name__)

MONITOR_DELAY_S: Final = 2.0
"""How long after an instance event LISA's Lambda writes (EventBridge delivery and a cold start)."""
_DESERIALIZER: Final = TypeDeserializer()


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

    def observe(self, group_name: str) -> None:
        """Write now, as after an instance event of the group (for tests: no launch or terminate needed)."""
        self._write(group_name)

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


# -- LISA's deploy-time custom resources -------------------------------------------------------------------------


class _LiteLLMAdmin:
    """The two admin routes LISA's Lambdas call, over HTTP as theirs do (`Authorization: <management key>`)."""

    def __init__(self, admin_url: str, management_key: str) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.management_key = management_key

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.admin_url + path, data=data, method=method)
        request.add_header("Authorization", self.management_key)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def list_models(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/model/info")["data"])

    def add_model(self, model_name: str, litellm_params: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/model/new", {"model_name": model_name, "litellm_params": litellm_params}))


def _scan(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table_name}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend({k: _DESERIALIZER.deserialize(v) for k, v in raw.items()} for raw in page.get("Items", ()))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _epoch_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def sync_litellm_params(item: Mapping[str, Any]) -> dict[str, Any]:
    """What LISA's sync registers a record with (its own rule, not AddModelToLitellm's): a record with a model URL
    and an `autoScalingConfig` is LISA-managed and gets `hosted_vllm/` (vLLM) or `openai/` (anything else, a
    leading `openai/` not doubled) with `api_base` the URL ending in `/v1`; any other record the bare modelName.
    No `litellm_settings`, no `api_key`; videogen without `drop_params`."""
    config = item.get("model_config") or {}
    name = str(config.get("modelName", ""))
    url = str(item.get("model_url") or "")
    params: dict[str, Any] = {} if str(config.get("modelType", "")).upper() == "VIDEOGEN" else {"drop_params": True}
    if not (url and config.get("autoScalingConfig")):
        params["model"] = name
        return params
    if str(config.get("inferenceContainer", "")).lower() == "vllm":
        params["model"] = f"hosted_vllm/{name}"
    else:
        params["model"] = f"openai/{name.removeprefix('openai/')}"
    params["api_base"] = url if url.endswith("/v1") else f"{url}/v1"
    return params


@dataclass
class SyncReport:
    synced: dict[str, str] = field(default_factory=dict)
    """model id → the LiteLLM id registered and written to its record."""
    skipped: list[str] = field(default_factory=list)
    """Eligible, but LiteLLM already had an entry of that model name."""
    already_synced: list[str] = field(default_factory=list)
    """InService with a `litellm_id` (not force)."""
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class LiteLLMSync:
    """LISA's `litellm_model_sync` custom resource, run on every deploy: every `InService` record without a
    `litellm_id` (every `InService` one with `force`) whose model id LiteLLM does not already list by
    `model_name` is registered, and its record gets `litellm_id` and `last_modified_date` with an unconditional
    UpdateItem. Records in any other status are left alone."""

    dynamodb: Any
    table_name: str
    litellm: _LiteLLMAdmin
    runs: list[SyncReport] = field(default_factory=list)

    def run(self, *, force: bool = False) -> SyncReport:
        report = SyncReport()
        eligible: list[dict[str, Any]] = []
        for item in _scan(self.dynamodb, self.table_name):
            if item.get("model_status") != "InService":
                continue
            if force or not item.get("litellm_id"):
                eligible.append(item)
            else:
                report.already_synced.append(str(item.get("model_id", "")))
        if eligible:
            try:
                names = {str(entry.get("model_name", "")) for entry in self.litellm.list_models()}
            except (OSError, ValueError, KeyError):
                log.warning("sandbox: LISA's LiteLLM sync could not list LiteLLM's models", exc_info=True)
                names = set()
            for item in eligible:
                self._sync_one(item, names, report)
        self.runs.append(report)
        log.info("sandbox: LISA's LiteLLM sync registered %s", sorted(report.synced) or "nothing")
        return report

    def _sync_one(self, item: Mapping[str, Any], names: set[str], report: SyncReport) -> None:
        model_id = str(item.get("model_id", ""))
        if model_id in names:
            report.skipped.append(model_id)
            return
        try:
            answer = self.litellm.add_model(model_id, sync_litellm_params(item))
            info = answer.get("model_info")
            litellm_id = (info.get("id") if isinstance(info, Mapping) else None) or answer.get("id")
            litellm_id = litellm_id or answer.get("model_id")
            if litellm_id:
                self.dynamodb.update_item(
                    TableName=self.table_name,
                    Key={"model_id": {"S": model_id}},
                    UpdateExpression="SET litellm_id = :lid, last_modified_date = :lm",
                    ExpressionAttributeValues={":lid": {"S": str(litellm_id)}, ":lm": {"N": str(_epoch_ms())}},
                )
                report.synced[model_id] = str(litellm_id)
        except Exception as error:  # LISA logs a model's failure and goes on with the next
            report.failed[model_id] = f"{type(error).__name__}: {error}"


_MANAGED_FIELDS: Final = (
    "autoScalingConfig",
    "containerConfig",
    "inferenceContainer",
    "instanceType",
    "loadBalancerConfig",
)


@dataclass
class BackfillReport:
    enriched: dict[str, int] = field(default_factory=dict)
    """model id → the `context_window` written (0 when nothing told it)."""
    skipped: list[str] = field(default_factory=list)
    """Records that already had a `context_window`."""
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class ContextWindowBackfill:
    """LISA's `model_context_window_backfill` custom resource, run once, at the deploy that creates it: every
    record without a `context_window`, in any status, gets one with an unconditional UpdateItem (plus
    `last_modified_date`). A LISA-managed record (all of autoScalingConfig, containerConfig, inferenceContainer,
    instanceType and loadBalancerConfig set) takes `max_position_embeddings` from `<modelName>/config.json` in
    the models bucket (imagegen: `<modelName>/text_encoder/config.json` too); any other, `max_input_tokens` from
    LiteLLM's model info (by `litellm_id`, else by model name). Nothing found: 0. The container environment
    (`VLLM_MAX_MODEL_LEN`) is not read here; LISA's CreateModel and UpdateModel use it."""

    dynamodb: Any
    s3: Any
    table_name: str
    models_bucket: str
    litellm: _LiteLLMAdmin
    runs: list[BackfillReport] = field(default_factory=list)

    def run(self) -> BackfillReport:
        report = BackfillReport()
        for item in _scan(self.dynamodb, self.table_name):
            model_id = str(item.get("model_id") or "")
            if not model_id:
                continue
            if item.get("context_window") is not None:
                report.skipped.append(model_id)
                continue
            try:
                window = self._lookup(item, model_id)
                self.dynamodb.update_item(
                    TableName=self.table_name,
                    Key={"model_id": {"S": model_id}},
                    UpdateExpression="SET context_window = :cw, last_modified_date = :lm",
                    ExpressionAttributeValues={":cw": {"N": str(window)}, ":lm": {"N": str(_epoch_ms())}},
                )
                report.enriched[model_id] = window
            except Exception as error:
                report.failed[model_id] = f"{type(error).__name__}: {error}"
        self.runs.append(report)
        log.info("sandbox: LISA's context-window backfill wrote %s", report.enriched or "nothing")
        return report

    def _lookup(self, item: Mapping[str, Any], model_id: str) -> int:
        config = item.get("model_config") or {}
        if all(config.get(name) for name in _MANAGED_FIELDS) and self.models_bucket:
            found = self._from_bucket(str(config.get("modelName", "")), str(config.get("modelType", "")))
        else:
            found = self._from_litellm(item.get("litellm_id"), model_id)
        return 0 if found is None else found

    def _from_bucket(self, model_name: str, model_type: str) -> int | None:
        keys = [f"{model_name}/config.json"]
        if model_type.upper() == "IMAGEGEN":
            keys.append(f"{model_name}/text_encoder/config.json")
        for key in keys:
            try:
                body = self.s3.get_object(Bucket=self.models_bucket, Key=key)["Body"].read()
                value = json.loads(body).get("max_position_embeddings")
            except Exception:  # a missing key or bucket, unreadable JSON: LISA tries the next path
                log.debug("sandbox: backfill could not read s3://%s/%s", self.models_bucket, key, exc_info=True)
                continue
            if value is not None:
                return int(value)
        return None

    def _from_litellm(self, litellm_id: Any, model_id: str) -> int | None:
        try:
            entries = self.litellm.list_models()
        except (OSError, ValueError, KeyError):
            return None
        by_id = [e for e in entries if litellm_id and (e.get("model_info") or {}).get("id") == litellm_id]
        by_name = [e for e in entries if e.get("model_name") == model_id]
        for matches in (by_id, by_name):
            try:
                return int(matches[0]["model_info"]["max_input_tokens"])
            except (IndexError, KeyError, TypeError, ValueError):
                continue
        return None


@dataclass(frozen=True)
class Deploy:
    """What one played LISA deploy did."""

    sync: SyncReport
    backfill: BackfillReport | None


@dataclass
class LisaActors:
    """LISA's server-side writers on one sandbox: the status monitor (event-driven, attached by the sandbox) and
    the custom resources a LISA deploy runs, played when a test or `sandbox serve` says LISA was deployed."""

    simulator: Simulator
    sync: LiteLLMSync
    backfill: ContextWindowBackfill
    monitor: StatusMonitor | None = None
    deploys: list[Deploy] = field(default_factory=list)

    @classmethod
    def of(cls, sandbox: Sandbox) -> LisaActors:
        admin = _LiteLLMAdmin(sandbox.litellm.admin_url, sandbox.litellm.management_key)
        dynamodb = sandbox.client("dynamodb")
        return cls(
            simulator=sandbox.simulator,
            sync=LiteLLMSync(dynamodb, sandbox.table_name, admin),
            backfill=ContextWindowBackfill(dynamodb, sandbox.client("s3"), sandbox.table_name, MODELS_BUCKET, admin),
            monitor=sandbox.status_monitor,
        )

    def redeploy(self, *, force: bool = False, backfill: bool = False) -> Deploy:
        """LISA was deployed now: its LiteLLM sync runs (`force`: every InService model, as the custom
        resource's `force` property); `backfill`: this is the deploy that creates the context-window backfill
        (it runs only then)."""
        deploy = Deploy(self.sync.run(force=force), self.backfill.run() if backfill else None)
        self.deploys.append(deploy)
        return deploy

    def redeploy_every(self, seconds: float) -> None:
        """A LISA deploy every `seconds` on the simulator's clock, the first one creating the backfill."""
        if seconds <= 0:
            raise ValueError("the interval between deploys must be > 0 s")

        def deploy() -> bool:
            self.redeploy(backfill=not self.deploys)
            self.simulator.schedule("lisa deploy", deploy, after=seconds)
            return True

        self.simulator.schedule("lisa deploy", deploy, after=seconds)
