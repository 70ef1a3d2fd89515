"""What a failing AWS call reads like: a web page summarised, https to an http port named, throttling on its own,
and a deployment not found under the prefix says which account and region were searched."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from engine.aws.clients import AwsClients
from engine.aws.discovery import caller_identity, discover_deployment
from engine.aws.errors import DeploymentNotFound, DeploymentUnreachable, NotAnAwsEndpoint, Throttled, page_summary
from engine.aws.models_table import ModelsTable
from tests.engine.aws.conftest import PREFIX, REGION, TABLE
from tests.loopback import NGINX_PAGE, THROTTLED_BODY, answering


def loopback_clients(endpoint: str) -> AwsClients:
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION)
    return AwsClients(session, version="1", endpoint_url=endpoint, max_attempts=1)


@pytest.mark.parametrize("status", [404, 502])
def test_a_web_page_is_summarised_by_status_and_title(status: int) -> None:
    with answering(status, NGINX_PAGE, "text/html") as endpoint:
        clients = loopback_clients(endpoint)
        with pytest.raises(NotAnAwsEndpoint) as json_api:
            discover_deployment(clients, PREFIX)
        with pytest.raises(NotAnAwsEndpoint) as query_api:  # STS speaks XML: botocore keeps no body at all
            caller_identity(clients)
    message = str(json_api.value)
    assert f"HTTP {status}" in message and "Welcome to nginx!" in message and "ssm:GetParameters" in message
    assert "<" not in message and "web server works" not in message and len(message) < 400
    assert json_api.value.code == "NotAnAwsEndpoint" and "endpoint URL" in json_api.value.advice
    assert f"HTTP {status}" in str(query_api.value) and "<" not in str(query_api.value)


def test_a_web_page_answering_200_is_not_taken_for_an_empty_deployment() -> None:
    with (
        answering(200, NGINX_PAGE, "text/html; charset=utf-8") as endpoint,
        pytest.raises(NotAnAwsEndpoint, match="HTTP 200"),
    ):
        discover_deployment(loopback_clients(endpoint), PREFIX)


def test_page_summary_falls_back_to_the_first_heading_then_the_first_line() -> None:
    assert page_summary("<html><body><h1>502 Bad &amp; Gateway</h1><p>nginx</p></body></html>") == "502 Bad & Gateway"
    assert page_summary("<html><body>\n\n  Service   down \n for maintenance</body></html>") == "Service down"
    assert len(page_summary("<title>" + "x" * 500 + "</title>")) == 120


def test_https_to_a_plain_http_port_is_named_as_such() -> None:
    with answering(200, b"{}", "application/json") as endpoint:
        https = endpoint.replace("http://", "https://")
        with pytest.raises(DeploymentUnreachable) as caught:
            ModelsTable(loopback_clients(https), TABLE).scan()
    assert caught.value.code == "HttpNotHttps"
    assert "speaks http, not https" in str(caught.value)
    assert f"use {endpoint}" in caught.value.advice
    assert "proxy" not in str(caught.value)


def test_throttling_that_outlasts_the_retries_is_its_own_error() -> None:
    with answering(400, THROTTLED_BODY, "application/x-amz-json-1.0") as endpoint, pytest.raises(Throttled) as caught:
        ModelsTable(loopback_clients(endpoint), TABLE).scan()
    assert caught.value.code == "Throttled"
    assert "throttling dynamodb:Scan" in str(caught.value) and "Rate exceeded" in str(caught.value)
    assert "wait a minute" in caught.value.advice and "reach" not in str(caught.value)


def test_throttling_from_a_stubbed_client(clients: AwsClients) -> None:
    with Stubber(clients.dynamodb()) as stub:
        stub.add_client_error("scan", service_error_code="ProvisionedThroughputExceededException", http_status_code=400)
        with pytest.raises(Throttled):
            ModelsTable(clients, TABLE).scan()


def test_no_deployment_names_the_account_and_region_searched(clients: AwsClients) -> None:
    account = caller_identity(clients).account
    with pytest.raises(DeploymentNotFound) as caught:
        discover_deployment(clients, "/prod/elsewhere")
    assert caught.value.code == "DeploymentNotFound"
    assert (caught.value.account, caught.value.region) == (account, REGION)
    assert f"in account {account}, region {REGION}" in str(caught.value)


def test_credentials_of_another_account_are_named_as_such(clients: AwsClients) -> None:
    account = caller_identity(clients).account
    with pytest.raises(DeploymentNotFound) as caught:
        discover_deployment(clients, "/prod/elsewhere", expected_account="999988887777")
    assert caught.value.code == "WrongAccount"
    assert f"these credentials are for account {account}, but the deployment is in account 999988887777" in str(
        caught.value
    )


def test_the_account_is_left_out_when_the_identity_cannot_be_read(clients: AwsClients) -> None:
    with Stubber(clients.sts()) as stub:
        stub.add_client_error("get_caller_identity", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(DeploymentNotFound) as caught:
            discover_deployment(clients, "/prod/elsewhere")
    assert caught.value.account is None
    assert f"under the prefix '/prod/elsewhere' in region {REGION}" in str(caught.value)
