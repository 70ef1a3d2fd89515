"""The one factory of boto3 clients: retry mode, timeouts, user agent and sandbox endpoint in one place."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials

from engine.aws.errors import DeploymentUnreachable, translate_errors

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_service_quotas import ServiceQuotasClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

CONNECT_TIMEOUT_S: Final = 5
READ_TIMEOUT_S: Final = 30
# Total attempts, the first included (as AWS_MAX_ATTEMPTS counts them; botocore's `total_max_attempts`).
MAX_ATTEMPTS_AWS: Final = 5
# moto's server answers a call it does not implement with HTTP 500, which botocore retries with backoff:
# against the sandbox, give up after one retry.
MAX_ATTEMPTS_SANDBOX: Final = 2

_T = TypeVar("_T")
_R = TypeVar("_R")


class AwsClients:
    """Creates and caches one boto3 client per service for one session (boto3 clients are thread-safe).

    Every client retries in botocore's `adaptive` mode (throttling included: nothing in the engine retries by
    hand), times out after 5 s connecting / 30 s reading, and announces itself as `lisa-desktop/<version>`.
    With `endpoint_url` (the sandbox) every client talks to that endpoint and gives up sooner.
    """

    def __init__(
        self,
        session: boto3.Session,
        *,
        version: str,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        max_attempts: int | None = None,
        on_call: Callable[[str], None] | None = None,
    ) -> None:
        """`on_call` is told the operation name of every call the clients make (the inventory reader counts
        them)."""
        region = region_name or session.region_name
        if not region:
            profile = session.profile_name
            raise DeploymentUnreachable(
                "NoRegion",
                "no AWS region is configured" + (f" for profile '{profile}'" if profile else ""),
                f"run: aws configure set region <region> --profile {profile}"
                if profile
                else "set AWS_REGION or choose a region for the connection",
            )
        self._session = session
        self._version = version
        self._call_listeners: list[Callable[[str], None]] = [on_call] if on_call is not None else []
        self._region: str = region
        self._endpoint_url = endpoint_url
        attempts = max_attempts or (MAX_ATTEMPTS_SANDBOX if endpoint_url else MAX_ATTEMPTS_AWS)
        self._max_attempts = attempts
        self._config = Config(
            region_name=region,
            retries={"mode": "adaptive", "total_max_attempts": attempts},
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            user_agent_extra=f"lisa-desktop/{version}",
        )
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    @property
    def region(self) -> str:
        return self._region

    @property
    def endpoint_url(self) -> str | None:
        return self._endpoint_url

    @property
    def profile_name(self) -> str | None:
        """The profile the session uses (boto3 says "default" when none was named)."""
        return self._session.profile_name

    @property
    def version(self) -> str:
        return self._version

    def frozen_credentials(self) -> ReadOnlyCredentials:
        """The session's credentials as they are now (renewed first when they are about to expire: this may call
        AWS); DeploymentUnreachable when there are none."""
        with self.errors():
            credentials = self._session.get_credentials()
            if credentials is None:
                raise DeploymentUnreachable(
                    "NoCredentials",
                    "no AWS credentials were found",
                    "configure a profile (aws configure) or add the connection again with a key",
                )
            return credentials.get_frozen_credentials()

    @property
    def config(self) -> Config:
        return self._config

    @property
    def max_attempts(self) -> int:
        return self._max_attempts

    def errors(self, action: str | None = None, resource: str | None = None) -> AbstractContextManager[None]:
        """`translate_errors` for a call of this factory's clients (knows the profile for the advice)."""
        return translate_errors(action, resource, profile=self._session.profile_name, endpoint=self._endpoint_url)

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is not None:
            return client
        # boto3.Session is not thread-safe while creating clients; the clients themselves are.
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                with self.errors():
                    client = self._session.client(
                        service,  # type: ignore[call-overload]
                        endpoint_url=self._endpoint_url,
                        config=self._config,
                    )
                client.meta.events.register("before-call.*.*", self._tell_listeners)
                self._clients[service] = client
            return client

    def add_call_listener(self, listener: Callable[[str], None]) -> None:
        """Tell `listener` the operation name of every call the clients make from now on (made or yet to be)."""
        with self._lock:
            self._call_listeners.append(listener)

    def _tell_listeners(self, model: Any, **_: Any) -> None:
        for listener in self._call_listeners:
            listener(model.name)

    def dynamodb(self) -> DynamoDBClient:
        return cast("DynamoDBClient", self._client("dynamodb"))

    def ecs(self) -> ECSClient:
        return cast("ECSClient", self._client("ecs"))

    def autoscaling(self) -> AutoScalingClient:
        return cast("AutoScalingClient", self._client("autoscaling"))

    def cloudformation(self) -> CloudFormationClient:
        return cast("CloudFormationClient", self._client("cloudformation"))

    def ssm(self) -> SSMClient:
        return cast("SSMClient", self._client("ssm"))

    def lambda_functions(self) -> Any:
        """The Lambda client (untyped: only ListFunctions is used, to read LISA's model-management settings)."""
        return self._client("lambda")

    def secretsmanager(self) -> SecretsManagerClient:
        return cast("SecretsManagerClient", self._client("secretsmanager"))

    def sts(self) -> STSClient:
        return cast("STSClient", self._client("sts"))

    def service_quotas(self) -> ServiceQuotasClient:
        return cast("ServiceQuotasClient", self._client("service-quotas"))

    def ecr(self) -> ECRClient:
        return cast("ECRClient", self._client("ecr"))

    def ec2(self) -> EC2Client:
        return cast("EC2Client", self._client("ec2"))

    def logs(self) -> Any:
        """The CloudWatch Logs client (untyped: no mypy_boto3 stubs for it; only GetLogEvents is used)."""
        return self._client("logs")

    def stepfunctions(self) -> Any:
        """The Step Functions client (untyped: no mypy_boto3 stubs; only LISA's model state machines' executions
        are listed and read, by team mode's follower)."""
        return self._client("stepfunctions")

    def s3(self) -> Any:
        """The S3 client (untyped: no mypy_boto3 stubs; only GetObject of a model's config.json is used)."""
        return self._client("s3")

    def elbv2(self) -> Any:
        """The Elastic Load Balancing v2 client (untyped: no mypy_boto3 stubs; only DescribeTargetHealth is used)."""
        return self._client("elbv2")


def map_concurrently(fn: Callable[[_T], _R], items: Sequence[_T], max_workers: int = 8) -> list[_R]:
    """`[fn(item) for item in items]`, run on up to `max_workers` threads; results in input order.

    For independent read calls (one per stack, one per cluster) whose latency would otherwise add up. The first
    exception raised by `fn` propagates, as in the sequential form.
    """
    if max_workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="lisa-aws") as pool:
        return list(pool.map(fn, items))
