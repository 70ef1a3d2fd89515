"""Fixtures for the AWS gateways: moto in-process, a LISA-shaped deployment, a loopback LiteLLM registry."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from engine.aws.clients import AwsClients
from engine.aws.models_table import ModelsTable
from engine.aws.sessions import new_session

REGION = "us-east-1"
PREFIX = "/dev/lisa"
TABLE = "LisaModels"
MANAGEMENT_KEY = "sk-management-key-1234"
SERVE_URI = "https://serve.example.internal"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and no shared config: nothing can reach real AWS or read the developer's profile."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def moto(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, without EC2's public AMIs (read for every region moto resets, used by no test here)."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield


@pytest.fixture
def clients(moto: None) -> AwsClients:
    return AwsClients(new_session(region_name=REGION), version="9.9.9")


class CallCounter:
    """Counts AWS operations by name through a botocore `before-call` hook on the clients (and keeps the API
    parameters of each, from `before-parameter-build`)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.params: list[tuple[str, dict[str, Any]]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        """The most calls made at once (from `before-call` to `after-call`)."""
        self.call_takes_s = 0.0
        """Each call waits this long first, so that concurrent calls overlap."""
        self._lock = threading.Lock()

    def _on_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls.append(model.name)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.call_takes_s:
            time.sleep(self.call_takes_s)

    def _on_done(self, **_: Any) -> None:
        with self._lock:
            self.in_flight -= 1

    def _on_params(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.params.append((model.name, dict(params)))

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def reset(self) -> None:
        self.calls.clear()
        self.params.clear()
        self.most_in_flight = self.in_flight

    def watch(self, *aws_clients: Any) -> CallCounter:
        for client in aws_clients:
            client.meta.events.register("before-call.*.*", self._on_call)
            client.meta.events.register("after-call.*.*", self._on_done)
            client.meta.events.register("before-parameter-build.*.*", self._on_params)
        return self


@pytest.fixture
def counter(clients: AwsClients) -> CallCounter:
    return CallCounter().watch(
        clients.dynamodb(),
        clients.ecs(),
        clients.autoscaling(),
        clients.cloudformation(),
        clients.ssm(),
        clients.secretsmanager(),
    )


def create_models_table(clients: AwsClients, name: str = TABLE) -> None:
    clients.dynamodb().create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "model_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "model_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def table(clients: AwsClients) -> ModelsTable:
    create_models_table(clients)
    return ModelsTable(clients, TABLE, clock_ms=lambda: 1_800_000_000_000)


def publish_deployment(clients: AwsClients, *, secret_parameter: str = "appManagementKeySecretName") -> None:
    """The SSM parameters and the secret a LISA deployment publishes under its prefix."""
    ssm = clients.ssm()
    ssm.put_parameter(Name=f"{PREFIX}/modelTableName", Value=TABLE, Type="String")
    ssm.put_parameter(Name=f"{PREFIX}/lisaServeRestApiUri", Value=SERVE_URI + "/", Type="String")
    ssm.put_parameter(Name=f"{PREFIX}/{secret_parameter}", Value="lisa-management-key", Type="String")
    clients.secretsmanager().create_secret(Name="lisa-management-key", SecretString=MANAGEMENT_KEY)


@dataclass(frozen=True)
class ModelStack:
    model_id: str
    stack_name: str
    stack_id: str
    cluster: str
    service: str
    auto_scaling_group: str


def model_stack_template(model_id: str) -> dict[str, Any]:
    """A small stand-in for LISA's per-model stack: ECS cluster, task definition, service, launch template, ASG."""
    return {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": f"{model_id}-cluster"}},
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": f"{model_id}-model",
                    "ContainerDefinitions": [
                        {
                            "Name": "model",
                            "Image": "vllm/vllm-openai:v0.5.0",
                            "Memory": 2048,
                            "Environment": [{"Name": "MAX_TOTAL_TOKENS", "Value": "4096"}],
                        }
                    ],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": {"Ref": "Cluster"},
                    "ServiceName": f"{model_id}-svc",
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "DesiredCount": 1,
                },
            },
            "LaunchTemplate": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {
                    "LaunchTemplateName": f"{model_id}-lt",
                    "LaunchTemplateData": {"ImageId": "ami-12c6146b", "InstanceType": "g5.xlarge"},
                },
            },
            "AutoScalingGroup": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "AutoScalingGroupName": f"{model_id}-asg",
                    "MinSize": "1",
                    "MaxSize": "3",
                    "DesiredCapacity": "1",
                    "AvailabilityZones": [f"{REGION}a"],
                    "LaunchTemplate": {
                        "LaunchTemplateId": {"Ref": "LaunchTemplate"},
                        "Version": {"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]},
                    },
                },
            },
        },
        "Outputs": {
            "autoScalingGroup": {"Value": {"Ref": "AutoScalingGroup"}},
            "modelEndpointUrl": {"Value": f"http://{model_id}.alb.internal"},
        },
    }


def create_model_stack(clients: AwsClients, model_id: str, deployment: str = "lisa") -> ModelStack:
    stack_name = f"{deployment}-{model_id}"
    cfn = clients.cloudformation()
    stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(model_stack_template(model_id)))[
        "StackId"
    ]
    account = "123456789012"
    return ModelStack(
        model_id=model_id,
        stack_name=stack_name,
        stack_id=stack_id,
        cluster=f"{model_id}-cluster",
        service=f"arn:aws:ecs:{REGION}:{account}:service/{model_id}-cluster/{model_id}-svc",
        auto_scaling_group=f"{model_id}-asg",
    )


def make_groups(clients: AwsClients, names: list[str], min_size: int = 0, max_size: int = 3, desired: int = 0) -> None:
    ec2 = clients.ec2()
    template = ec2.create_launch_template(
        LaunchTemplateName=f"lt-{names[0]}", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g5.xlarge"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    for name in names:
        clients.autoscaling().create_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=min_size,
            MaxSize=max_size,
            DesiredCapacity=desired,
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            AvailabilityZones=[f"{REGION}a"],
        )


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class LiteLLMServer:
    """A LiteLLM-compatible model registry on a loopback port (LiteLLM is an external service)."""

    key: str
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    # path -> (status, body) answered instead of the normal behaviour
    overrides: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    new_model_response: Callable[[str], dict[str, Any]] | None = None
    delay_s: float = 0.0
    hold: threading.Event | None = None
    """When given, every request waits for it before it is answered (a server that does not answer yet)."""
    url: str = ""

    def add(self, litellm_id: str, model_name: str) -> None:
        self.models[litellm_id] = {
            "model_name": model_name,
            "litellm_params": {"model": model_name},
            "model_info": {"id": litellm_id},
        }

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)


def _handler_for(server_state: LiteLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:  # the client gave up (timeout tests)
                pass

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = json.loads(raw) if raw else None
            path = self.path.split("?", 1)[0].removeprefix("/v2/serve")
            server_state.requests.append(Recorded(method, path, dict(self.headers.items()), body))
            if server_state.delay_s:
                threading.Event().wait(server_state.delay_s)
            if server_state.hold is not None:
                server_state.hold.wait(60)
            if path in server_state.overrides:
                self._answer(*server_state.overrides[path])
                return
            if self.headers.get("Authorization") != server_state.key:
                self._answer(401, {"error": {"message": "Authentication Error, invalid key", "code": "401"}})
                return
            if method == "GET" and path == "/model/info":
                self._answer(200, {"data": list(server_state.models.values())})
            elif method == "POST" and path == "/model/new":
                new_id = str(uuid.uuid4())
                server_state.models[new_id] = {
                    "model_name": body["model_name"],
                    "litellm_params": body["litellm_params"],
                    "model_info": {"id": new_id},
                }
                answer = (
                    server_state.new_model_response(new_id)
                    if server_state.new_model_response
                    else {"model_id": new_id, "model_name": body["model_name"], "model_info": {"id": new_id}}
                )
                self._answer(200, answer)
            elif method == "POST" and path == "/model/delete":
                if server_state.models.pop(body["id"], None) is None:
                    self._answer(400, {"error": {"message": f"Model with id={body['id']} not found in db"}})
                else:
                    self._answer(200, {"message": f"Model: {body['id']} deleted successfully"})
            else:
                self._answer(404, {"detail": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


@pytest.fixture
def litellm_server() -> Iterator[LiteLLMServer]:
    state = LiteLLMServer(key=MANAGEMENT_KEY)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v2/serve"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="litellm-test-server", daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
