"""The writes that build a sandbox's deployment, made in moto's backends directly.

Every sandbox start writes the same deployment: LISA's parameters, secret, tables and rows, the model functions'
role and Lambda, one CloudFormation stack per hosted model. Made as requests, each of these went through a boto3
client, botocore's serializer and signer, moto's WSGI app and its request parser, for a backend call that is a
fraction of that work. Here each is the backend call that moto's own handler makes for the same request, with the
arguments it would pass; nothing else in the sandbox takes this way (the simulator, LISA's actors and API, and the
product's clients all send requests).

The methods take the request's parameters as boto3 names them, so the seeding reads as the requests it stands for.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from moto.autoscaling.models import autoscaling_backends
from moto.awslambda.models import lambda_backends
from moto.cloudformation.models import Stack, cloudformation_backends
from moto.dynamodb.models import dynamodb_backends
from moto.ecs.models import TaskDefinition, ecs_backends
from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends
from moto.stepfunctions.models import stepfunctions_backends

_ABSENT: Any = None
"""A parameter the request leaves out: moto's handler passes None, where the backend's annotations say otherwise."""
_ROLE_SESSION_S: Any = 3600
"""CreateRole's MaxSessionDuration when the request gives none, as moto's handler passes it (an int)."""


class DirectDynamoDB:
    """CreateTable and PutItem."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = dynamodb_backends[account_id][region]

    def create_table(
        self,
        *,
        TableName: str,
        KeySchema: Sequence[Mapping[str, str]],
        AttributeDefinitions: Sequence[Mapping[str, str]],
        BillingMode: str = "PROVISIONED",
        ProvisionedThroughput: Mapping[str, int] | None = None,
        GlobalSecondaryIndexes: Sequence[Mapping[str, Any]] = (),
        SSESpecification: Mapping[str, Any] | None = None,
    ) -> None:
        if BillingMode not in ("PROVISIONED", "PAY_PER_REQUEST"):
            raise ValueError(f"BillingMode must be PROVISIONED or PAY_PER_REQUEST, not {BillingMode!r}")
        if (BillingMode == "PROVISIONED") == (ProvisionedThroughput is None):
            raise ValueError("ProvisionedThroughput is needed with PROVISIONED billing, and only then")
        self._backend.create_table(
            TableName,
            schema=[dict(key) for key in KeySchema],
            throughput=dict(ProvisionedThroughput) if ProvisionedThroughput is not None else None,
            attr=[dict(attribute) for attribute in AttributeDefinitions],
            global_indexes=[dict(index) for index in GlobalSecondaryIndexes],
            indexes=[],
            streams=None,
            billing_mode=BillingMode,
            sse_specification=dict(SSESpecification) if SSESpecification is not None else None,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )

    def put_item(self, *, TableName: str, Item: Mapping[str, Any]) -> None:
        self._backend.put_item(TableName, dict(Item))


class DirectSsm:
    """PutParameter."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = ssm_backends[account_id][region]

    def put_parameter(self, *, Name: str, Value: str, Type: str, Overwrite: bool = False) -> None:
        self._backend.put_parameter(
            name=Name,
            description=_ABSENT,
            value=Value,
            parameter_type=Type,
            allowed_pattern=_ABSENT,
            keyid=_ABSENT,
            overwrite=Overwrite,
            tags=_ABSENT,
            data_type="text",
            tier=None,
            policies=None,
        )


class DirectSecretsManager:
    """CreateSecret."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = secretsmanager_backends[account_id][region]

    def create_secret(self, *, Name: str, SecretString: str, Description: str = "") -> None:
        self._backend.create_secret(
            name=Name,
            secret_string=SecretString,
            secret_binary=None,
            description=Description,
            tags=[],
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )


class DirectIam:
    """CreateRole; returns the role's ARN."""

    def __init__(self, account_id: str) -> None:
        self._backend = iam_backends[account_id]["aws"]

    def create_role(self, *, RoleName: str, AssumeRolePolicyDocument: str) -> str:
        role = self._backend.create_role(
            role_name=RoleName,
            assume_role_policy_document=AssumeRolePolicyDocument,
            path=_ABSENT,
            permissions_boundary=_ABSENT,
            description=_ABSENT,
            tags=[],
            max_session_duration=_ROLE_SESSION_S,
        )
        return str(role.arn)


class DirectLambda:
    """CreateFunction from a zip file."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = lambda_backends[account_id][region]

    def create_function(
        self,
        *,
        FunctionName: str,
        Runtime: str,
        Role: str,
        Handler: str,
        ZipFile: bytes,
        Environment: Mapping[str, Any],
    ) -> None:
        # The request's JSON body, as moto's handler hands it over: the zip file base64-encoded, as on the wire.
        self._backend.create_function(
            {
                "FunctionName": FunctionName,
                "Runtime": Runtime,
                "Role": Role,
                "Handler": Handler,
                "Code": {"ZipFile": base64.b64encode(ZipFile).decode()},
                "Environment": dict(Environment),
            }
        )


class DirectCloudFormation:
    """CreateStack; returns moto's stack, whose `stack_id` and `outputs` DescribeStacks would give."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = cloudformation_backends[account_id][region]

    def create_stack(self, *, StackName: str, TemplateBody: str, Tags: Mapping[str, str]) -> Stack:
        return self._backend.create_stack(
            name=StackName,
            template=TemplateBody,
            parameters={},
            notification_arns=[],
            tags=dict(Tags),
            role_arn=None,
            enable_termination_protection=None,
            timeout_in_mins=None,
            stack_policy_body=None,
        )


class DirectEcs:
    """DescribeTaskDefinition, RegisterTaskDefinition and UpdateService (the simulator's patches of the account's
    ECS backend see them, as they see the requests)."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = ecs_backends[account_id][region]

    def describe_task_definition(self, *, taskDefinition: str) -> TaskDefinition:
        return self._backend.describe_task_definition(taskDefinition)

    def register_task_definition(
        self,
        *,
        family: str,
        containerDefinitions: Sequence[Mapping[str, Any]],
        networkMode: str,
        requiresCompatibilities: Sequence[str],
        taskRoleArn: str | None,
        executionRoleArn: str | None,
    ) -> TaskDefinition:
        return self._backend.register_task_definition(
            family,
            [dict(definition) for definition in containerDefinitions],
            network_mode=networkMode,
            requires_compatibilities=list(requiresCompatibilities),
            task_role_arn=taskRoleArn,
            execution_role_arn=executionRoleArn,
        )

    def update_service(self, *, cluster: str, service: str, taskDefinition: str) -> None:
        self._backend.update_service({"cluster": cluster, "service": service, "task_definition": taskDefinition})


class DirectAutoScaling:
    """BatchPutScheduledUpdateGroupAction; returns the names and messages of the actions refused."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = autoscaling_backends[account_id][region]

    def batch_put_scheduled_update_group_action(
        self,
        *,
        AutoScalingGroupName: str,
        ScheduledUpdateGroupActions: Sequence[Mapping[str, Any]],
    ) -> list[tuple[str, str]]:
        refused = self._backend.batch_put_scheduled_update_group_action(
            name=AutoScalingGroupName, actions=[dict(action) for action in ScheduledUpdateGroupActions]
        )
        return [(str(failure.scheduled_action_name), str(failure.error_message)) for failure in refused]


class DirectStepFunctions:
    """CreateStateMachine; returns the machine's ARN."""

    def __init__(self, account_id: str, region: str) -> None:
        self._backend = stepfunctions_backends[account_id][region]

    def create_state_machine(self, *, name: str, definition: str, roleArn: str) -> str:
        machine = self._backend.create_state_machine(
            name=name,
            definition=definition,
            roleArn=roleArn,
            tags=None,
            publish=None,
            loggingConfiguration=None,
            tracingConfiguration=None,
            encryptionConfiguration=None,
            version_description=None,
            sm_type=None,
        )
        return str(machine.arn)
