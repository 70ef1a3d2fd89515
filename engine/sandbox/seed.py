"""Seed the sandbox's LISA deployment, and play LISA's own state machines for the seeded transitional models.

What LISA publishes and stores (reference §1.4, §4.1, §5):

* SSM `<prefix>/modelTableName`, `<prefix>/lisaServeRestApiUri`, `<prefix>/appManagementKeySecretName` and
  `<prefix>/managementKeySecretName`; the Secrets Manager secret holding the management key.
* The models table (PK `model_id`, on-demand) with one item per model in LISA's stored format.
* One CloudFormation stack `<deploymentName>-<modelId>` per LISA-hosted model: ECS cluster, task definition,
  daemon service, launch template, Auto Scaling group, an internal ALB with its target group and listener, a
  target-tracking scaling policy, and the outputs `modelEndpointUrl` and `autoScalingGroup`.
* The LiteLLM registry holding every InService model with LISA's `litellm_params`.
* The guardrails table and the RAG tables with their SSM parameters, and the guardrails and RAG resources of the
  seeded models (`engine.sandbox.rag_and_guardrails`).
* LISA's configuration table, named as its chat stack's CloudFormation names it (LISA publishes no SSM parameter for
  it), with LISA's initial version and the seeded default model (`engine.sandbox.configuration`).

The stacks are built from the engine's own template (`engine.stack_template.model_stack_template`), the one
the console's create job deploys, so a seeded model looks like one the console creates. moto's CloudFormation
needs a little help with it (`install_moto_extensions`).

Synthetic benchmark models (`stack="direct"`) get their ECS and Auto Scaling resources created straight in
moto's backends, without a stack: running moto's CloudFormation for each would make 1,000 models a matter of
tens of seconds.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import logging
import os
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config
from moto.autoscaling.models import AutoScalingBackend, FakeScalingPolicy, autoscaling_backends
from moto.cloudformation import parsing as cloudformation_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.models import Stack
from moto.core.common_models import CloudFormationModel
from moto.core.utils import utcnow
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.amis import Ami
from moto.ecs.models import TaskDefinition
from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup
from pydantic import ValidationError

from engine.aws.discovery import SANDBOX_WARMUP_PARAMETER
from engine.litellm_params import litellm_params_for
from engine.sandbox.catalog import DEFAULT_MODEL_ID, Capacity, CatalogModel
from engine.sandbox.configuration import SandboxConfiguration
from engine.sandbox.kms_keys import make_symmetric_keys_without_rsa
from engine.sandbox.lisa_api.tokens import SeededTokens, create_token_table
from engine.sandbox.litellm_registry import LiteLLMRegistry
from engine.sandbox.moto_direct import (
    DirectAutoScaling,
    DirectCloudFormation,
    DirectDynamoDB,
    DirectEcs,
    DirectIam,
    DirectLambda,
    DirectSecretsManager,
    DirectSsm,
)
from engine.sandbox.rag_and_guardrails import GuardrailsAndRag
from engine.sandbox.schedules import seed_schedule
from engine.sandbox.simulator import SandboxError, Simulator
from engine.schema.enums import ModelStatus
from engine.schema.requests import CreateModelRequest
from engine.stack_template import (
    ContainerLogs,
    ResourceNames,
    StackNetwork,
    container_definition,
    model_stack_template,
    resource_names,
)

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

SANDBOX_AMI_ID: Final = "ami-0a5ecf7c1d2e3b4a5"
SANDBOX_AMI_NAME: Final = "amzn2-ami-ecs-gpu-hvm-2.0.20241017-x86_64-ebs"
MODELS_BUCKET: Final = "lisa-sandbox-models"
INSTANCE_MEMORY_MIB: Final[Mapping[str, int]] = {
    "g4dn.xlarge": 16384,
    "g5.xlarge": 16384,
    "g5.2xlarge": 32768,
    "g5.4xlarge": 65536,
    "g5.12xlarge": 196608,
    "g5.48xlarge": 786432,
    "g6.xlarge": 16384,
    "g6.2xlarge": 32768,
    "g6e.xlarge": 32768,
}
"""Instance memory, for the stack's default memoryReservation (instance memory − 2048 MiB)."""
CLIENT_CONFIG: Final = Config(
    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30, tcp_keepalive=True
)
_ITEM_SERIALIZER: Final = TypeSerializer()


@dataclass(frozen=True)
class HostedResources:
    """The AWS resources of one LISA-hosted model in the sandbox."""

    model_id: str
    cluster: str
    service: str
    task_family: str
    auto_scaling_group: str
    launch_template: str
    endpoint_url: str
    """`http://<ALB DNS name>`, the stack output `modelEndpointUrl`."""
    stack_name: str | None = None
    stack_id: str | None = None

    @property
    def model_url(self) -> str:
        """What LISA stores as `model_url` and registers as LiteLLM's `api_base`."""
        return f"{self.endpoint_url}/v1"


# -- what the stack holds: the engine's per-model template ------------------------------------------------------


def create_request(config: Mapping[str, Any], environment: Mapping[str, str] | None = None) -> CreateModelRequest:
    """A catalog model's CreateModelRequest; `environment` replaces its container environment (the revision
    running before an update)."""
    if environment is None:
        return CreateModelRequest.model_validate(dict(config))
    changed = copy.deepcopy(dict(config))
    changed["containerConfig"]["environment"] = dict(environment)
    return CreateModelRequest.model_validate(changed)


def instance_memory_mib(config: Mapping[str, Any]) -> int:
    return INSTANCE_MEMORY_MIB.get(str(config.get("instanceType")), 16384)


def seeded_container_definition(
    config: Mapping[str, Any], environment: Mapping[str, str] | None = None, *, logs: ContainerLogs | None = None
) -> dict[str, Any]:
    """The model container as ECS describes it (camelCase), as the engine's stack template defines it."""
    return container_definition(
        create_request(config, environment),
        models_bucket=MODELS_BUCKET,
        instance_memory_mib=instance_memory_mib(config),
        logs=logs,
    )


def with_capacity(template: dict[str, Any], capacity: Capacity) -> dict[str, Any]:
    """The template with the Auto Scaling group's live sizes (a Stopped model's group is 0/0/0 while its
    configuration keeps min/max)."""
    properties = template["Resources"]["AutoScalingGroup"]["Properties"]
    properties["MinSize"], properties["MaxSize"] = str(capacity.min), str(capacity.max)
    properties["DesiredCapacity"] = str(capacity.desired)
    return template


# -- moto's CloudFormation, completed for the model stack -------------------------------------------------------
#
# moto 5.2's CloudFormation has no AWS::AutoScaling::ScalingPolicy. It does not fail the stack: it skips the
# resource, but then lists it as a resource without a logical id, and every DescribeStackResources of the stack
# fails (HTTP 500, KeyError 'LogicalResourceId') — the engine finds a model's cluster, service and group that way.
# The sandbox therefore teaches moto the type (creating the policy in moto's Auto Scaling backend, so
# DescribePolicies shows it), and the two ALB attributes the policy's ResourceLabel/dimensions read
# (TargetGroupFullName: moto's target group has no attributes at all, which would fail the stack;
# LoadBalancerFullName: moto raises NotImplementedError). moto's AWS::ECS::TaskDefinition drops TaskRoleArn,
# ExecutionRoleArn and RequiresCompatibilities; the sandbox gives the registered revision the stack's values.
# This applies to every stack created in the sandbox, the console's own creates included; the engine's template
# is not changed for moto.
#
# And speed: moto parses every template as YAML first (pure Python, slow), so a JSON template is read with
# json.loads (the same result for JSON).

SCALING_POLICY_TYPE: Final = "AWS::AutoScaling::ScalingPolicy"
_TASK_DEFINITION_PROPERTIES: Final = {
    "task_role_arn": "TaskRoleArn",
    "execution_role_arn": "ExecutionRoleArn",
    "requires_compatibilities": "RequiresCompatibilities",
}
"""moto's TaskDefinition attribute → the AWS::ECS::TaskDefinition property moto's CloudFormation drops."""
_EXTENSIONS_LOCK: Final = threading.Lock()
_extensions_installed = False


class SandboxScalingPolicy(CloudFormationModel):
    """A target-tracking (or other) scaling policy created by a sandbox stack."""

    def __init__(self, policy: FakeScalingPolicy, account_id: str, region_name: str) -> None:
        self.policy = policy
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return str(self.policy.arn)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return SCALING_POLICY_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "PolicyName")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self.policy.arn
        if attribute_name == "PolicyName":
            return self.policy.name
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SandboxScalingPolicy:
        properties = cloudformation_json.get("Properties", {})
        policy = autoscaling_backends[account_id][region_name].put_scaling_policy(
            name=resource_name,
            policy_type=properties.get("PolicyType", "SimpleScaling"),
            metric_aggregation_type=properties.get("MetricAggregationType"),
            adjustment_type=properties.get("AdjustmentType"),
            as_name=str(properties["AutoScalingGroupName"]),
            min_adjustment_magnitude=properties.get("MinAdjustmentMagnitude"),
            scaling_adjustment=properties.get("ScalingAdjustment"),
            cooldown=properties.get("Cooldown"),
            target_tracking_config=copy.deepcopy(properties.get("TargetTrackingConfiguration") or {}),
            step_adjustments=properties.get("StepAdjustments"),
            estimated_instance_warmup=properties.get("EstimatedInstanceWarmup"),
            predictive_scaling_configuration=properties.get("PredictiveScalingConfiguration"),
        )
        return cls(policy, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> SandboxScalingPolicy:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        autoscaling_backends[account_id][region_name].delete_policy(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        autoscaling_backends[account_id][region_name].delete_policy(self.policy.name)


def _full_name(arn: str) -> str:
    """An ELB ARN's resource part after `loadbalancer/` (`app/<name>/<id>`) or the target group's
    (`targetgroup/<name>/<id>`), as CloudWatch's LoadBalancer/TargetGroup dimensions spell them."""
    resource = arn.split(":", 5)[-1]
    return resource.removeprefix("loadbalancer/")


def install_moto_extensions() -> None:
    """Teach moto's CloudFormation what LISA's model stack needs (once per process; see above), and spare it the
    RSA keys of symmetric KMS keys (`kms_keys`)."""
    global _extensions_installed
    make_symmetric_keys_without_rsa()
    with _EXTENSIONS_LOCK:
        if _extensions_installed:
            return
        missing = [
            f"{owner.__name__}.{name}"
            for owner, name in (
                (FakeLoadBalancer, "get_cfn_attribute"),
                (FakeTargetGroup, "arn"),
                (AutoScalingBackend, "put_scaling_policy"),
                (AutoScalingBackend, "delete_policy"),
                (Stack, "parse_template"),
                (TaskDefinition, "create_from_cloudformation_json"),
            )
            if not hasattr(owner, name) and name not in _assigned_names(owner)
        ]
        caches = ("get_model_list", "get_model_map", "get_name_type_map")
        missing += [
            f"moto.cloudformation.parsing.{name}.cache_clear"
            for name in caches
            if not hasattr(getattr(cloudformation_parsing, name, None), "cache_clear")
        ]
        if missing:
            raise SandboxError(
                "moto's internals changed; the sandbox cannot create model stacks: " + ", ".join(missing)
            )

        original_attribute = FakeLoadBalancer.get_cfn_attribute

        def load_balancer_attribute(self: FakeLoadBalancer, attribute_name: str) -> Any:
            if attribute_name == "LoadBalancerFullName":
                return _full_name(self.arn)
            return original_attribute(self, attribute_name)

        def target_group_attribute(self: FakeTargetGroup, attribute_name: str) -> Any:
            if attribute_name == "TargetGroupFullName":
                return _full_name(self.arn)
            if attribute_name == "TargetGroupArn":
                return self.arn
            if attribute_name == "TargetGroupName":
                return self.name
            if attribute_name == "LoadBalancerArns":
                return list(self.load_balancer_arns)
            raise UnformattedGetAttTemplateException()

        FakeLoadBalancer.get_cfn_attribute = load_balancer_attribute  # type: ignore[method-assign]
        if "get_cfn_attribute" not in vars(FakeTargetGroup):
            setattr(FakeTargetGroup, "get_cfn_attribute", target_group_attribute)  # noqa: B010
        original_parse = Stack.parse_template

        def parse_template(template: str) -> dict[str, Any]:
            if isinstance(template, str) and template.lstrip().startswith("{"):
                try:
                    parsed = json.loads(template)
                except ValueError:
                    parsed = None
                if isinstance(parsed, dict):
                    return parsed
            return original_parse(template)

        Stack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign]
        original_task_definition = TaskDefinition.create_from_cloudformation_json

        def task_definition_from_cloudformation(
            cls: type[TaskDefinition], resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any
        ) -> TaskDefinition:
            task_definition = original_task_definition(resource_name, cloudformation_json, *args, **kwargs)
            properties = cloudformation_json["Properties"]
            for attribute, key in _TASK_DEFINITION_PROPERTIES.items():
                if properties.get(key):
                    setattr(task_definition, attribute, properties[key])
            return task_definition

        setattr(TaskDefinition, "create_from_cloudformation_json", classmethod(task_definition_from_cloudformation))  # noqa: B010
        for name in caches:
            getattr(cloudformation_parsing, name).cache_clear()
        if cloudformation_parsing.get_model_map().get(SCALING_POLICY_TYPE) is not SandboxScalingPolicy:
            raise SandboxError(f"moto's CloudFormation did not take the sandbox's {SCALING_POLICY_TYPE}")
        _extensions_installed = True


def _assigned_names(owner: type) -> set[str]:
    code = getattr(owner.__dict__.get("__init__"), "__code__", None)
    return set(code.co_names) if code is not None else set()


ROLLED_BACK_TEMPLATE: Final[dict[str, Any]] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "LISA model stack whose creation was rolled back (sandbox)",
    "Resources": {},
}


# -- the deployment ---------------------------------------------------------------------------------------------


_LAMBDA_TRUST: Final = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def stored_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog model's configuration as LISA stores it (`CreateModelRequest.stored_config`), with what LISA's
    schedule management keeps next to a schedule as given; as given if it is no valid create request."""
    try:
        stored = CreateModelRequest.model_validate(config).stored_config()
    except ValidationError:
        return copy.deepcopy(dict(config))
    scheduling = (config.get("autoScalingConfig") or {}).get("scheduling")
    if scheduling is not None:
        stored["autoScalingConfig"]["scheduling"] = copy.deepcopy(dict(scheduling))
    return stored


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class SeedTimings:
    steps: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str, started: float) -> None:
        self.steps[step] = round(time.perf_counter() - started, 3)


class SandboxDeployment:
    """The LISA deployment inside the sandbox: creates it, and writes what LISA's state machines would write."""

    def __init__(
        self,
        *,
        client: Callable[[str], Any],
        account_id: str,
        region: str,
        deployment_name: str,
        prefix: str,
        registry: LiteLLMRegistry,
        simulator: Simulator,
        clock: Callable[[], float] = time.monotonic,
        litellm_settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        """The sandbox's boto3 client for a service."""
        self.litellm_settings = litellm_settings
        self.account_id = account_id
        self.region = region
        self.deployment_name = deployment_name
        self.prefix = prefix
        self.registry = registry
        self.simulator = simulator
        self.clock = clock
        self.table_name = f"{deployment_name}-sandbox-LISAModelTable"
        self.secret_name = f"{deployment_name}-sandbox-management-key"
        self.resources: dict[str, HostedResources] = {}
        self.extras: GuardrailsAndRag | None = None
        """The guardrails and RAG tables (once published)."""
        self.configuration = SandboxConfiguration(deployment_name, prefix)
        """LISA's configuration table (the default model)."""
        self.api_tokens: SeededTokens | None = None
        """The admin and user tokens of LISA's API-token table (once published)."""
        self.configs: dict[str, dict[str, Any]] = {}
        self.rolled_back: dict[str, tuple[str, str]] = {}
        """Model id → (stack name, stack id) of stacks left in ROLLBACK_COMPLETE by a failed create."""
        self.subnets: list[str] = []
        self.network: StackNetwork | None = None
        """The network of the seeded model stacks (default VPC, three subnets, the models' security group, the
        sandbox's GPU AMI, the models bucket): what `discover_network` finds again."""
        self.timings = SeedTimings()
        install_moto_extensions()

    # -- clients ---------------------------------------------------------------------------------------------

    @property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self.client("dynamodb")
        return client

    @property
    def cloudformation(self) -> CloudFormationClient:
        client: CloudFormationClient = self.client("cloudformation")
        return client

    @property
    def autoscaling(self) -> AutoScalingClient:
        client: AutoScalingClient = self.client("autoscaling")
        return client

    @property
    def ec2_backend(self) -> EC2Backend:
        return ec2_backends[self.account_id][self.region]

    # -- seeding -----------------------------------------------------------------------------------------------

    def seed(
        self,
        models: Sequence[CatalogModel],
        *,
        synthetic: Sequence[CatalogModel] = (),
        ambient_seconds: Mapping[str, float] | None = None,
        model_warmup_s: float | None = None,
    ) -> None:
        """Create everything. `synthetic` models (benchmarks) go straight into moto's backends; `ambient_seconds`
        (model id → delay) schedules the endings of the transitional models; `model_warmup_s`: how long the
        sandbox's models take to warm up, published for the jobs that start them."""
        started = time.perf_counter()
        self.publish(model_warmup_s)
        self.timings.mark("publish", started)

        step = time.perf_counter()
        self.prepare_network()
        self.timings.mark("network", step)

        step = time.perf_counter()
        stacked = [m for m in models if m.is_hosted and m.stack in ("complete", "rolled_back")]
        for model in stacked:
            self.create_model_stack(model)
        self.timings.mark("stacks", step)

        step = time.perf_counter()
        self.create_direct([m for m in [*models, *synthetic] if m.is_hosted and m.stack == "direct"])
        self.timings.mark("direct", step)

        step = time.perf_counter()
        for model in models:
            if model.status is ModelStatus.UPDATING and model.is_hosted and model.model_id in self.resources:
                self.start_update_rollout(model)
        self.put_items(self.model_item(model) for model in models)
        self.put_items(self.model_item(model, lisa_shape=False) for model in synthetic)
        if self.extras is not None:
            self.extras.seed({model.model_id for model in models}, self.registry)
        if any(model.model_id == DEFAULT_MODEL_ID for model in models):
            self.configuration.seed_default(DirectDynamoDB(self.account_id, self.region), DEFAULT_MODEL_ID)
        self.timings.mark("items", step)

        for model in models:
            seconds = (ambient_seconds or {}).get(model.model_id)
            if seconds is not None and model.status.is_transitional:
                self.schedule_ambient(model, seconds)
        self.timings.mark("total", started)

    def publish(self, model_warmup_s: float | None = None) -> None:
        """The SSM parameters and secret LISA publishes, the models table, the guardrails and RAG tables."""
        dynamodb, ssm = DirectDynamoDB(self.account_id, self.region), DirectSsm(self.account_id, self.region)
        DirectSecretsManager(self.account_id, self.region).create_secret(
            Name=self.secret_name,
            SecretString=self.registry.management_key,
            Description="LiteLLM management key (LISA sandbox)",
        )
        parameters = {
            "modelTableName": self.table_name,
            "lisaServeRestApiUri": self.registry.url,
            "appManagementKeySecretName": self.secret_name,
            "managementKeySecretName": self.secret_name,
        }
        if model_warmup_s is not None:
            parameters[SANDBOX_WARMUP_PARAMETER] = str(model_warmup_s)
        for name, value in parameters.items():
            ssm.put_parameter(Name=f"{self.prefix}/{name}", Value=value, Type="String", Overwrite=True)
        dynamodb.create_table(
            TableName=self.table_name,
            KeySchema=[{"AttributeName": "model_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "model_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )
        self.extras = GuardrailsAndRag(dynamodb, ssm, self.prefix, self.deployment_name)
        self.extras.publish()
        self.configuration.publish(dynamodb)
        self.api_tokens = create_token_table(dynamodb, self.deployment_name)
        self.publish_model_functions()

    def publish_lisa_api_url(self, url: str) -> None:
        """`<prefix>/LisaApiUrl`, where LISA's apiDeploymentConstruct.ts publishes its REST API's URL."""
        DirectSsm(self.account_id, self.region).put_parameter(
            Name=f"{self.prefix}/LisaApiUrl", Value=url, Type="String", Overwrite=True
        )

    def publish_model_functions(self) -> None:
        """LISA's AddModelToLitellm Lambda, as far as the console can see it: its environment, which carries the
        deployment's LiteLLM configuration (`LITELLM_CONFIG_OBJ`) next to the models table's name."""
        config: dict[str, Any] = {"db_key": self.registry.management_key}
        if self.litellm_settings is not None:
            config["litellm_settings"] = dict(self.litellm_settings)
        role = DirectIam(self.account_id).create_role(
            RoleName=f"{self.deployment_name}-ModelApiRole", AssumeRolePolicyDocument=_LAMBDA_TRUST
        )
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("index.py", "def handler(event, context):\n    return event\n")
        DirectLambda(self.account_id, self.region).create_function(
            FunctionName=f"{self.deployment_name}-models-AddModelToLitellm",
            Runtime="python3.13",
            Role=role,
            Handler="index.handler",
            ZipFile=code.getvalue(),
            Environment={"Variables": {"MODEL_TABLE_NAME": self.table_name, "LITELLM_CONFIG_OBJ": json.dumps(config)}},
        )

    def prepare_network(self) -> None:
        """The default VPC's subnets, and one ECS GPU AMI instead of moto's default images (every instance
        launch filters all images: over a thousand with the defaults)."""
        with _without_default_amis():
            backend = self.ec2_backend  # created here: moto's default images are not loaded
        if not hasattr(backend, "amis"):
            raise SandboxError("moto's EC2 backend has no `amis` collection any more; update engine/sandbox/seed.py")
        with self.simulator.lock:
            backend.amis.clear()
            backend.amis[SANDBOX_AMI_ID] = Ami(
                backend,
                SANDBOX_AMI_ID,
                name=SANDBOX_AMI_NAME,
                description="Amazon Linux 2 ECS-optimized GPU AMI (sandbox)",
                owner_alias="amazon",
                public=True,
                virtualization_type="hvm",
                architecture="x86_64",
                root_device_type="ebs",
                root_device_name="/dev/xvda",
                creation_date=utcnow(),
                region_name=self.region,
            )
        subnets = sorted(backend.describe_subnets(), key=lambda subnet: str(subnet.availability_zone))
        self.subnets = [subnet.id for subnet in subnets[:3]]
        if not self.subnets:
            raise SandboxError("moto created no default subnets for the sandbox account")
        vpc_id = str(subnets[0].vpc_id)
        self.network = StackNetwork(
            vpc_id=vpc_id,
            subnet_ids=tuple(self.subnets),
            security_group_ids=(self._models_security_group(vpc_id),),
            image_id=SANDBOX_AMI_ID,
            models_bucket=MODELS_BUCKET,
        )

    def _models_security_group(self, vpc_id: str) -> str:
        """The deployment's security group for model load balancers and instances: port 80 from the VPC (LISA's
        ECS-model ALB group). Straight in moto's backend: an EC2 client is slow to create."""
        backend = self.ec2_backend
        with self.simulator.lock:
            cidr = str(getattr(backend.get_vpc(vpc_id), "cidr_block", "") or "172.31.0.0/16")
            group = backend.create_security_group(
                f"{self.deployment_name}-sandbox-ecs-model-alb-sg",
                "Security group for ECS model application load balancer (LISA sandbox)",
                vpc_id=vpc_id,
            )
            backend.authorize_security_group_ingress(
                group.id, "tcp", "80", "80", [{"CidrIp": cidr, "Description": "Allow VPC traffic on port 80"}]
            )
        return str(group.id)

    def create_model_stack(
        self, model: CatalogModel, *, capacity: Capacity | None = None, settle: bool = True
    ) -> HostedResources | None:
        """Create the model's stack through CloudFormation, as LISA's ECS model deployer does."""
        names = resource_names(self.deployment_name, model.model_id)
        self.configs[model.model_id] = copy.deepcopy(dict(model.config))
        if model.stack == "rolled_back":
            self._create_rolled_back_stack(model, names)
            return None
        if self.network is None:
            raise SandboxError("prepare_network() must run before the model stacks are created")
        environment = model.previous_environment if model.status is ModelStatus.UPDATING else None
        template = model_stack_template(
            create_request(model.config, environment or None),
            deployment_name=self.deployment_name,
            network=self.network,
            instance_memory_mib=instance_memory_mib(model.config),
        )
        with_capacity(template, capacity or model.capacity())
        with self.simulator.lock:
            stack = DirectCloudFormation(self.account_id, self.region).create_stack(
                StackName=names.stack, TemplateBody=json.dumps(template), Tags={"lisa:model-id": model.model_id}
            )
            outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.outputs or []}
        resources = HostedResources(
            model_id=model.model_id,
            cluster=names.cluster,
            service=names.service,
            task_family=names.task_family,
            auto_scaling_group=str(outputs.get("autoScalingGroup") or names.auto_scaling_group),
            launch_template=names.launch_template,
            endpoint_url=str(outputs.get("modelEndpointUrl") or ""),
            stack_name=names.stack,
            stack_id=stack.stack_id,
        )
        self.resources[model.model_id] = resources
        self.simulator.register_model(
            model.model_id, cluster=names.cluster, service=names.service, group=resources.auto_scaling_group
        )
        if settle:
            self.simulator.settle(model.model_id, instances=model.status is not ModelStatus.STARTING)
        return resources

    def _create_rolled_back_stack(self, model: CatalogModel, names: ResourceNames) -> None:
        """A create whose stack CloudFormation rolled back: ROLLBACK_COMPLETE, no resources left."""
        with self.simulator.lock:
            stack = DirectCloudFormation(self.account_id, self.region).create_stack(
                StackName=names.stack,
                TemplateBody=json.dumps(ROLLED_BACK_TEMPLATE),
                Tags={"lisa:model-id": model.model_id},
            )
            stack.status = "ROLLBACK_COMPLETE"
        self.rolled_back[model.model_id] = (names.stack, stack.stack_id)

    def create_direct(self, models: Sequence[CatalogModel]) -> None:
        """Synthetic hosted models: ECS and Auto Scaling resources straight in moto's backends, no stack."""
        if not models:
            return
        simulator = self.simulator
        ecs, autoscaling, ec2 = simulator.ecs, simulator.autoscaling, self.ec2_backend
        subnets = ",".join(self.subnets)
        for model in models:
            names = resource_names(self.deployment_name, model.model_id)
            capacity = model.capacity()
            with simulator.lock:
                ecs.create_cluster(names.cluster)
                task_definition = ecs.register_task_definition(
                    names.task_family,
                    [seeded_container_definition(model.config)],
                    network_mode="bridge",
                    requires_compatibilities=["EC2"],
                    task_role_arn=f"arn:aws:iam::{self.account_id}:role/{names.stack}-TaskRole",
                    execution_role_arn=f"arn:aws:iam::{self.account_id}:role/{names.stack}-ExecutionRole",
                )
                service = ecs.create_service(
                    names.cluster, names.service, 0, task_definition_str=task_definition.arn, launch_type="EC2"
                )
                service.scheduling_strategy = "DAEMON"
                template = ec2.create_launch_template(
                    names.launch_template,
                    "",
                    {
                        "ImageId": SANDBOX_AMI_ID,
                        "InstanceType": model.config["instanceType"],
                        "SecurityGroupIds": list(self.network.security_group_ids if self.network else ()),
                    },
                    {},
                )
                group = autoscaling.create_auto_scaling_group(
                    name=names.auto_scaling_group,
                    availability_zones=[],
                    desired_capacity=capacity.desired,
                    max_size=capacity.max,
                    min_size=capacity.min,
                    launch_config_name="",
                    launch_template={"LaunchTemplateId": template.id, "Version": "1"},
                    vpc_zone_identifier=subnets,
                    default_cooldown=int(model.config["autoScalingConfig"].get("cooldown", 420)),
                    health_check_period=300,
                    health_check_type="EC2",
                    load_balancers=[],
                    target_group_arns=[],
                    placement_group=None,
                    termination_policies=[],
                    tags=[],
                )
                warmup = int(model.config["autoScalingConfig"].get("defaultInstanceWarmup", 180))
                setattr(group, "default_instance_warmup", warmup)  # noqa: B010 (moto has no such field)
            self.resources[model.model_id] = HostedResources(
                model_id=model.model_id,
                cluster=names.cluster,
                service=names.service,
                task_family=names.task_family,
                auto_scaling_group=names.auto_scaling_group,
                launch_template=names.launch_template,
                endpoint_url=f"http://internal-{names.load_balancer}-{_digits(names.stack)}.{self.region}"
                ".elb.amazonaws.com",
            )
            self.configs[model.model_id] = copy.deepcopy(dict(model.config))
            simulator.register_model(
                model.model_id, cluster=names.cluster, service=names.service, group=names.auto_scaling_group
            )
            simulator.settle(model.model_id)

    def start_update_rollout(self, model: CatalogModel) -> None:
        """The Updating model: LISA's HandleEcsUpdate registered a new revision and updated the service."""
        resources = self.resources[model.model_id]
        ecs = DirectEcs(self.account_id, self.region)
        logs = ContainerLogs(resource_names(self.deployment_name, model.model_id).log_group, self.region)
        with self.simulator.lock:
            current = ecs.describe_task_definition(taskDefinition=resources.task_family)
            registered = ecs.register_task_definition(
                family=resources.task_family,
                taskRoleArn=getattr(current, "task_role_arn", None),
                executionRoleArn=getattr(current, "execution_role_arn", None),
                networkMode="bridge",
                requiresCompatibilities=["EC2"],
                containerDefinitions=[seeded_container_definition(model.config, logs=logs)],
            )
            ecs.update_service(cluster=resources.cluster, service=resources.service, taskDefinition=registered.arn)

    # -- the models table --------------------------------------------------------------------------------------

    def model_item(
        self, model: CatalogModel, *, litellm_id: str | None = None, lisa_shape: bool = True
    ) -> dict[str, Any]:
        """The model's item in LISA's stored format (and its LiteLLM registration, when it has one); with
        `lisa_shape`, its `model_config` has every field as LISA's create handler writes it (synthetic benchmark
        models keep theirs as given)."""
        config = stored_config(model.config) if lisa_shape else copy.deepcopy(dict(model.config))
        if lisa_shape and model.is_hosted and model.model_id in self.resources:
            group = self.resources[model.model_id].auto_scaling_group
            actions = seed_schedule(model.model_id, config, group, self.region, self.account_id)
            if actions:  # LISA puts them one by one; one call for all of them leaves the same group
                arguments = [action.put_arguments(group) for action in actions]
                for argument in arguments:
                    del argument["AutoScalingGroupName"]
                with self.simulator.lock:
                    failed = DirectAutoScaling(self.account_id, self.region).batch_put_scheduled_update_group_action(
                        AutoScalingGroupName=group, ScheduledUpdateGroupActions=arguments
                    )
                if failed:
                    raise SandboxError(f"the sandbox could not put {model.model_id}'s scheduled actions: {failed}")
        self.configs[model.model_id] = copy.deepcopy(config)
        item: dict[str, Any] = {
            "model_id": model.model_id,
            "model_status": model.status.value,
            "model_config": config,
            "model_description": str(config.get("modelDescription") or model.description),
            "last_modified_date": now_ms() - (5_000 if model.status.is_transitional else _age_ms(model.model_id)),
        }
        if model.status is ModelStatus.CREATING:
            return item
        resources = self.resources.get(model.model_id)
        if model.is_hosted and resources is not None:
            item["model_url"] = resources.model_url
            item["auto_scaling_group"] = resources.auto_scaling_group
            if resources.stack_name and resources.stack_id:
                item["cloudformation_stack_name"] = resources.stack_name
                item["cloudformation_stack_arn"] = resources.stack_id
        elif not model.is_hosted:
            item["model_url"] = ""
            item["auto_scaling_group"] = ""
        rolled_back = self.rolled_back.get(model.model_id)
        if rolled_back is not None:
            item["cloudformation_stack_name"], item["cloudformation_stack_arn"] = rolled_back
        if model.registered_in_litellm:
            item["litellm_id"] = litellm_id or self.register(model.model_id)
        elif model.status in (ModelStatus.STOPPED, ModelStatus.STOPPING, ModelStatus.STARTING):
            item["litellm_id"] = None
        elif model.status is ModelStatus.DELETING:
            item["litellm_id"] = _stale_uuid(model.model_id)  # captured by SetModelToDeleting, already unregistered
        if model.failure_reason:
            item["failure_reason"] = model.failure_reason[:1000]
        if model.context_window is not None:
            item["context_window"] = model.context_window
        item.update(copy.deepcopy(dict(model.lisa_attributes)))
        return item

    def put_items(self, items: Iterable[Mapping[str, Any]]) -> None:
        table = DirectDynamoDB(self.account_id, self.region)
        with self.simulator.lock:
            for item in items:
                table.put_item(TableName=self.table_name, Item=_serialize(item))

    def update_item(self, model_id: str, values: Mapping[str, Any]) -> None:
        """Set attributes of a model's item (and `last_modified_date`), as LISA's state machine Lambdas do."""
        values = {**values, "last_modified_date": now_ms()}
        names = {f"#a{i}": key for i, key in enumerate(values)}
        expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values)))
        self.dynamodb.update_item(
            TableName=self.table_name,
            Key={"model_id": {"S": model_id}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": _ITEM_SERIALIZER.serialize(v) for i, v in enumerate(values.values())},
        )

    def delete_item(self, model_id: str) -> None:
        self.dynamodb.delete_item(TableName=self.table_name, Key={"model_id": {"S": model_id}})

    # -- LiteLLM -------------------------------------------------------------------------------------------------

    def register(self, model_id: str) -> str:
        """AddModelToLitellm: register the model under its modelId with LISA's litellm_params."""
        config = self.configs[model_id]
        resources = self.resources.get(model_id)
        params = litellm_params_for(config, resources.model_url if resources else None, self.litellm_settings)
        return self.registry.add(model_id, params)

    # -- LISA's state machines, played over time ("ambient") -----------------------------------------------------

    def schedule_ambient(self, model: CatalogModel, seconds: float) -> None:
        """Move a seeded transitional model on after `seconds`, as LISA's state machine would."""
        model_id = model.model_id
        simulator = self.simulator
        started = self.clock()
        status = model.status

        if status is ModelStatus.STARTING:

            def finish_start() -> bool:
                snapshot = simulator.group_snapshot(self.resources[model_id].auto_scaling_group)
                if snapshot is not None and snapshot.desired > 0 and snapshot.healthy >= snapshot.desired:
                    litellm_id = self.register(model_id)
                    self.update_item(model_id, {"model_status": ModelStatus.IN_SERVICE.value, "litellm_id": litellm_id})
                    return True
                if self.clock() - started > 3 * seconds + 10:
                    # HandlePollCapacity timed out: HandleFinishUpdate scales to 0/0/0 and stops the model
                    self.set_capacity(model_id, Capacity(0, 0, 0))
                    self.update_item(model_id, {"model_status": ModelStatus.STOPPED.value})
                    return True
                return False

            simulator.schedule(f"ambient start {model_id}", finish_start, after=seconds)

        elif status is ModelStatus.CREATING:

            def create_stack() -> bool:
                resources = self.create_model_stack(model, settle=False)
                if resources is not None and resources.stack_name and resources.stack_id:
                    self.update_item(
                        model_id,
                        {
                            "cloudformation_stack_name": resources.stack_name,
                            "cloudformation_stack_arn": resources.stack_id,
                        },
                    )
                return True

            def finish_create() -> bool:
                resources = self.resources.get(model_id)
                if resources is None:
                    return False
                snapshot = simulator.group_snapshot(resources.auto_scaling_group)
                ready = snapshot is not None and snapshot.healthy >= snapshot.desired
                if not ready and self.clock() - started <= 3 * seconds + 10:
                    return False  # PollModelReady; on its timeout LISA carries on anyway
                litellm_id = self.register(model_id)
                values: dict[str, Any] = {
                    "model_status": ModelStatus.IN_SERVICE.value,
                    "litellm_id": litellm_id,
                    "model_url": resources.model_url,
                    "auto_scaling_group": resources.auto_scaling_group,
                }
                if model.context_window is not None:
                    values["context_window"] = model.context_window
                self.update_item(model_id, values)
                return True

            simulator.schedule(f"ambient create-stack {model_id}", create_stack, after=seconds / 4)
            simulator.schedule(f"ambient create {model_id}", finish_create, after=seconds)

        elif status is ModelStatus.STOPPING:

            def finish_stop() -> bool:
                self.update_item(model_id, {"model_status": ModelStatus.STOPPED.value})
                return True

            simulator.schedule(f"ambient stop {model_id}", finish_stop, after=seconds)

        elif status is ModelStatus.UPDATING:

            def finish_update() -> bool:
                if simulator.rollout_state(model_id) == "IN_PROGRESS":
                    return False
                self.update_item(model_id, {"model_status": ModelStatus.IN_SERVICE.value})
                return True

            simulator.schedule(f"ambient update {model_id}", finish_update, after=seconds)

        elif status is ModelStatus.DELETING:

            def finish_delete() -> bool:
                resources = self.resources.get(model_id)
                if resources is not None and resources.stack_id:
                    self.cloudformation.delete_stack(StackName=resources.stack_id)  # DeleteStack + MonitorDeleteStack
                self.delete_item(model_id)  # DeleteFromDdb
                self.resources.pop(model_id, None)
                return True

            simulator.schedule(f"ambient delete {model_id}", finish_delete, after=seconds)

    def set_capacity(self, model_id: str, capacity: Capacity) -> None:
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=self.resources[model_id].auto_scaling_group,
            MinSize=capacity.min,
            MaxSize=capacity.max,
            DesiredCapacity=capacity.desired,
        )


@contextlib.contextmanager
def _without_default_amis() -> Iterator[None]:
    """moto reads MOTO_EC2_LOAD_DEFAULT_AMIS when it creates an account's EC2 backend."""
    if "MOTO_EC2_LOAD_DEFAULT_AMIS" in os.environ or "MOTO_AMIS_PATH" in os.environ:
        yield
        return
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    try:
        yield
    finally:
        os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS", None)


def _serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _ITEM_SERIALIZER.serialize(value) for key, value in item.items()}


def _age_ms(model_id: str) -> int:
    """A stable, realistic age for a seeded item: a few hours to a few weeks."""
    digest = int(hashlib.sha256(model_id.encode()).hexdigest()[:8], 16)
    return (3 * 3600 + digest % (21 * 86400)) * 1000


def _digits(text: str) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:10], 16))[:10]


def _stale_uuid(model_id: str) -> str:
    digest = hashlib.sha256(f"litellm:{model_id}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"
