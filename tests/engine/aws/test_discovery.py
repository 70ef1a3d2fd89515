from __future__ import annotations

import pytest
from botocore.stub import Stubber

from engine.aws.clients import AwsClients
from engine.aws.discovery import caller_identity, discover_deployment, normalize_prefix
from engine.aws.errors import DeploymentNotFound, DeploymentUnreachable
from tests.engine.aws.conftest import MANAGEMENT_KEY, PREFIX, SERVE_URI, TABLE, CallCounter, publish_deployment


def test_discovery_with_the_newer_secret_name_parameter(clients: AwsClients, counter: CallCounter) -> None:
    publish_deployment(clients, secret_parameter="appManagementKeySecretName")
    counter.reset()
    info = discover_deployment(clients, PREFIX)
    assert info.prefix == PREFIX
    assert info.models_table_name == TABLE
    assert info.litellm_base_url == SERVE_URI + "/v2/serve"
    assert info.management_key == MANAGEMENT_KEY
    assert counter.calls == ["GetParameters", "GetSecretValue", "GetParameters"]
    _, params = counter.params[0]
    assert params["WithDecryption"] is True
    assert len(params["Names"]) == 4
    # The optional tables and a sandbox's warm-up, in a call of their own.
    assert len(counter.params[2][1]["Names"]) == 4
    assert (info.guardrails_table_name, info.rag_repositories_table_name, info.rag_collections_table_name) == (
        None,
        None,
        None,
    )


def test_an_identity_that_may_not_read_the_optional_parameters_still_opens_the_deployment(
    clients: AwsClients,
) -> None:
    publish_deployment(clients)
    found = clients.ssm().get_parameters(Names=[f"{PREFIX}/modelTableName", f"{PREFIX}/lisaServeRestApiUri"])
    found["Parameters"].append({"Name": f"{PREFIX}/appManagementKeySecretName", "Value": "lisa-management-key"})
    with Stubber(clients.ssm()) as stub:
        stub.add_response("get_parameters", {"Parameters": found["Parameters"]})
        stub.add_client_error("get_parameters", service_error_code="AccessDeniedException", http_status_code=400)
        info = discover_deployment(clients, PREFIX)
    assert info.models_table_name == TABLE
    assert info.guardrails_table_name is None and info.rag_repositories_table_name is None


def test_discovery_with_the_older_secret_name_parameter(clients: AwsClients) -> None:
    publish_deployment(clients, secret_parameter="managementKeySecretName")
    assert discover_deployment(clients, PREFIX).management_key == MANAGEMENT_KEY


def test_the_newer_parameter_wins_when_both_exist(clients: AwsClients) -> None:
    publish_deployment(clients, secret_parameter="appManagementKeySecretName")
    clients.ssm().put_parameter(Name=f"{PREFIX}/managementKeySecretName", Value="old-secret", Type="String")
    clients.secretsmanager().create_secret(Name="old-secret", SecretString="old-key")
    assert discover_deployment(clients, PREFIX).management_key == MANAGEMENT_KEY


def test_prefix_is_normalized(clients: AwsClients) -> None:
    publish_deployment(clients)
    assert discover_deployment(clients, "dev/lisa/").prefix == PREFIX
    assert normalize_prefix(" /prod/lisa/ ") == "/prod/lisa"


def test_nothing_under_the_prefix(clients: AwsClients) -> None:
    publish_deployment(clients)
    with pytest.raises(DeploymentNotFound) as caught:
        discover_deployment(clients, "/prod/lisa")
    error = caught.value
    assert isinstance(error, DeploymentUnreachable)
    assert error.prefix == "/prod/lisa"
    assert "/prod/lisa/modelTableName" in error.missing_names
    assert "/prod/lisa/lisaServeRestApiUri" in error.missing_names
    assert any("appManagementKeySecretName" in name for name in error.missing_names)
    assert "no LISA deployment was found under the prefix '/prod/lisa'" in str(error)


def test_a_missing_secret(clients: AwsClients) -> None:
    ssm = clients.ssm()
    ssm.put_parameter(Name=f"{PREFIX}/modelTableName", Value=TABLE, Type="String")
    ssm.put_parameter(Name=f"{PREFIX}/lisaServeRestApiUri", Value=SERVE_URI, Type="String")
    ssm.put_parameter(Name=f"{PREFIX}/appManagementKeySecretName", Value="deleted-secret", Type="String")
    with pytest.raises(DeploymentNotFound) as caught:
        discover_deployment(clients, PREFIX)
    assert caught.value.missing_names == ("secret deleted-secret",)


def test_the_key_is_hidden_in_repr(clients: AwsClients) -> None:
    publish_deployment(clients)
    info = discover_deployment(clients, PREFIX)
    assert MANAGEMENT_KEY not in repr(info)
    assert TABLE in repr(info)


def test_caller_identity(clients: AwsClients) -> None:
    identity = caller_identity(clients)
    assert identity.account == "123456789012"
    assert identity.arn.startswith("arn:aws:")
