"""The per-model stack template, field by field from the create request, and the network of the deployment."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.errors import InvalidInput
from engine.jobs.context import Gateways
from engine.sandbox.seed import MODELS_BUCKET, SANDBOX_AMI_ID
from engine.sandbox.server import Sandbox
from engine.schema.instance_types import gpu_count
from engine.schema.requests import CreateModelRequest
from engine.stack_template import (
    GPU_AMI_PARAMETER,
    ContainerLogs,
    StackNetwork,
    container_definition,
    discover_network,
    model_stack_template,
    pascal_case,
    resource_names,
    stack_name,
)
from tests.engine.factories import HOSTED_CONFIG, third_party_config

SUBNETS = ("subnet-0a1b2c3d4e5f60718", "subnet-0b1b2c3d4e5f60718", "subnet-0c1b2c3d4e5f60718")
NETWORK = StackNetwork(
    vpc_id="vpc-0123456789abcdef0",
    subnet_ids=SUBNETS,
    security_group_ids=("sg-0123456789abcdef0",),
    image_id="ami-0123456789abcdef0",
    models_bucket="lisa-models-bucket",
)


def make_request(**changes: Any) -> CreateModelRequest:
    """The factories' hosted config with dotted-path changes (`containerConfig.sharedMemorySize=4096`);
    a value of None removes the key."""
    config = copy.deepcopy(HOSTED_CONFIG)
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = config
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return CreateModelRequest.model_validate(config)


def template_of(request: CreateModelRequest | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("network", NETWORK)
    kwargs.setdefault("instance_memory_mib", 16384)
    return model_stack_template(request or make_request(), deployment_name="lisa", **kwargs)


def properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def container(template: dict[str, Any]) -> dict[str, Any]:
    (definition,) = properties(template, "TaskDefinition")["ContainerDefinitions"]
    return definition


def environment(template: dict[str, Any]) -> dict[str, str]:
    return {e["Name"]: e["Value"] for e in container(template)["Environment"]}


# -- names --------------------------------------------------------------------------------------------------------


def test_stack_name_is_deployment_dash_model_id() -> None:
    assert stack_name("lisa", "mistral-7b-instruct") == "lisa-mistral-7b-instruct"
    names = resource_names("prod", "m1")
    assert (names.stack, names.cluster, names.service, names.auto_scaling_group) == (
        "prod-m1",
        "prod-m1-cluster",
        "prod-m1-service",
        "prod-m1-asg",
    )
    assert (names.task_family, names.launch_template, names.load_balancer) == ("prod-m1-task", "prod-m1-lt", "prod-m1")


def test_load_balancer_names_fit_elbs_32_characters() -> None:
    names = resource_names("lisa-production", "a-very-long-model-identifier-0001")
    assert len(names.load_balancer) <= 32
    assert not names.load_balancer.endswith("-")
    assert names.target_group == names.load_balancer
    other = resource_names("lisa-production", "a-very-long-model-identifier-0002")
    assert other.load_balancer != names.load_balancer


def test_template_uses_the_resource_names_and_is_plain_json() -> None:
    template = template_of()
    names = resource_names("lisa", "mistral-7b-instruct")
    assert properties(template, "Cluster")["ClusterName"] == names.cluster
    assert properties(template, "Service")["ServiceName"] == names.service
    assert properties(template, "TaskDefinition")["Family"] == names.task_family
    assert properties(template, "AutoScalingGroup")["AutoScalingGroupName"] == names.auto_scaling_group
    assert properties(template, "LaunchTemplate")["LaunchTemplateName"] == names.launch_template
    assert properties(template, "LoadBalancer")["Name"] == names.load_balancer
    assert properties(template, "TargetGroup")["Name"] == names.target_group
    assert json.loads(json.dumps(template)) == template
    assert json.dumps(template_of()) == json.dumps(template), "the same request gives the same template"


def test_resource_types() -> None:
    types = {logical: resource["Type"] for logical, resource in template_of()["Resources"].items()}
    assert types == {
        "Cluster": "AWS::ECS::Cluster",
        "InstanceRole": "AWS::IAM::Role",
        "InstanceProfile": "AWS::IAM::InstanceProfile",
        "ExecutionRole": "AWS::IAM::Role",
        "TaskRole": "AWS::IAM::Role",
        "LogGroup": "AWS::Logs::LogGroup",
        "LaunchTemplate": "AWS::EC2::LaunchTemplate",
        "AutoScalingGroup": "AWS::AutoScaling::AutoScalingGroup",
        "TaskDefinition": "AWS::ECS::TaskDefinition",
        "Service": "AWS::ECS::Service",
        "LoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "TargetGroup": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Listener": "AWS::ElasticLoadBalancingV2::Listener",
        "ScalingPolicy": "AWS::AutoScaling::ScalingPolicy",
    }


# -- the container ----------------------------------------------------------------------------------------------


def test_environment_is_injected_variables_overridden_by_the_users() -> None:
    request = make_request(**{"containerConfig.environment": {"MAX_TOTAL_TOKENS": "4096", "LOCAL_MODEL_PATH": "/x"}})
    assert environment(template_of(request)) == {
        "MODEL_NAME": "mistralai/Mistral-7B-Instruct-v0.2",
        "LOCAL_MODEL_PATH": "/x",
        "S3_BUCKET_MODELS": "lisa-models-bucket",
        "MAX_TOTAL_TOKENS": "4096",
    }


def test_models_bucket_is_injected_only_when_known() -> None:
    network = dataclasses.replace(NETWORK, models_bucket=None)
    variables = environment(template_of(network=network))
    assert "S3_BUCKET_MODELS" not in variables
    assert variables["MODEL_NAME"] == "mistralai/Mistral-7B-Instruct-v0.2"
    assert variables["LOCAL_MODEL_PATH"] == "/nvme/model"


def test_user_may_override_model_name() -> None:
    request = make_request(**{"containerConfig.environment": {"MODEL_NAME": "local-name"}})
    assert environment(template_of(request))["MODEL_NAME"] == "local-name"


def test_image_ports_and_shared_memory() -> None:
    request = make_request(**{"containerConfig.sharedMemorySize": 8192})
    definition = container(template_of(request))
    assert definition["Name"] == "model"
    assert definition["Image"] == "vllm/vllm-openai:v0.5.0"
    assert definition["Essential"] is True
    assert definition["PortMappings"] == [{"ContainerPort": 8080, "HostPort": 80, "Protocol": "tcp"}]
    assert definition["LinuxParameters"] == {"SharedMemorySize": 8192}
    task = properties(template_of(request), "TaskDefinition")
    assert task["NetworkMode"] == "bridge"
    assert task["RequiresCompatibilities"] == ["EC2"]


def test_health_check_from_a_list_command() -> None:
    request = make_request(
        **{
            "containerConfig.healthCheckConfig": {
                "command": ["CMD", "curl", "-f", "http://localhost:8080/health"],
                "interval": 15,
                "startPeriod": 240,
                "timeout": 7,
                "retries": 4,
            }
        }
    )
    assert container(template_of(request))["HealthCheck"] == {
        "Command": ["CMD", "curl", "-f", "http://localhost:8080/health"],
        "Interval": 15,
        "Timeout": 7,
        "Retries": 4,
        "StartPeriod": 240,
    }


def test_health_check_from_a_string_command_runs_in_a_shell() -> None:
    request = make_request(**{"containerConfig.healthCheckConfig.command": "curl -f localhost:8080/health"})
    check = container(template_of(request))["HealthCheck"]
    assert check["Command"] == ["CMD-SHELL", "curl -f localhost:8080/health"]
    assert (check["Interval"], check["Timeout"], check["Retries"], check["StartPeriod"]) == (10, 5, 3, 300)


def test_memory_reservation_given_wins() -> None:
    request = make_request(**{"containerConfig.memoryReservation": 12000})
    assert container(template_of(request, instance_memory_mib=65536))["MemoryReservation"] == 12000


def test_memory_reservation_defaults_to_instance_memory_minus_2048() -> None:
    assert container(template_of(instance_memory_mib=32768))["MemoryReservation"] == 30720


def test_memory_reservation_absent_when_unknown() -> None:
    assert "MemoryReservation" not in container(template_of(instance_memory_mib=None))


def test_container_definition_is_the_ecs_spelling_of_the_same_container() -> None:
    request = make_request()
    definition = container_definition(request, models_bucket="b", instance_memory_mib=16384)
    assert definition["memoryReservation"] == 14336
    assert definition["healthCheck"]["command"] == ["CMD-SHELL", "exit 0"]
    assert {"name": "S3_BUCKET_MODELS", "value": "b"} in definition["environment"]
    assert definition["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert "logConfiguration" not in definition, "no log group given, no logging configured"
    replaced = container_definition(request, environment={"ONLY": "1"})
    assert [e["name"] for e in replaced["environment"]] == ["MODEL_NAME", "LOCAL_MODEL_PATH", "ONLY"]
    logged = container_definition(request, logs=ContainerLogs("/lisa/mistral-7b-instruct", "eu-west-1"))
    assert logged["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/lisa/mistral-7b-instruct",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "mistral-7b-instruct",
        },
    }


@pytest.mark.parametrize(
    ("instance_type", "gpus"),
    [
        ("g5.xlarge", 1),
        ("g5.16xlarge", 1),
        ("g5.12xlarge", 4),
        ("g5.24xlarge", 4),
        ("g5.48xlarge", 8),
        ("g4dn.12xlarge", 4),
        ("g6.2xlarge", 1),
        ("g6e.48xlarge", 8),
        ("p3.2xlarge", 1),
        ("p3.8xlarge", 4),
        ("p3.16xlarge", 8),
        ("p4d.24xlarge", 8),
        ("p5.48xlarge", 8),
        ("m5.large", None),
        ("g5.3xlarge", None),
        ("inf2.xlarge", None),
    ],
)
def test_gpu_count_of_an_instance_type(instance_type: str, gpus: int | None) -> None:
    assert gpu_count(instance_type) == gpus


@pytest.mark.parametrize(("instance_type", "gpus"), [("g5.xlarge", "1"), ("g5.12xlarge", "4"), ("p4d.24xlarge", "8")])
def test_the_container_reserves_the_instances_gpus(instance_type: str, gpus: str) -> None:
    definition = container(template_of(make_request(instanceType=instance_type)))
    assert definition["ResourceRequirements"] == [{"Type": "GPU", "Value": gpus}]


def test_a_container_on_an_instance_without_gpus_reserves_none() -> None:
    definition = container(template_of(make_request(instanceType="m5.large")))
    assert "ResourceRequirements" not in definition
    assert "resourceRequirements" not in container_definition(make_request(instanceType="m5.large"))


def test_the_container_logs_to_the_stacks_log_group_with_its_option_names_kept() -> None:
    template = template_of()
    assert container(template)["LogConfiguration"] == {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": {"Ref": "LogGroup"},
            "awslogs-region": {"Ref": "AWS::Region"},
            "awslogs-stream-prefix": "mistral-7b-instruct",
        },
    }
    log_group = template["Resources"]["LogGroup"]
    assert log_group["Properties"] == {"LogGroupName": "/lisa/mistral-7b-instruct", "RetentionInDays": 30}
    assert "DeletionPolicy" not in log_group, "deleted with the stack"
    assert resource_names("lisa", "mistral-7b-instruct").log_group == "/lisa/mistral-7b-instruct"


def test_pascal_case_keeps_name_keyed_maps_and_intrinsics() -> None:
    assert pascal_case(
        {
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "mode": "non-blocking"}},
            "dockerLabels": {"com.example.team": "ml"},
            "environment": [{"name": "A", "value": {"Fn::Sub": ["${x}", {"x": "y"}]}}],
            "image": {"Ref": "image"},
        }
    ) == {
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "g", "mode": "non-blocking"}},
        "DockerLabels": {"com.example.team": "ml"},
        "Environment": [{"Name": "A", "Value": {"Fn::Sub": ["${x}", {"x": "y"}]}}],
        "Image": {"Ref": "image"},
    }


# -- roles ----------------------------------------------------------------------------------------------------------


def managed_policy(name: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::aws:policy/{name}"}


def assumed_by(role: dict[str, Any]) -> str:
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRole")
    return str(statement["Principal"]["Service"])


def test_instances_get_a_profile_whose_role_lets_the_ecs_agent_and_ssm_in() -> None:
    template = template_of()
    role = properties(template, "InstanceRole")
    assert assumed_by(role) == "ec2.amazonaws.com"
    assert role["ManagedPolicyArns"] == [
        managed_policy("service-role/AmazonEC2ContainerServiceforEC2Role"),
        managed_policy("AmazonSSMManagedInstanceCore"),
    ]
    assert "Policies" not in role
    assert properties(template, "InstanceProfile") == {"Roles": [{"Ref": "InstanceRole"}]}
    data = properties(template, "LaunchTemplate")["LaunchTemplateData"]
    assert data["IamInstanceProfile"] == {"Arn": {"Fn::GetAtt": ["InstanceProfile", "Arn"]}}


def test_the_task_has_an_execution_role_and_a_task_role() -> None:
    template = template_of()
    task = properties(template, "TaskDefinition")
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    execution = properties(template, "ExecutionRole")
    assert assumed_by(execution) == "ecs-tasks.amazonaws.com"
    assert execution["ManagedPolicyArns"] == [managed_policy("service-role/AmazonECSTaskExecutionRolePolicy")]
    task_role = properties(template, "TaskRole")
    assert assumed_by(task_role) == "ecs-tasks.amazonaws.com"
    assert "ManagedPolicyArns" not in task_role
    for logical_id in ("InstanceRole", "ExecutionRole", "TaskRole"):
        assert "RoleName" not in properties(template, logical_id), "CloudFormation names it: no collision"


def test_the_task_role_may_read_the_models_bucket_only_when_it_is_known() -> None:
    (policy,) = properties(template_of(), "TaskRole")["Policies"]
    assert policy["PolicyName"] == "models-bucket-read"
    assert policy["PolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::lisa-models-bucket"},
            },
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::lisa-models-bucket/*"},
            },
        ],
    }
    without_bucket = template_of(network=dataclasses.replace(NETWORK, models_bucket=None))
    assert "Policies" not in properties(without_bucket, "TaskRole")


# -- capacity, instances ------------------------------------------------------------------------------------------


def test_capacity_min_max_desired() -> None:
    request = make_request(
        **{
            "autoScalingConfig.minCapacity": 2,
            "autoScalingConfig.maxCapacity": 5,
            "autoScalingConfig.desiredCapacity": 3,
        }
    )
    group = properties(template_of(request), "AutoScalingGroup")
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == ("2", "5", "3")


def test_desired_capacity_defaults_to_min() -> None:
    request = make_request(
        **{
            "autoScalingConfig.minCapacity": 2,
            "autoScalingConfig.maxCapacity": 4,
            "autoScalingConfig.desiredCapacity": None,
        }
    )
    assert properties(template_of(request), "AutoScalingGroup")["DesiredCapacity"] == "2"


def test_cooldown_and_instance_warmup() -> None:
    request = make_request(**{"autoScalingConfig.cooldown": 300, "autoScalingConfig.defaultInstanceWarmup": 600})
    group = properties(template_of(request), "AutoScalingGroup")
    assert group["Cooldown"] == "300"
    assert group["DefaultInstanceWarmup"] == 600


def test_group_spans_the_subnets_and_registers_with_the_target_group() -> None:
    group = properties(template_of(), "AutoScalingGroup")
    assert group["VPCZoneIdentifier"] == list(SUBNETS)
    assert group["TargetGroupARNs"] == [{"Ref": "TargetGroup"}]
    assert group["LaunchTemplate"] == {
        "LaunchTemplateId": {"Ref": "LaunchTemplate"},
        "Version": {"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]},
    }


def test_root_volume_is_encrypted_gp3_of_block_device_volume_size() -> None:
    request = make_request(**{"autoScalingConfig.blockDeviceVolumeSize": 200})
    data = properties(template_of(request), "LaunchTemplate")["LaunchTemplateData"]
    assert data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"VolumeSize": 200, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True},
        }
    ]
    assert data["InstanceType"] == "g5.xlarge"
    assert data["ImageId"] == "ami-0123456789abcdef0"
    assert data["SecurityGroupIds"] == ["sg-0123456789abcdef0"]
    assert data["UserData"]["Fn::Base64"]["Fn::Sub"].count("ECS_CLUSTER=${Cluster}") == 1


def test_block_device_volume_size_default_is_50() -> None:
    request = make_request(**{"autoScalingConfig.blockDeviceVolumeSize": None})
    data = properties(template_of(request), "LaunchTemplate")["LaunchTemplateData"]
    assert data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 50


def test_without_an_image_id_the_ami_comes_from_ssms_public_parameter() -> None:
    template = template_of(network=dataclasses.replace(NETWORK, image_id=None))
    assert properties(template, "LaunchTemplate")["LaunchTemplateData"]["ImageId"] == {"Ref": "GpuAmiId"}
    assert template["Parameters"]["GpuAmiId"] == {
        "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        "Default": GPU_AMI_PARAMETER,
        "Description": "The current ECS-optimized GPU AMI (Amazon Linux 2)",
    }
    assert "Parameters" not in template_of()


def test_without_security_groups_none_are_set() -> None:
    template = template_of(network=dataclasses.replace(NETWORK, security_group_ids=()))
    assert "SecurityGroupIds" not in properties(template, "LaunchTemplate")["LaunchTemplateData"]
    assert "SecurityGroups" not in properties(template, "LoadBalancer")


# -- service, load balancer, scaling ------------------------------------------------------------------------------


def test_daemon_service_with_circuit_breaker_behind_the_target_group() -> None:
    template = template_of()
    service = properties(template, "Service")
    assert service["SchedulingStrategy"] == "DAEMON"
    assert service["LaunchType"] == "EC2"
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert service["LoadBalancers"] == [
        {"ContainerName": "model", "ContainerPort": 8080, "TargetGroupArn": {"Ref": "TargetGroup"}}
    ]
    assert (service["Cluster"], service["TaskDefinition"]) == ({"Ref": "Cluster"}, {"Ref": "TaskDefinition"})
    assert "DesiredCount" not in service
    assert set(template["Resources"]["Service"]["DependsOn"]) == {"Listener", "AutoScalingGroup"}


def test_internal_load_balancer_with_600_s_idle_timeout() -> None:
    balancer = properties(template_of(), "LoadBalancer")
    assert balancer["Scheme"] == "internal"
    assert balancer["Type"] == "application"
    assert balancer["Subnets"] == list(SUBNETS)
    assert balancer["SecurityGroups"] == ["sg-0123456789abcdef0"]
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "600"} in balancer["LoadBalancerAttributes"]


def test_target_group_health_check_from_load_balancer_config() -> None:
    request = make_request(
        **{
            "loadBalancerConfig.healthCheckConfig": {
                "path": "/ping",
                "interval": 45,
                "timeout": 20,
                "healthyThresholdCount": 3,
                "unhealthyThresholdCount": 7,
            }
        }
    )
    group = properties(template_of(request), "TargetGroup")
    assert (group["Port"], group["Protocol"], group["TargetType"], group["VpcId"]) == (
        80,
        "HTTP",
        "instance",
        "vpc-0123456789abcdef0",
    )
    assert group["HealthCheckPath"] == "/ping"
    assert group["HealthCheckIntervalSeconds"] == 45
    assert group["HealthCheckTimeoutSeconds"] == 20
    assert group["HealthyThresholdCount"] == 3
    assert group["UnhealthyThresholdCount"] == 7
    assert {"Key": "slow_start.duration_seconds", "Value": "60"} in group["TargetGroupAttributes"]


def test_listener_forwards_http_80_to_the_target_group() -> None:
    listener = properties(template_of(), "Listener")
    assert listener == {
        "LoadBalancerArn": {"Ref": "LoadBalancer"},
        "Port": 80,
        "Protocol": "HTTP",
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}],
    }


def test_scaling_on_request_count_per_target() -> None:
    request = make_request(
        **{
            "autoScalingConfig.metricConfig": {
                "albMetricName": "RequestCountPerTarget",
                "targetValue": 45,
                "duration": 60,
                "estimatedInstanceWarmup": 240,
            }
        }
    )
    policy = properties(template_of(request), "ScalingPolicy")
    assert policy["AutoScalingGroupName"] == {"Ref": "AutoScalingGroup"}
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["EstimatedInstanceWarmup"] == 240
    tracking = policy["TargetTrackingConfiguration"]
    assert tracking["TargetValue"] == 45.0
    assert tracking["PredefinedMetricSpecification"] == {
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
    assert "CustomizedMetricSpecification" not in tracking


def test_scaling_on_p90_target_response_time() -> None:
    request = make_request(
        **{
            "autoScalingConfig.metricConfig": {
                "albMetricName": "TargetResponseTime",
                "targetValue": 2,
                "duration": 60,
                "estimatedInstanceWarmup": 120,
            }
        }
    )
    policy = properties(template_of(request), "ScalingPolicy")
    assert policy["EstimatedInstanceWarmup"] == 120
    tracking = policy["TargetTrackingConfiguration"]
    assert tracking["TargetValue"] == 2.0
    assert "PredefinedMetricSpecification" not in tracking
    (query,) = tracking["CustomizedMetricSpecification"]["Metrics"]
    assert query["ReturnData"] is True
    assert query["MetricStat"]["Stat"] == "p90"
    metric = query["MetricStat"]["Metric"]
    assert (metric["Namespace"], metric["MetricName"]) == ("AWS/ApplicationELB", "TargetResponseTime")
    assert [d["Name"] for d in metric["Dimensions"]] == ["LoadBalancer", "TargetGroup"]


def test_outputs_endpoint_url_and_group() -> None:
    assert template_of()["Outputs"] == {
        "modelEndpointUrl": {
            "Description": "The model's internal load balancer",
            "Value": {"Fn::Join": ["", ["http://", {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}]]},
        },
        "autoScalingGroup": {"Description": "The model's Auto Scaling group", "Value": {"Ref": "AutoScalingGroup"}},
    }


@pytest.mark.parametrize(
    ("metric", "network"),
    [
        ("RequestCountPerTarget", NETWORK),
        ("TargetResponseTime", dataclasses.replace(NETWORK, image_id=None, security_group_ids=())),
    ],
)
def test_cfn_lint_finds_nothing_wrong(metric: str, network: StackNetwork) -> None:
    """CloudFormation's own resource schemas (cfn-lint, which moto's CloudFormation brings along)."""
    api = pytest.importorskip("cfnlint.api")
    request = make_request(
        **{
            "autoScalingConfig.metricConfig.albMetricName": metric,
            "containerConfig.healthCheckConfig.command": "curl -f localhost:8080/health",
        }
    )
    matches = api.lint(json.dumps(template_of(request, network=network)), regions=["us-east-1"])
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def test_a_third_party_request_has_no_stack() -> None:
    request = CreateModelRequest.model_validate(third_party_config())
    with pytest.raises(InvalidInput, match="required for a LISA-hosted model's stack"):
        template_of(request)


def test_a_network_without_subnets_is_refused() -> None:
    with pytest.raises(InvalidInput, match="subnet"):
        template_of(network=dataclasses.replace(NETWORK, subnet_ids=()))


# -- on the sandbox's CloudFormation (moto) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5, tick_seconds=0.1) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def aws(sandbox: Sandbox) -> Gateways:
    clients = AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)
    return Gateways.for_deployment(clients, discover_deployment(clients, sandbox.prefix))


def test_discover_network_finds_the_seeded_models_network(sandbox: Sandbox, aws: Gateways) -> None:
    network = discover_network(aws)
    assert network == sandbox.deployment.network
    assert network.subnet_ids == tuple(sandbox.deployment.subnets)
    assert network.vpc_id.startswith("vpc-")
    assert len(network.security_group_ids) == 1
    assert network.image_id == SANDBOX_AMI_ID
    assert network.models_bucket == MODELS_BUCKET


class OnlyRecords:
    """A models table that holds only the given records (the rest of the gateways stay real)."""

    def __init__(self, records: list[Any]) -> None:
        self.records = records

    def scan(self, **_: Any) -> list[Any]:
        return list(self.records)


def test_discover_network_skips_stacks_that_are_not_complete(aws: Gateways) -> None:
    failed = aws.models.get("broken-model")  # its stack was rolled back
    assert failed.cloudformation_stack_name
    with pytest.raises(InvalidInput, match="no LISA-hosted model to copy the network from") as raised:
        discover_network(dataclasses.replace(aws, models=OnlyRecords([failed])))
    assert "broken-model" in str(raised.value.problems[0].rule)
    working = aws.models.get("bge-large-en")
    network = discover_network(dataclasses.replace(aws, models=OnlyRecords([failed, working])))
    assert network.subnet_ids


def test_discover_network_without_hosted_models(aws: Gateways) -> None:
    third_party = [r for r in aws.models.scan() if not r.cloudformation_stack_name]
    assert third_party
    with pytest.raises(InvalidInput, match="no LISA-hosted model to copy the network from"):
        discover_network(dataclasses.replace(aws, models=OnlyRecords(third_party)))


def test_a_new_models_stack_is_created_by_the_sandboxs_cloudformation(sandbox: Sandbox, aws: Gateways) -> None:
    request = make_request(modelId="console-new-model", modelName="Qwen/Qwen2.5-7B-Instruct")
    network = discover_network(aws)
    template = model_stack_template(
        request, deployment_name=sandbox.deployment_name, network=network, instance_memory_mib=16384
    )
    name = stack_name(sandbox.deployment_name, request.modelId)
    cloudformation = sandbox.client("cloudformation")
    stack_id = cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))["StackId"]

    info = aws.stacks.describe(name)
    assert info.status == "CREATE_COMPLETE"
    names = resource_names(sandbox.deployment_name, request.modelId)
    assert info.outputs["autoScalingGroup"] == names.auto_scaling_group
    assert info.outputs["modelEndpointUrl"].startswith("http://")
    assert info.outputs["modelEndpointUrl"].endswith(".elb.amazonaws.com")

    resources = aws.stacks.model_resources(name, stack_id)
    assert resources.is_complete
    assert resources.cluster == names.cluster
    assert resources.service is not None
    assert resources.service.endswith(f"/{names.service}")
    assert resources.auto_scaling_group == names.auto_scaling_group
    assert resources.load_balancer is not None
    created = {r.resource_type for r in resources.resources}
    assert created == {resource["Type"] for resource in template["Resources"].values()}
    assert all(r.physical_id for r in resources.resources)
    seeded = aws.stacks.model_resources(stack_name(sandbox.deployment_name, "mistral-7b-instruct"))
    assert {r.resource_type for r in seeded.resources} == created, "a console-created stack looks like a seeded one"

    group = aws.autoscaling.describe_one(names.auto_scaling_group)
    assert group is not None
    assert (group.min_size, group.max_size, group.desired_capacity) == (1, 3, 1)
    assert group.default_cooldown == 420
    raw = sandbox.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[names.auto_scaling_group])
    (described,) = raw["AutoScalingGroups"]
    assert described["VPCZoneIdentifier"].split(",") == list(network.subnet_ids)
    assert described["LaunchTemplate"]["LaunchTemplateName"] == names.launch_template
    assert len(described["TargetGroupARNs"]) == 1
    (policy,) = sandbox.client("autoscaling").describe_policies(AutoScalingGroupName=names.auto_scaling_group)[
        "ScalingPolicies"
    ]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["ResourceLabel"].startswith("app/")

    task_definition = aws.ecs.describe_task_definition(str(resources.task_definition))
    (definition,) = task_definition.container_definitions
    assert definition["image"] == "vllm/vllm-openai:v0.5.0"
    assert definition["memoryReservation"] == 14336
    assert {e["name"]: e["value"] for e in definition["environment"]}["S3_BUCKET_MODELS"] == MODELS_BUCKET
    assert definition["healthCheck"]["command"] == ["CMD-SHELL", "exit 0"]
    assert definition["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert definition["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": names.log_group,
            "awslogs-region": sandbox.region,
            "awslogs-stream-prefix": request.modelId,
        },
    }

    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in stack_resources(sandbox, stack_id)}
    iam, logs = sandbox.client("iam"), sandbox.client("logs")
    role_arns = {name: iam.get_role(RoleName=physical[name])["Role"]["Arn"] for name in ROLES}
    assert task_definition.raw["taskRoleArn"] == role_arns["TaskRole"]
    assert task_definition.raw["executionRoleArn"] == role_arns["ExecutionRole"]
    assert iam.list_role_policies(RoleName=physical["TaskRole"])["PolicyNames"] == ["models-bucket-read"]
    profile = iam.get_instance_profile(InstanceProfileName=physical["InstanceProfile"])["InstanceProfile"]
    assert [role["Arn"] for role in profile["Roles"]] == [role_arns["InstanceRole"]]
    launch = described["LaunchTemplate"]
    (version,) = sandbox.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=launch["LaunchTemplateId"], Versions=[launch["Version"]]
    )["LaunchTemplateVersions"]
    assert version["LaunchTemplateData"]["IamInstanceProfile"] == {"Arn": profile["Arn"]}
    (log_group,) = logs.describe_log_groups(logGroupNamePrefix=names.log_group)["logGroups"]
    assert (log_group["logGroupName"], log_group["retentionInDays"]) == (names.log_group, 30)

    cloudformation.delete_stack(StackName=stack_id)
    assert not sandbox.client("autoscaling").describe_policies(AutoScalingGroupName=names.auto_scaling_group)[
        "ScalingPolicies"
    ]
    roles = {role["RoleName"] for role in iam.list_roles()["Roles"]}
    assert not roles & {physical[name] for name in ROLES}, "the roles go with the stack"
    profiles = {p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]}
    assert physical["InstanceProfile"] not in profiles
    assert not logs.describe_log_groups(logGroupNamePrefix=names.log_group)["logGroups"]


ROLES = ("InstanceRole", "ExecutionRole", "TaskRole")


def stack_resources(sandbox: Sandbox, stack: str) -> list[Any]:
    return list(sandbox.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"])
