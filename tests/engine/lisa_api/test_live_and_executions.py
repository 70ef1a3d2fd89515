"""The watchers a follower reads beside LISA's API when the credentials can read AWS: LISA's execution of the
change in Step Functions (found by its input, its states told, a failure its output records reported) and the
model's live ECS service. On a clock that skips the waits between polls (the sandbox runs on the same clock)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.aws.inventory import Inventory
from engine.clock import SkippingClock
from engine.jobs.events import JobEvent
from engine.lisa_api.client import LisaApi
from engine.lisa_api.executions import ExecutionWatch, state_machine_arns
from engine.lisa_api.follow import Follower, delete_expected, update_expected
from engine.lisa_api.live import LiveWatch, Watcher
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus

CLOCK = SkippingClock()
FAILING = "mistral-7b-instruct"
CHANGE = {"containerConfig": {"environment": {"VLLM_MAX_MODEL_LEN": "4096", "MAX_TOTAL_TOKENS": "4096"}}}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(
        ambient=False,
        rollout_seconds=1.0,
        warmup_seconds=0.5,
        clock=CLOCK,
        fail_rollout=[FAILING],
    ) as running:
        yield running


@pytest.fixture
def clients(sandbox: Sandbox) -> AwsClients:
    return AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)


@pytest.fixture
def api(sandbox: Sandbox) -> LisaApi:
    return LisaApi(sandbox.lisa_api_url, sandbox.lisa_api_admin_token)


def follower(api: LisaApi, events: list[JobEvent], *watchers: Watcher) -> Follower:
    follow = Follower(api, clock=CLOCK, interval_s=5.0, deadline_s=900.0, listeners=(events.append,), watchers=watchers)
    follow.begin()
    return follow


def test_the_deployments_machines_are_found_by_lisas_construct_id(sandbox: Sandbox, clients: AwsClients) -> None:
    arns = state_machine_arns(clients, "UpdateModel", sandbox.deployment_name)
    assert len(arns) == 1 and arns[0].endswith(f":UpdateModelSM-{sandbox.deployment_name}")
    assert state_machine_arns(clients, "CreateModel", None) != arns


def test_the_execution_alone_reports_the_failed_rollout(sandbox: Sandbox, api: LisaApi, clients: AwsClients) -> None:
    events: list[JobEvent] = []
    watch = ExecutionWatch(clients, "UpdateModel", FAILING, sandbox.deployment_name)
    follow = follower(api, events, watch)
    api.update_model(FAILING, CHANGE)
    result = follow.follow(FAILING, update_expected(ModelStatus.IN_SERVICE, None))
    assert not result.ok and result.final_status is ModelStatus.IN_SERVICE
    assert result.message == (
        f"LISA's UpdateModel execution recorded that the ECS rollout failed for {FAILING}: ECS deployment failed "
        f"for model '{FAILING}'; LISA does not roll it back: the service keeps the new task definition while its "
        "earlier deployment goes on serving, and LISA put the model's status back"
    )
    told = [event.message for event in events if event.step == "execution"]
    assert told[0].startswith("LISA's UpdateModel execution ")
    entered = [message.rsplit(" ", 1)[-1] for message in told if " entered " in message]
    assert entered[:2] == ["HandleJobIntake", "HandleEcsUpdate"] and entered[-1] == "HandleFinishUpdate"
    assert "HandlePollEcsDeployment" in entered
    assert told[-1] == "LISA's UpdateModel execution ended SUCCEEDED"


def test_an_execution_of_another_model_is_not_taken(sandbox: Sandbox, api: LisaApi, clients: AwsClients) -> None:
    events: list[JobEvent] = []
    watch = ExecutionWatch(clients, "UpdateModel", "titan-embed-v2", sandbox.deployment_name)
    follow = follower(api, events, watch)
    api.update_model("claude-3-5-sonnet", {"modelDescription": "someone else's change"})
    api.update_model("titan-embed-v2", {"modelDescription": "ours"})
    result = follow.follow(
        "titan-embed-v2", update_expected(ModelStatus.IN_SERVICE, lambda m: m.get("modelDescription") == "ours")
    )
    assert result.ok, result.message
    found = next(event.message for event in events if "UpdateModel execution " in event.message)
    assert sandbox.lisa_api is not None
    assert found.endswith(sandbox.lisa_api.models.executions.of_model("titan-embed-v2")[-1].name)


def test_a_delete_is_followed_to_its_executions_end(sandbox: Sandbox, api: LisaApi, clients: AwsClients) -> None:
    events: list[JobEvent] = []
    live = LiveWatch(Inventory(clients, discover_deployment(clients, sandbox.prefix)), "nova-pro")
    follow = follower(api, events, live, ExecutionWatch(clients, "DeleteModel", "nova-pro", sandbox.deployment_name))
    api.delete_model("nova-pro")
    result = follow.follow("nova-pro", delete_expected())
    assert result.ok, result.message
    assert "LISA's DeleteModel execution ended SUCCEEDED" in [event.message for event in events]


def test_the_machine_lisas_api_functions_name_comes_first(sandbox: Sandbox, clients: AwsClients) -> None:
    ours = state_machine_arns(clients, "UpdateModel", sandbox.deployment_name)[0]
    role = f"arn:aws:iam::{sandbox.account_id}:role/{sandbox.deployment_name}-ModelApiRole"
    stepfunctions = sandbox.client("stepfunctions")
    definition = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
    decoy = stepfunctions.create_state_machine(name="UpdateModelSM-other", definition=definition, roleArn=role)
    try:
        assert len(state_machine_arns(clients, "UpdateModel", None)) == 2  # by name alone: both
        sandbox.client("lambda").create_function(
            FunctionName=f"{sandbox.deployment_name}-models-api",
            Runtime="python3.13",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": zipped("def handler(event, context):\n    return event\n")},
            Environment={"Variables": {"MODEL_TABLE_NAME": sandbox.table_name, "UPDATE_SFN_ARN": ours}},
        )
        assert state_machine_arns(clients, "UpdateModel", None, sandbox.table_name) == [ours]
        assert state_machine_arns(clients, "UpdateModel", None, "another-table") != [ours]
    finally:
        stepfunctions.delete_state_machine(stateMachineArn=decoy["stateMachineArn"])


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()
