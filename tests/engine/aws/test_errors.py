from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.stub import Stubber

from engine.aws.clients import AwsClients
from engine.aws.errors import (
    AwsError,
    DeploymentUnreachable,
    ModelAlreadyExists,
    StatusChanged,
    from_client_error,
    translate_errors,
)
from engine.aws.models_table import ModelsTable
from engine.errors import InvalidInput, ModelNotFound, StatusNotAllowed
from tests.engine.aws.conftest import REGION, TABLE, closed_loopback_port


def client_error(code: str, message: str = "message", operation: str = "Scan") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def test_a_closed_loopback_endpoint_is_unreachable_quickly(aws_env: None) -> None:
    endpoint = f"http://127.0.0.1:{closed_loopback_port()}"
    clients = AwsClients(boto3.Session(region_name=REGION), version="1", endpoint_url=endpoint)
    sent: list[str] = []
    clients.dynamodb().meta.events.register("before-send.dynamodb.*", lambda **_: sent.append("sent"))
    with pytest.raises(DeploymentUnreachable) as caught:
        ModelsTable(clients, TABLE).scan()
    assert len(sent) == clients.max_attempts, "quickly: the sandbox's few attempts, not AWS's retries with backoff"
    assert caught.value.code == "EndpointUnreachable"
    assert endpoint in caught.value.advice
    assert "sandbox" in caught.value.advice


def test_access_denied_names_the_missing_action_and_resource(clients: AwsClients) -> None:
    with Stubber(clients.dynamodb()) as stub:
        stub.add_client_error(
            "scan",
            service_error_code="AccessDeniedException",
            service_message="User is not authorized",
            http_status_code=400,
        )
        with pytest.raises(DeploymentUnreachable) as caught:
            ModelsTable(clients, TABLE).scan()
    assert caught.value.code == "AccessDenied"
    assert "dynamodb:Scan on table LisaModels" in caught.value.advice
    assert "dynamodb:Scan" in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)


def test_access_denied_without_a_known_action_reads_it_from_the_message() -> None:
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/Admin/me is not authorized to perform: "
        "ecs:DescribeServices on resource: arn:aws:ecs:us-east-1:123456789012:service/c/s because no policy allows it"
    )
    error = from_client_error(client_error("AccessDeniedException", message, "DescribeServices"))
    assert isinstance(error, DeploymentUnreachable)
    assert "ecs:DescribeServices on arn:aws:ecs:us-east-1:123456789012:service/c/s" in error.advice
    denied = from_client_error(client_error("UnauthorizedOperation", "You are not authorized", "DescribeInstances"))
    assert isinstance(denied, DeploymentUnreachable)
    assert "DescribeInstances" in denied.advice


@pytest.mark.parametrize(
    "exc",
    [
        UnauthorizedSSOTokenError(),
        TokenRetrievalError(provider="sso", error_msg="Token has expired and refresh failed"),
        SSOTokenLoadError(error_msg="Token for https://x.awsapps.com/start does not exist"),
        CredentialRetrievalError(provider="sso", error_msg="expired"),
    ],
)
def test_an_expired_or_missing_sso_login_says_how_to_log_in(exc: Exception) -> None:
    with pytest.raises(DeploymentUnreachable) as caught, translate_errors("ecs:DescribeServices", profile="lisa-dev"):
        raise exc
    assert caught.value.code == "SsoTokenExpired"
    assert caught.value.advice == "run: aws sso login --profile lisa-dev"


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
def test_expired_session_credentials(code: str) -> None:
    with pytest.raises(DeploymentUnreachable) as caught, translate_errors(profile="ops"):
        raise client_error(code, "The security token included in the request is expired")
    assert caught.value.code == "ExpiredToken"
    assert "aws sso login --profile ops" in caught.value.advice


def test_no_credentials_at_all(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    endpoint = f"http://127.0.0.1:{closed_loopback_port()}"
    clients = AwsClients(boto3.Session(region_name=REGION), version="1", endpoint_url=endpoint)
    with pytest.raises(DeploymentUnreachable) as caught:
        ModelsTable(clients, TABLE).get("x")
    assert caught.value.code == "NoCredentials"
    assert isinstance(caught.value.__cause__, NoCredentialsError)


def test_throttling_after_botocores_retries_and_other_errors() -> None:
    with pytest.raises(DeploymentUnreachable) as throttled, translate_errors("dynamodb:Scan"):
        raise client_error("ThrottlingException", "Rate exceeded")
    assert throttled.value.code == "Throttled"
    with pytest.raises(AwsError) as other, translate_errors("dynamodb:Scan"):
        raise client_error("ResourceNotFoundException", "Requested resource not found")
    assert other.value.code == "ResourceNotFoundException"
    assert "dynamodb:Scan" in str(other.value)


def test_domain_errors_pass_through_unchanged() -> None:
    for error in (ModelNotFound("m"), StatusChanged("m", "InService", "Updating", "job-1"), ModelAlreadyExists("m")):
        with pytest.raises(type(error)) as caught, translate_errors():
            raise error
        assert caught.value is error


def test_translate_errors_is_also_a_decorator() -> None:
    @translate_errors("sts:GetCallerIdentity")
    def call() -> None:
        raise client_error("InvalidClientTokenId", "The security token included in the request is invalid")

    with pytest.raises(DeploymentUnreachable) as caught:
        call()
    assert caught.value.code == "InvalidCredentials"


def test_domain_errors_sit_in_the_hierarchy_the_cli_maps_to_exit_codes() -> None:
    assert isinstance(StatusChanged("m", "InService", "Updating"), StatusNotAllowed)
    duplicate = ModelAlreadyExists("m")
    assert isinstance(duplicate, InvalidInput)
    assert duplicate.problems[0].field == "modelId"
    changed = StatusChanged("m", "InService", "Updating", "job-7")
    assert "now Updating" in str(changed)
    assert "job-7" in str(changed)
