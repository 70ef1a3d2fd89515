"""The per-model CloudFormation stack LISA's ECS model deployer builds (`ecsCluster.ts`), as one template.

One generator for every LISA-hosted model the console touches: the console's create job deploys it, the
sandbox seeds its hosted models with it, so a model the console creates looks like a seeded one and like one
LISA built (reference §4.1, "Per-model stack"):

* an ECS cluster and a GPU Auto Scaling group (launch template: ECS-optimized GPU AMI, encrypted gp3 root
  volume of `blockDeviceVolumeSize` GB, user data joining the cluster, an instance profile whose role lets the
  ECS agent register the instances and SSM manage them);
* a daemon EC2 service (bridge mode, host port 80 → container port 8080, deployment circuit breaker with
  rollback) running one container built from `containerConfig`, with the instance type's GPUs, logging to the
  stack's log group (`/<deploymentName>/<modelId>`, 30 days), an execution role (image pull, logs) and a task
  role that may read the models bucket;
* an internal HTTP:80 application load balancer (idle timeout 600 s) forwarding to a target group (slow start
  60 s, health check from `loadBalancerConfig`);
* target tracking on the ALB metric of `autoScalingConfig.metricConfig`;
* outputs `modelEndpointUrl` (`http://<ALB DNS name>`) and `autoScalingGroup`.

The stack is `<deploymentName>-<modelId>`. `discover_network` finds the network (VPC, subnets, security
groups, AMI, models bucket) of the deployment's existing LISA-hosted models, for a new model to join.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from engine.aws.cloudformation import LOAD_BALANCER
from engine.aws.errors import AwsError, StackNotFound
from engine.errors import InvalidInput, Problem
from engine.schema.enums import AlbMetricName, ModelStatus
from engine.schema.instance_types import gpu_count
from engine.schema.requests import HOSTED_FIELDS, CreateModelRequest

if TYPE_CHECKING:
    from engine.jobs.context import Gateways
    from engine.schema.record import ModelRecord

CONTAINER_NAME: Final = "model"
CONTAINER_PORT: Final = 8080
HOST_PORT: Final = 80
CONTAINER_MEMORY_BUFFER_MIB: Final = 2048
"""The stack's default memoryReservation is the instance's memory minus this."""
LOCAL_MODEL_PATH: Final = "/nvme/model"
"""LISA's `LOCAL_MODEL_PATH`: `<nvmeContainerMountPath>/model`, with the default mount path `/nvme`."""
ALB_IDLE_TIMEOUT_S: Final = 600
TARGET_SLOW_START_S: Final = 60
TARGET_DEREGISTRATION_DELAY_S: Final = 30
ROOT_DEVICE: Final = "/dev/xvda"
GPU_AMI_PARAMETER: Final = "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"
"""The public SSM parameter of the current ECS-optimized GPU AMI (CDK's `EcsOptimizedImage.amazonLinux2(GPU)`)."""
AMI_PARAMETER_NAME: Final = "GpuAmiId"
COMPLETE_STACK_STATUSES: Final = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})
SECURITY_GROUP: Final = "AWS::EC2::SecurityGroup"
RESPONSE_TIME_PERCENTILE: Final = "p90"
LOG_RETENTION_DAYS: Final = 30
ECS_INSTANCE_POLICY: Final = "service-role/AmazonEC2ContainerServiceforEC2Role"
SSM_INSTANCE_POLICY: Final = "AmazonSSMManagedInstanceCore"
TASK_EXECUTION_POLICY: Final = "service-role/AmazonECSTaskExecutionRolePolicy"
"""AWS managed policies (`arn:<partition>:iam::aws:policy/<name>`)."""
_VERBATIM_MAPS: Final = frozenset({"options", "dockerLabels"})
"""Container-definition maps keyed by names, not properties (`awslogs-group`): CloudFormation takes them as is."""


# -- names ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceNames:
    """The physical names of a model stack's resources."""

    stack: str
    cluster: str
    service: str
    task_family: str
    auto_scaling_group: str
    launch_template: str
    load_balancer: str
    target_group: str
    log_group: str


def stack_name(deployment_name: str, model_id: str) -> str:
    """The model's stack, as LISA names it: `<deploymentName>-<modelId>`."""
    return f"{deployment_name}-{model_id}"


def resource_names(deployment_name: str, model_id: str) -> ResourceNames:
    stack = stack_name(deployment_name, model_id)
    balancer = _elb_name(stack)
    return ResourceNames(
        stack=stack,
        cluster=f"{stack}-cluster",
        service=f"{stack}-service",
        task_family=f"{stack}-task",
        auto_scaling_group=f"{stack}-asg",
        launch_template=f"{stack}-lt",
        load_balancer=balancer,
        target_group=balancer,
        log_group=f"/{deployment_name}/{model_id}",
    )


def _elb_name(stack: str) -> str:
    """ALB and target group names: at most 32 characters, letters, digits and hyphens, not ending in one."""
    if len(stack) <= 32:
        return stack
    digest = hashlib.sha256(stack.encode()).hexdigest()[:8]
    return f"{stack[:23].rstrip('-')}-{digest}"


# -- the network ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackNetwork:
    """Where a model stack goes: the deployment's VPC, subnets and security groups (the ALB's and the
    instances'), the AMI, and the models bucket the container reads from."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...] = ()
    image_id: str | None = None
    """ECS-optimized GPU AMI; None → the template resolves the current one from SSM's public parameter."""
    models_bucket: str | None = None
    """The `S3_BUCKET_MODELS` injected into the container; None → not injected."""


# -- the container ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerLogs:
    """Where the container's awslogs driver writes: a log group and its region, as names (RegisterTaskDefinition)
    or as CloudFormation references (the template)."""

    group: str | dict[str, Any]
    region: str | dict[str, Any]


def _hosted(request: CreateModelRequest) -> None:
    missing = [name for name in HOSTED_FIELDS if getattr(request, name) is None]
    if missing:
        raise InvalidInput(
            [Problem(name, "is required for a LISA-hosted model's stack") for name in missing],
            f"stack of {request.modelId}",
        )


def injected_environment(request: CreateModelRequest, *, models_bucket: str | None = None) -> dict[str, str]:
    """The variables LISA's stack injects into the model container (the user's environment overrides them)."""
    injected = {"MODEL_NAME": request.modelName, "LOCAL_MODEL_PATH": LOCAL_MODEL_PATH}
    if models_bucket:
        injected["S3_BUCKET_MODELS"] = models_bucket
    return injected


def container_environment(
    request: CreateModelRequest,
    *,
    models_bucket: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Injected variables overridden by the user's `containerConfig.environment` (or by `environment`)."""
    _hosted(request)
    assert request.containerConfig is not None
    user = request.containerConfig.environment if environment is None else environment
    return {**injected_environment(request, models_bucket=models_bucket), **{str(k): str(v) for k, v in user.items()}}


def memory_reservation(request: CreateModelRequest, instance_memory_mib: int | None) -> int | None:
    """`containerConfig.memoryReservation`, else the instance's memory minus 2048 MiB when it is known."""
    assert request.containerConfig is not None
    if request.containerConfig.memoryReservation is not None:
        return request.containerConfig.memoryReservation
    if instance_memory_mib is not None and instance_memory_mib > CONTAINER_MEMORY_BUFFER_MIB:
        return instance_memory_mib - CONTAINER_MEMORY_BUFFER_MIB
    return None


def health_check_command(command: str | Sequence[str]) -> list[str]:
    """ECS's form of a health-check command: a string runs in a shell (`["CMD-SHELL", command]`)."""
    if isinstance(command, str):
        return ["CMD-SHELL", command]
    return [str(part) for part in command]


def container_definition(
    request: CreateModelRequest,
    *,
    models_bucket: str | None = None,
    instance_memory_mib: int | None = None,
    environment: Mapping[str, str] | None = None,
    logs: ContainerLogs | None = None,
) -> dict[str, Any]:
    """The model container as ECS's RegisterTaskDefinition takes it (camelCase keys), with the GPUs of the
    instance type (none for a type without or unknown to `gpu_count`).

    `environment` replaces the user's `containerConfig.environment` (the sandbox seeds an update in progress
    with the previous revision's); `logs` adds the awslogs configuration (streams prefixed with the model id)."""
    _hosted(request)
    container = request.containerConfig
    assert container is not None
    health = container.healthCheckConfig
    definition: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": container.image.baseImage,
        "essential": True,
        "privileged": True,  # LISA runs GPU model containers privileged
        "portMappings": [{"containerPort": CONTAINER_PORT, "hostPort": HOST_PORT, "protocol": "tcp"}],
        "environment": [
            {"name": name, "value": value}
            for name, value in container_environment(
                request, models_bucket=models_bucket, environment=environment
            ).items()
        ],
        "linuxParameters": {"sharedMemorySize": container.sharedMemorySize},
        "healthCheck": {
            "command": health_check_command(health.command),
            "interval": health.interval,
            "timeout": health.timeout,
            "retries": health.retries,
            "startPeriod": health.startPeriod,
        },
    }
    memory = memory_reservation(request, instance_memory_mib)
    if memory is not None:
        definition["memoryReservation"] = memory
    gpus = gpu_count(str(request.instanceType))
    if gpus:
        definition["resourceRequirements"] = [{"type": "GPU", "value": str(gpus)}]
    if logs is not None:
        definition["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs.group,
                "awslogs-region": logs.region,
                "awslogs-stream-prefix": request.modelId,
            },
        }
    return definition


def pascal_case(value: Any) -> Any:
    """camelCase keys → PascalCase (CloudFormation's spelling of the ECS shapes), at any depth; values, the keys of
    name-keyed maps (`options`, `dockerLabels`) and CloudFormation intrinsics (`Ref`, `Fn::*`) as is."""
    if isinstance(value, dict):
        if _is_intrinsic(value):
            return value
        return {
            key[:1].upper() + key[1:]: item if key in _VERBATIM_MAPS else pascal_case(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [pascal_case(item) for item in value]
    return value


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    """`{"Ref": ...}` or `{"Fn::<name>": ...}`: a CloudFormation function, whose arguments are no ECS shape."""
    return len(value) == 1 and all(key == "Ref" or key.startswith("Fn::") for key in value)


# -- the template -----------------------------------------------------------------------------------------------


def model_stack_template(
    request: CreateModelRequest,
    *,
    deployment_name: str,
    network: StackNetwork,
    instance_memory_mib: int | None = None,
) -> dict[str, Any]:
    """The CloudFormation template of the model's stack, field by field from the validated create request.

    `instance_memory_mib` (the instance type's memory) gives the default memoryReservation; without it and
    without `containerConfig.memoryReservation` the container has none. Raises InvalidInput for a request
    that is not LISA-hosted or a network without subnets.
    """
    _hosted(request)
    if not network.subnet_ids:
        raise InvalidInput([Problem("network.subnet_ids", "must name at least one subnet")], "model stack network")
    container, scaling, balancer = request.containerConfig, request.autoScalingConfig, request.loadBalancerConfig
    assert container is not None
    assert scaling is not None
    assert balancer is not None
    names = resource_names(deployment_name, request.modelId)
    subnets = list(network.subnet_ids)
    security_groups = list(network.security_group_ids)
    lb_health = balancer.healthCheckConfig
    metric = scaling.metricConfig
    desired = scaling.desiredCapacity if scaling.desiredCapacity is not None else scaling.minCapacity

    launch_data: dict[str, Any] = {
        "ImageId": network.image_id or {"Ref": AMI_PARAMETER_NAME},
        "InstanceType": request.instanceType,
        "BlockDeviceMappings": [
            {
                "DeviceName": ROOT_DEVICE,
                "Ebs": {
                    "VolumeSize": scaling.blockDeviceVolumeSize,
                    "VolumeType": "gp3",
                    "Encrypted": True,
                    "DeleteOnTermination": True,
                },
            }
        ],
        "IamInstanceProfile": {"Arn": {"Fn::GetAtt": ["InstanceProfile", "Arn"]}},
        "Monitoring": {"Enabled": True},
        "UserData": {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n"}},
    }
    if security_groups:
        launch_data["SecurityGroupIds"] = security_groups
    load_balancer: dict[str, Any] = {
        "Name": names.load_balancer,
        "Type": "application",
        "Scheme": "internal",
        "Subnets": subnets,
        "LoadBalancerAttributes": [
            {"Key": "idle_timeout.timeout_seconds", "Value": str(ALB_IDLE_TIMEOUT_S)},
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        ],
    }
    if security_groups:
        load_balancer["SecurityGroups"] = security_groups

    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"LISA model {request.modelId} ({request.modelName})"[:1000],  # CloudFormation: ≤ 1024 bytes
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": names.cluster}},
            "InstanceRole": _role(
                "ec2.amazonaws.com",
                f"LISA model {request.modelId}: its ECS container instances",
                managed_policies=(ECS_INSTANCE_POLICY, SSM_INSTANCE_POLICY),
            ),
            "InstanceProfile": {
                "Type": "AWS::IAM::InstanceProfile",
                "Properties": {"Roles": [{"Ref": "InstanceRole"}]},
            },
            "ExecutionRole": _role(
                "ecs-tasks.amazonaws.com",
                f"LISA model {request.modelId}: ECS pulls its image and writes its logs",
                managed_policies=(TASK_EXECUTION_POLICY,),
            ),
            "TaskRole": _role(
                "ecs-tasks.amazonaws.com",
                f"LISA model {request.modelId}: its container",
                policies=_models_bucket_policies(network.models_bucket),
            ),
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": names.log_group, "RetentionInDays": LOG_RETENTION_DAYS},
            },
            "LaunchTemplate": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {"LaunchTemplateName": names.launch_template, "LaunchTemplateData": launch_data},
            },
            "AutoScalingGroup": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "AutoScalingGroupName": names.auto_scaling_group,
                    "MinSize": str(scaling.minCapacity),
                    "MaxSize": str(scaling.maxCapacity),
                    "DesiredCapacity": str(desired),
                    "Cooldown": str(scaling.cooldown),
                    "DefaultInstanceWarmup": scaling.defaultInstanceWarmup,
                    "VPCZoneIdentifier": subnets,
                    "LaunchTemplate": {
                        "LaunchTemplateId": {"Ref": "LaunchTemplate"},
                        "Version": {"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]},
                    },
                    "TargetGroupARNs": [{"Ref": "TargetGroup"}],
                },
            },
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": names.task_family,
                    "NetworkMode": "bridge",
                    "RequiresCompatibilities": ["EC2"],
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                    "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                    "ContainerDefinitions": [
                        pascal_case(
                            container_definition(
                                request,
                                models_bucket=network.models_bucket,
                                instance_memory_mib=instance_memory_mib,
                                logs=ContainerLogs(group={"Ref": "LogGroup"}, region={"Ref": "AWS::Region"}),
                            )
                        )
                    ],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "DependsOn": ["Listener", "AutoScalingGroup"],
                "Properties": {
                    "ServiceName": names.service,
                    "Cluster": {"Ref": "Cluster"},
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "SchedulingStrategy": "DAEMON",
                    "LaunchType": "EC2",
                    "DeploymentConfiguration": {
                        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                        "MaximumPercent": 100,
                        "MinimumHealthyPercent": 0,
                    },
                    "LoadBalancers": [
                        {
                            "ContainerName": CONTAINER_NAME,
                            "ContainerPort": CONTAINER_PORT,
                            "TargetGroupArn": {"Ref": "TargetGroup"},
                        }
                    ],
                },
            },
            "LoadBalancer": {"Type": LOAD_BALANCER, "Properties": load_balancer},
            "TargetGroup": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "Name": names.target_group,
                    "Port": HOST_PORT,
                    "Protocol": "HTTP",
                    "TargetType": "instance",
                    "VpcId": network.vpc_id,
                    "HealthCheckProtocol": "HTTP",
                    "HealthCheckPath": lb_health.path,
                    "HealthCheckIntervalSeconds": lb_health.interval,
                    "HealthCheckTimeoutSeconds": lb_health.timeout,
                    "HealthyThresholdCount": lb_health.healthyThresholdCount,
                    "UnhealthyThresholdCount": lb_health.unhealthyThresholdCount,
                    "TargetGroupAttributes": [
                        {"Key": "slow_start.duration_seconds", "Value": str(TARGET_SLOW_START_S)},
                        {"Key": "deregistration_delay.timeout_seconds", "Value": str(TARGET_DEREGISTRATION_DELAY_S)},
                    ],
                },
            },
            "Listener": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": {"Ref": "LoadBalancer"},
                    "Port": HOST_PORT,
                    "Protocol": "HTTP",
                    "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}],
                },
            },
            "ScalingPolicy": {
                "Type": "AWS::AutoScaling::ScalingPolicy",
                "DependsOn": ["Listener"],
                "Properties": {
                    "AutoScalingGroupName": {"Ref": "AutoScalingGroup"},
                    "PolicyType": "TargetTrackingScaling",
                    "EstimatedInstanceWarmup": metric.estimatedInstanceWarmup,
                    "TargetTrackingConfiguration": {
                        "TargetValue": float(metric.targetValue),
                        **_tracked_metric(metric.albMetricName),
                    },
                },
            },
        },
        "Outputs": {
            "modelEndpointUrl": {
                "Description": "The model's internal load balancer",
                "Value": {"Fn::Join": ["", ["http://", {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}]]},
            },
            "autoScalingGroup": {"Description": "The model's Auto Scaling group", "Value": {"Ref": "AutoScalingGroup"}},
        },
    }
    if network.image_id is None:
        template["Parameters"] = {
            AMI_PARAMETER_NAME: {
                "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "Default": GPU_AMI_PARAMETER,
                "Description": "The current ECS-optimized GPU AMI (Amazon Linux 2)",
            }
        }
    return template


def _role(
    service: str,
    description: str,
    *,
    managed_policies: Sequence[str] = (),
    policies: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """An IAM role `service` assumes, with AWS managed policies (by name) and inline policies. CloudFormation
    names it (`<stack>-<logical id>-<suffix>`), so no name of LISA's or of another stack can collide."""
    properties: dict[str, Any] = {
        "Description": description[:1000],
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        },
    }
    if managed_policies:
        properties["ManagedPolicyArns"] = [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::aws:policy/{name}"} for name in managed_policies
        ]
    if policies:
        properties["Policies"] = list(policies)
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _models_bucket_policies(bucket: str | None) -> list[dict[str, Any]]:
    """The task role's read access to the models bucket (LISA's containers download their model from it)."""
    if not bucket:
        return []
    bucket_arn = f"arn:${{AWS::Partition}}:s3:::{bucket}"
    return [
        {
            "PolicyName": "models-bucket-read",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": {"Fn::Sub": bucket_arn}},
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": f"{bucket_arn}/*"}},
                ],
            },
        }
    ]


def _tracked_metric(name: AlbMetricName) -> dict[str, Any]:
    """RequestCountPerTarget: the predefined ALB metric; TargetResponseTime: the p90 latency of the target group."""
    if name is AlbMetricName.REQUEST_COUNT_PER_TARGET:
        return {
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": {
                    "Fn::Join": [
                        "/",
                        [
                            {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
                            {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]},
                        ],
                    ]
                },
            }
        }
    return {
        "CustomizedMetricSpecification": {
            "Metrics": [
                {
                    "Id": "latency",
                    "Label": f"{RESPONSE_TIME_PERCENTILE} {AlbMetricName.TARGET_RESPONSE_TIME.value}",
                    "ReturnData": True,
                    "MetricStat": {
                        "Stat": RESPONSE_TIME_PERCENTILE,
                        "Metric": {
                            "Namespace": "AWS/ApplicationELB",
                            "MetricName": AlbMetricName.TARGET_RESPONSE_TIME.value,
                            "Dimensions": [
                                {
                                    "Name": "LoadBalancer",
                                    "Value": {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
                                },
                                {
                                    "Name": "TargetGroup",
                                    "Value": {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]},
                                },
                            ],
                        },
                    },
                }
            ]
        }
    }


# -- discovering the network of the deployment's hosted models -------------------------------------------------


def discover_network(aws: Gateways) -> StackNetwork:
    """The network of the deployment's existing LISA-hosted models, for a new model's stack.

    Scans the models table for a model whose stack (`cloudformation_stack_name`) is complete (InService models
    first), then reads that stack's Auto Scaling group (subnets), launch template (security groups, AMI), the
    subnets' VPC, the ALB's security groups from the stack's template and the models bucket from the task
    definition. Raises InvalidInput when no model has such a stack (DeploymentUnreachable when AWS refuses a
    read).
    """
    candidates = _reference_candidates(aws.models.scan())
    reasons: list[str] = []
    for record in candidates:
        name = str(record.cloudformation_stack_name)
        try:
            network = _network_of_stack(aws, name, record.cloudformation_stack_arn)
        except (StackNotFound, AwsError, KeyError, IndexError, TypeError, ValueError) as error:
            reasons.append(f"{record.model_id}: {error}")  # this one is unusable; an unreachable deployment raises
            continue
        if network is not None:
            return network
        reasons.append(f"{record.model_id}: stack {name} is not complete or has no Auto Scaling group")
    detail = f" ({'; '.join(reasons[:3])})" if reasons else ""
    raise InvalidInput(
        [
            Problem(
                "network",
                "no LISA-hosted model to copy the network from; the deployment has no model whose CloudFormation "
                f"stack is complete{detail}. Create the first hosted model through LISA, then retry",
            )
        ],
        "model stack network",
    )


def _reference_candidates(records: Iterable[ModelRecord]) -> list[ModelRecord]:
    """Records with a stack, InService ones first, then the most recently changed."""
    with_stack = [r for r in records if r.cloudformation_stack_name]
    return sorted(
        with_stack,
        key=lambda r: (r.model_status is not ModelStatus.IN_SERVICE, -(r.last_modified_date or 0), r.model_id),
    )


def _network_of_stack(aws: Gateways, name: str, stack_id: str | None) -> StackNetwork | None:
    info = aws.stacks.describe(stack_id or name)
    if info.status not in COMPLETE_STACK_STATUSES:
        return None
    resources = aws.stacks.model_resources(name, info.stack_id or None)
    if not resources.auto_scaling_group:
        return None
    clients = aws.clients
    with clients.errors("autoscaling:DescribeAutoScalingGroups", resources.auto_scaling_group):
        groups = clients.autoscaling().describe_auto_scaling_groups(
            AutoScalingGroupNames=[resources.auto_scaling_group]
        )["AutoScalingGroups"]
    if not groups:
        return None
    group = groups[0]
    subnets = tuple(s.strip() for s in str(group.get("VPCZoneIdentifier") or "").split(",") if s.strip())
    if not subnets:
        return None
    launch = _launch_template_data(aws, group)
    with clients.errors("ec2:DescribeSubnets", subnets[0]):
        described = clients.ec2().describe_subnets(SubnetIds=[subnets[0]])["Subnets"]
    vpc_id = str(described[0]["VpcId"]) if described else ""
    if not vpc_id:
        return None
    owned = {r.physical_id for r in resources.resources if r.resource_type == SECURITY_GROUP}
    security_groups = _load_balancer_security_groups(aws, info.stack_id or name) or tuple(
        sg for sg in _launch_template_security_groups(launch) if sg not in owned
    )
    image_id = launch.get("ImageId")
    return StackNetwork(
        vpc_id=vpc_id,
        subnet_ids=subnets,
        security_group_ids=security_groups,
        image_id=str(image_id) if image_id else None,
        models_bucket=_models_bucket(aws, resources.task_definition),
    )


def _launch_template_data(aws: Gateways, group: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = group.get("LaunchTemplate") or (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {}).get(
        "LaunchTemplateSpecification"
    )
    if not spec:
        return {}
    version = str(spec.get("Version") or "$Default")
    kwargs: dict[str, Any] = {"Versions": [version]}
    if spec.get("LaunchTemplateId"):
        kwargs["LaunchTemplateId"] = spec["LaunchTemplateId"]
    else:
        kwargs["LaunchTemplateName"] = spec["LaunchTemplateName"]
    with aws.clients.errors("ec2:DescribeLaunchTemplateVersions", str(kwargs.get("LaunchTemplateId", ""))):
        versions = aws.clients.ec2().describe_launch_template_versions(**kwargs)["LaunchTemplateVersions"]
    return versions[0].get("LaunchTemplateData", {}) if versions else {}


def _launch_template_security_groups(data: Mapping[str, Any]) -> tuple[str, ...]:
    groups = [str(g) for g in data.get("SecurityGroupIds", ())]
    for interface in data.get("NetworkInterfaces", ()):
        groups.extend(str(g) for g in interface.get("Groups", ()))
    return tuple(dict.fromkeys(groups))


def _load_balancer_security_groups(aws: Gateways, stack: str) -> tuple[str, ...]:
    """The security groups the stack's template gives its ALB, when they are literal ids (LISA's shared
    ECS-model ALB group, which admits the VPC on port 80): unlike the instances' group that LISA's stack creates
    for itself, they outlive the reference model."""
    with aws.clients.errors("cloudformation:GetTemplate", stack):
        body: Any = aws.clients.cloudformation().get_template(StackName=stack)["TemplateBody"]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return ()  # a YAML template: fall back on the launch template's groups
    if not isinstance(body, Mapping):
        return ()
    for resource in (body.get("Resources") or {}).values():
        if isinstance(resource, Mapping) and resource.get("Type") == LOAD_BALANCER:
            groups = (resource.get("Properties") or {}).get("SecurityGroups") or []
            if groups and all(isinstance(g, str) for g in groups):
                return tuple(groups)
    return ()


def _models_bucket(aws: Gateways, task_definition: str | None) -> str | None:
    """`S3_BUCKET_MODELS` of the reference model's container: the deployment's models bucket."""
    if not task_definition:
        return None
    for container in aws.ecs.describe_task_definition(task_definition).container_definitions:
        for variable in container.get("environment", ()):
            if variable.get("name") == "S3_BUCKET_MODELS" and variable.get("value"):
                return str(variable["value"])
    return None
