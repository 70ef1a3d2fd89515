"""The seeding's writes straight into moto's backends leave what the same requests leave: each is made both ways in
one sandbox, under two names, and read back through the API."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from engine.sandbox.moto_direct import (
    DirectAutoScaling,
    DirectCloudFormation,
    DirectDynamoDB,
    DirectEcs,
    DirectIam,
    DirectLambda,
    DirectSecretsManager,
    DirectSsm,
    DirectStepFunctions,
)
from engine.sandbox.server import Sandbox

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})


def without(value: Any, *keys: str) -> Any:
    """`value` with the keys that differ between any two resources (names, ARNs, ids, times) left out."""
    if isinstance(value, dict):
        return {key: without(item, *keys) for key, item in value.items() if key not in keys}
    if isinstance(value, list):
        return [without(item, *keys) for item in value]
    return value


def test_a_table_and_its_items(fresh_sandbox: Sandbox) -> None:
    dynamodb = fresh_sandbox.client("dynamodb")
    table: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-owner",
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"Enabled": True},
    }
    item = {"id": {"S": "a"}, "at": {"N": "12"}, "owner": {"S": "me"}, "tags": {"L": [{"S": "x"}, {"NULL": True}]}}
    DirectDynamoDB(fresh_sandbox.account_id, fresh_sandbox.region).create_table(TableName="direct", **table)
    DirectDynamoDB(fresh_sandbox.account_id, fresh_sandbox.region).put_item(TableName="direct", Item=item)
    dynamodb.create_table(TableName="requested", **table)
    dynamodb.put_item(TableName="requested", Item=item)

    varying = ("TableName", "TableArn", "TableId", "CreationDateTime", "IndexArn", "LatestStreamArn")
    direct, requested = (dynamodb.describe_table(TableName=name)["Table"] for name in ("direct", "requested"))
    assert without(direct, *varying) == without(requested, *varying)
    assert direct["SSEDescription"]["Status"] == "ENABLED"
    assert dynamodb.scan(TableName="direct")["Items"] == dynamodb.scan(TableName="requested")["Items"] == [item]


def test_provisioned_billing_needs_its_throughput(fresh_sandbox: Sandbox) -> None:
    direct = DirectDynamoDB(fresh_sandbox.account_id, fresh_sandbox.region)
    with pytest.raises(ValueError, match="ProvisionedThroughput"):
        direct.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        )


def test_a_parameter_a_secret_and_a_role(fresh_sandbox: Sandbox) -> None:
    account, region = fresh_sandbox.account_id, fresh_sandbox.region
    ssm, secrets, iam = (fresh_sandbox.client(name) for name in ("ssm", "secretsmanager", "iam"))
    DirectSsm(account, region).put_parameter(Name="/d/p", Value="v1", Type="String")
    DirectSsm(account, region).put_parameter(Name="/d/p", Value="v2", Type="String", Overwrite=True)
    ssm.put_parameter(Name="/r/p", Value="v1", Type="String")
    ssm.put_parameter(Name="/r/p", Value="v2", Type="String", Overwrite=True)
    varying = ("Name", "ARN", "LastModifiedDate")
    assert without(ssm.get_parameter(Name="/d/p")["Parameter"], *varying) == without(
        ssm.get_parameter(Name="/r/p")["Parameter"], *varying
    )

    DirectSecretsManager(account, region).create_secret(Name="d", SecretString="s3cret", Description="key")
    secrets.create_secret(Name="r", SecretString="s3cret", Description="key")
    varying = ("Name", "ARN", "CreatedDate", "LastChangedDate", "VersionId", "VersionIdsToStages", "ResponseMetadata")
    assert without(secrets.describe_secret(SecretId="d"), *varying) == without(
        secrets.describe_secret(SecretId="r"), *varying
    )
    assert secrets.get_secret_value(SecretId="d")["SecretString"] == "s3cret"

    arn = DirectIam(account).create_role(RoleName="d", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    direct, requested = (iam.get_role(RoleName=name)["Role"] for name in ("d", "r"))
    assert direct["Arn"] == arn
    varying = ("RoleName", "RoleId", "Arn", "CreateDate")
    assert without(direct, *varying) == without(requested, *varying)


def test_a_function(fresh_sandbox: Sandbox) -> None:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    role = DirectIam(fresh_sandbox.account_id).create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    function: dict[str, Any] = {
        "Runtime": "python3.13",
        "Role": role,
        "Handler": "index.handler",
        "Environment": {"Variables": {"A": "1", "B": json.dumps({"k": "v"})}},
    }
    DirectLambda(fresh_sandbox.account_id, fresh_sandbox.region).create_function(
        FunctionName="direct", ZipFile=code.getvalue(), **function
    )
    client = fresh_sandbox.client("lambda")
    client.create_function(FunctionName="requested", Code={"ZipFile": code.getvalue()}, **function)
    varying = ("FunctionName", "FunctionArn", "LastModified", "RevisionId", "CodeSha256")
    direct, requested = (client.get_function_configuration(FunctionName=name) for name in ("direct", "requested"))
    assert direct["CodeSha256"] == requested["CodeSha256"]
    assert without(direct, *varying, "ResponseMetadata") == without(requested, *varying, "ResponseMetadata")


def test_a_stack(fresh_sandbox: Sandbox) -> None:
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": {"Ref": "AWS::StackName"}}},
        },
        "Outputs": {"clusterName": {"Value": {"Ref": "Cluster"}}},
    }
    stack = DirectCloudFormation(fresh_sandbox.account_id, fresh_sandbox.region).create_stack(
        StackName="direct", TemplateBody=json.dumps(template), Tags={"lisa:model-id": "m"}
    )
    cloudformation = fresh_sandbox.client("cloudformation")
    cloudformation.create_stack(
        StackName="requested", TemplateBody=json.dumps(template), Tags=[{"Key": "lisa:model-id", "Value": "m"}]
    )
    direct, requested = (
        cloudformation.describe_stacks(StackName=name)["Stacks"][0] for name in ("direct", "requested")
    )
    assert direct["StackId"] == stack.stack_id
    assert [(output["OutputKey"], output["OutputValue"]) for output in stack.outputs or []] == [
        ("clusterName", "direct")
    ]
    assert direct["Outputs"] == [{"OutputKey": "clusterName", "OutputValue": "direct"}]
    varying = ("StackName", "StackId", "CreationTime", "LastUpdatedTime", "Outputs", "StackStatusReason")
    assert without(direct, *varying) == without(requested, *varying)
    resources = {
        name: sorted(
            (resource["LogicalResourceId"], resource["ResourceType"], resource["ResourceStatus"])
            for resource in cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        )
        for name in ("direct", "requested")
    }
    assert resources["direct"] == resources["requested"]
    assert len(resources["direct"]) == 2


def test_scheduled_actions(fresh_sandbox: Sandbox) -> None:
    group = fresh_sandbox.resources("bge-large-en").auto_scaling_group
    action = {"Recurrence": "0 9 * * 1", "TimeZone": "Europe/Berlin", "MinSize": 1, "MaxSize": 2, "DesiredCapacity": 1}
    refused = DirectAutoScaling(fresh_sandbox.account_id, fresh_sandbox.region).batch_put_scheduled_update_group_action(
        AutoScalingGroupName=group,
        ScheduledUpdateGroupActions=[{"ScheduledActionName": "direct", **action}],
    )
    autoscaling = fresh_sandbox.client("autoscaling")
    answer = autoscaling.batch_put_scheduled_update_group_action(
        AutoScalingGroupName=group,
        ScheduledUpdateGroupActions=[{"ScheduledActionName": "requested", **action}],
    )
    assert answer["FailedScheduledUpdateGroupActions"] == []
    assert refused == []
    actions = {
        a["ScheduledActionName"]: a
        for a in autoscaling.describe_scheduled_actions(AutoScalingGroupName=group)["ScheduledUpdateGroupActions"]
    }
    varying = ("ScheduledActionName", "ScheduledActionARN", "StartTime", "Time")
    assert without(actions["direct"], *varying) == without(actions["requested"], *varying)
    assert actions["direct"]["DesiredCapacity"] == 1


def test_a_new_revision_rolled_out(fresh_sandbox: Sandbox) -> None:
    """The seeded Updating model's rollout: a revision like the current one with a new container, and the service
    moved to it (the simulator starts the rollout either way)."""
    ecs = fresh_sandbox.client("ecs")
    direct = DirectEcs(fresh_sandbox.account_id, fresh_sandbox.region)
    revisions = {}
    for model_id, how in (("bge-large-en", "direct"), ("llama3-1-70b-instruct", "requested")):
        resources = fresh_sandbox.resources(model_id)
        current = ecs.describe_task_definition(taskDefinition=resources.task_family)["taskDefinition"]
        container = {**current["containerDefinitions"][0], "environment": [{"name": "NEW", "value": "1"}]}
        arguments: dict[str, Any] = {
            "family": resources.task_family,
            "containerDefinitions": [container],
            "networkMode": "bridge",
            "requiresCompatibilities": ["EC2"],
            "taskRoleArn": current["taskRoleArn"],
            "executionRoleArn": current["executionRoleArn"],
        }
        if how == "direct":
            assert (
                direct.describe_task_definition(taskDefinition=resources.task_family).arn
                == (current["taskDefinitionArn"])
            )
            arn = direct.register_task_definition(**arguments).arn
            direct.update_service(cluster=resources.cluster, service=resources.service, taskDefinition=arn)
        else:
            arn = ecs.register_task_definition(**arguments)["taskDefinition"]["taskDefinitionArn"]
            ecs.update_service(cluster=resources.cluster, service=resources.service, taskDefinition=arn)
        (service,) = ecs.describe_services(cluster=resources.cluster, services=[resources.service])["services"]
        assert service["taskDefinition"] == arn
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        revision = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        revisions[how] = (current["revision"] + 1, revision, primary["taskDefinition"], primary["rolloutState"])
    for how, (expected, revision, primary_arn, rollout) in revisions.items():
        assert revision["revision"] == expected, how
        assert primary_arn == revision["taskDefinitionArn"], how
        assert rollout == "IN_PROGRESS", how
    varying = ("family", "taskDefinitionArn", "revision", "registeredAt", "taskRoleArn", "executionRoleArn", "name")
    assert without(revisions["direct"][1], *varying, "containerDefinitions") == without(
        revisions["requested"][1], *varying, "containerDefinitions"
    )
    assert revisions["direct"][1]["containerDefinitions"][0]["environment"] == [{"name": "NEW", "value": "1"}]


def test_a_state_machine(fresh_sandbox: Sandbox) -> None:
    role = DirectIam(fresh_sandbox.account_id).create_role(RoleName="machines", AssumeRolePolicyDocument=TRUST)
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    arn = DirectStepFunctions(fresh_sandbox.account_id, fresh_sandbox.region).create_state_machine(
        name="direct", definition=definition, roleArn=role
    )
    stepfunctions = fresh_sandbox.client("stepfunctions")
    requested = stepfunctions.create_state_machine(name="requested", definition=definition, roleArn=role)
    described = {
        name: stepfunctions.describe_state_machine(stateMachineArn=machine)
        for name, machine in (("direct", arn), ("requested", requested["stateMachineArn"]))
    }
    varying = ("name", "stateMachineArn", "creationDate", "ResponseMetadata", "revisionId")
    assert without(described["direct"], *varying) == without(described["requested"], *varying)
