"""Every rule of LISA's create and update requests, each named by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import InvalidInput, Problem
from engine.schema.enums import ModelHostingType
from engine.schema.validate import parse_create, parse_update, unknown_field_warnings
from tests.engine.factories import hosted_config, third_party_config


def problems_of(parse: Any, data: object) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    return list(caught.value.problems)


def fields_of(parse: Any, data: object) -> set[str]:
    return {problem.field for problem in problems_of(parse, data)}


def with_path(config: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = config
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return config


def test_valid_hosted_and_third_party_configs_parse() -> None:
    assert parse_create(hosted_config()).effective_hosting_type is ModelHostingType.LISA_HOSTED
    assert parse_create(third_party_config()).effective_hosting_type is ModelHostingType.THIRD_PARTY


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("autoScalingConfig.minCapacity", 0, "autoScalingConfig.minCapacity"),
        ("autoScalingConfig.maxCapacity", 0, "autoScalingConfig.maxCapacity"),
        ("autoScalingConfig.minCapacity", 4, "autoScalingConfig.minCapacity"),
        ("autoScalingConfig.desiredCapacity", 5, "autoScalingConfig.desiredCapacity"),
        ("autoScalingConfig.blockDeviceVolumeSize", 29, "autoScalingConfig.blockDeviceVolumeSize"),
        ("autoScalingConfig.defaultInstanceWarmup", 0, "autoScalingConfig.defaultInstanceWarmup"),
        ("autoScalingConfig.defaultInstanceWarmup", 3601, "autoScalingConfig.defaultInstanceWarmup"),
        ("autoScalingConfig.cooldown", 0, "autoScalingConfig.cooldown"),
        ("autoScalingConfig.metricConfig.targetValue", -1, "autoScalingConfig.metricConfig.targetValue"),
        ("autoScalingConfig.metricConfig.duration", 0, "autoScalingConfig.metricConfig.duration"),
        ("containerConfig.sharedMemorySize", 0, "containerConfig.sharedMemorySize"),
        ("containerConfig.healthCheckConfig.command", ["curl", "x"], "containerConfig.healthCheckConfig.command"),
        ("containerConfig.healthCheckConfig.command", ["CMD"], "containerConfig.healthCheckConfig.command"),
        ("containerConfig.healthCheckConfig.command", ["CMD-SHELL", " "], "containerConfig.healthCheckConfig.command"),
        ("containerConfig.healthCheckConfig.command", "", "containerConfig.healthCheckConfig.command"),
        ("containerConfig.healthCheckConfig.retries", 0, "containerConfig.healthCheckConfig.retries"),
        ("containerConfig.environment", {"": "x"}, "containerConfig.environment"),
        ("containerConfig.environment", {"TOKENS": 4096}, "containerConfig.environment.TOKENS"),
        ("containerConfig.image.baseImage", "", "containerConfig.image.baseImage"),
        ("containerConfig.image.type", "docker", "containerConfig.image.type"),
        ("instanceType", "g9.humongous", "instanceType"),
        ("inferenceContainer", "instructor", "inferenceContainer"),
        ("loadBalancerConfig.healthCheckConfig.path", "health", "loadBalancerConfig.healthCheckConfig.path"),
        ("loadBalancerConfig.healthCheckConfig.timeout", 60, "loadBalancerConfig.healthCheckConfig.timeout"),
        ("modelId", "Mistral_7B", "modelId"),
        ("modelId", "7b-model", "modelId"),
        ("modelId", "model-", "modelId"),
        ("modelName", "", "modelName"),
        ("modelType", "chat", "modelType"),
    ],
)
def test_each_field_rule_names_its_field(path: str, value: Any, field: str) -> None:
    assert field in fields_of(parse_create, with_path(hosted_config(), path, value))


def test_a_refused_model_id_says_why_the_console_is_stricter_than_lisas_api() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_create(third_party_config(modelId="Mistral_7B"))
    (problem,) = caught.value.problems
    assert problem.field == "modelId"
    assert problem.rule.startswith("must use lowercase letters, digits and '-'")
    assert "CloudFormation stack" in problem.rule and "Auto Scaling group" in problem.rule
    assert "its API takes any id" in problem.rule


def test_single_letter_model_id_is_accepted_as_lisa_ui_does() -> None:
    assert parse_create(third_party_config(modelId="a")).modelId == "a"


def test_hosted_fields_are_all_or_none() -> None:
    config = hosted_config()
    del config["instanceType"], config["loadBalancerConfig"]
    problems = problems_of(parse_create, config)
    assert {p.field for p in problems} == {"instanceType", "loadBalancerConfig"}
    assert all("all of autoScalingConfig" in p.rule for p in problems)


def test_lisa_hosted_type_without_hosted_fields_is_refused() -> None:
    assert fields_of(parse_create, third_party_config(hostingType="lisa_hosted")) == {
        "autoScalingConfig",
        "containerConfig",
        "inferenceContainer",
        "instanceType",
        "loadBalancerConfig",
    }


def test_hosted_fields_under_a_third_party_type_are_refused() -> None:
    assert fields_of(parse_create, hosted_config(hostingType="third_party")) == {"hostingType"}


def test_hosted_type_is_inferred_from_the_five_fields_as_lisa_does() -> None:
    assert parse_create(hosted_config()).hostingType is None
    assert parse_create(hosted_config()).effective_hosting_type is ModelHostingType.LISA_HOSTED


def test_embedding_models_cannot_stream() -> None:
    problems = problems_of(parse_create, third_party_config(modelType="embedding", streaming=True, features=None))
    assert [p.field for p in problems] == ["streaming"]


def test_cross_field_rules_are_reported_alongside_field_errors() -> None:
    config = third_party_config(modelType="embedding", streaming=True, modelId="Bad Id")
    assert fields_of(parse_create, config) == {"modelId", "streaming"}


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://internal-model-123.us-east-1.elb.amazonaws.com/v1", True),
        ("https://my-alb.elb.amazonaws.com", True),
        ("http://example.com/v1", False),
        ("ftp://x.elb.amazonaws.com", False),
        (None, False),
    ],
)
def test_internal_hosted_models_need_an_internal_load_balancer_url(url: str | None, ok: bool) -> None:
    config = third_party_config(hostingType="internal_hosted", modelName="openai/my-model", modelUrl=url)
    if ok:
        assert parse_create(config).effective_hosting_type is ModelHostingType.INTERNAL_HOSTED
    else:
        assert fields_of(parse_create, config) == {"modelUrl"}


def daily(**days: Any) -> dict[str, Any]:
    return {"scheduleType": "DAILY", "timezone": "Europe/Paris", "dailySchedule": days}


@pytest.mark.parametrize(
    ("scheduling", "field"),
    [
        (daily(monday={"startTime": "09:00", "stopTime": "10:59"}), "dailySchedule.monday.stopTime"),
        (daily(monday={"startTime": "9am", "stopTime": "18:00"}), "dailySchedule.monday.startTime"),
        (daily(monday={"startTime": "09:00", "stopTime": "24:00"}), "dailySchedule.monday.stopTime"),
        (daily(), "dailySchedule"),
        ({"scheduleType": "DAILY"}, "dailySchedule"),
        ({"scheduleType": "RECURRING"}, "recurringSchedule"),
        (
            {
                "scheduleType": "RECURRING",
                "timezone": "Mars/Olympus",
                "recurringSchedule": {"startTime": "08:00", "stopTime": "20:00"},
            },
            "timezone",
        ),
        ({"scheduleType": "NONE"}, "scheduleType"),
    ],
)
def test_schedule_rules(scheduling: dict[str, Any], field: str) -> None:
    config = hosted_config()
    config["autoScalingConfig"]["scheduling"] = scheduling
    assert f"autoScalingConfig.scheduling.{field}" in fields_of(parse_create, config)


@pytest.mark.parametrize(
    "window", [{"startTime": "08:00", "stopTime": "18:00"}, {"startTime": "22:00", "stopTime": "00:00"}]
)
def test_valid_schedules_including_a_stop_past_midnight(window: dict[str, str]) -> None:
    config = hosted_config()
    config["autoScalingConfig"]["scheduling"] = {"scheduleType": "RECURRING", "recurringSchedule": window}
    assert parse_create(config).autoScalingConfig is not None


def test_unknown_fields_are_warnings_with_their_path_and_are_not_sent() -> None:
    """LISA's API ignores keys it does not know (a newer LISA's, or LISA's own GET /models fields): so does the
    console, naming each so that a typo is seen."""
    config = hosted_config(minCapcity=2, status="InService", contextWindow=8192)
    config["containerConfig"]["healthCheck"] = {}
    request = parse_create(config)
    warnings = unknown_field_warnings(request)
    assert [w.field for w in warnings] == ["containerConfig.healthCheck", "contextWindow", "minCapcity", "status"]
    assert all("ignored, not sent" in w.rule for w in warnings)
    sent = request.dump()
    assert not {"minCapcity", "status", "contextWindow"} & set(sent)
    assert "healthCheck" not in sent["containerConfig"]


def test_repeated_features_are_refused() -> None:
    config = third_party_config(features=[{"name": "toolCalls"}, {"name": "toolCalls"}])
    assert fields_of(parse_create, config) == {"features"}


class TestUpdateRequest:
    def test_enabled_cannot_be_mixed_with_autoscaling(self) -> None:
        problems = problems_of(parse_update, {"enabled": False, "autoScalingInstanceConfig": {"minCapacity": 1}})
        assert [p.field for p in problems] == ["enabled"]
        assert "separate" in problems[0].rule

    def test_empty_update_is_refused(self) -> None:
        assert fields_of(parse_update, {}) == {"UpdateModelRequest"}

    @pytest.mark.parametrize(
        ("scaling", "field"),
        [
            (None, "autoScalingInstanceConfig"),
            ({}, "autoScalingInstanceConfig"),
            ({"minCapacity": 0}, "autoScalingInstanceConfig.minCapacity"),
            ({"minCapacity": 3, "maxCapacity": 2}, "autoScalingInstanceConfig.minCapacity"),
            ({"desiredCapacity": 5, "maxCapacity": 2}, "autoScalingInstanceConfig.desiredCapacity"),
            ({"desiredCapacity": 1, "minCapacity": 2}, "autoScalingInstanceConfig.desiredCapacity"),
            ({"defaultInstanceWarmup": 4000}, "autoScalingInstanceConfig.defaultInstanceWarmup"),
        ],
    )
    def test_autoscaling_rules(self, scaling: Any, field: str) -> None:
        assert field in fields_of(parse_update, {"autoScalingInstanceConfig": scaling})

    @pytest.mark.parametrize(
        ("container", "field"),
        [
            ({}, "containerConfig"),
            ({"healthCheckCommand": ["wget", "x"]}, "containerConfig.healthCheckCommand"),
            ({"sharedMemorySize": 0}, "containerConfig.sharedMemorySize"),
            ({"environment": {"": "1"}}, "containerConfig.environment"),
            ({"healthCheckRetries": -1}, "containerConfig.healthCheckRetries"),
        ],
    )
    def test_container_rules(self, container: dict[str, Any], field: str) -> None:
        assert field in fields_of(parse_update, {"containerConfig": container})

    def test_marking_a_variable_for_deletion_is_valid(self) -> None:
        update = parse_update({"containerConfig": {"environment": {"OLD": "LISA_MARKED_FOR_DELETION"}}})
        assert update.given_fields == ["containerConfig"]

    def test_embedding_type_with_streaming_is_refused(self) -> None:
        assert fields_of(parse_update, {"modelType": "embedding", "streaming": True}) == {"streaming"}


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (True, "must be a whole number, not true"),
        (10**80, "must be at most 2147483647"),
        (2**31, "must be at most 2147483647"),
    ],
)
def test_capacities_aws_cannot_take_are_refused_naming_the_field(value: object, rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_update({"autoScalingInstanceConfig": {"maxCapacity": value}})
    problems = [(p.field, p.rule) for p in caught.value.problems]
    assert any(field == "autoScalingInstanceConfig.maxCapacity" and rule in text for field, text in problems), problems


def test_what_lisa_accepts_is_accepted_streaming_null_and_no_target_value(examples: Path) -> None:
    """LISA's API takes `streaming: null` (as false) and a metricConfig without targetValue (30)."""
    from engine.files import load_document
    from engine.schema.validate import parse_create

    request = load_document(examples / "hosted-vllm.yaml")
    request["streaming"] = None
    del request["autoScalingConfig"]["metricConfig"]["targetValue"]
    parsed = parse_create(request)
    assert parsed.streaming is False
    assert parsed.autoScalingConfig is not None
    assert parsed.autoScalingConfig.metricConfig.targetValue == 30


@pytest.mark.parametrize("time_of_day", ["8:00", "08:00", "0:05", "23:59"])
def test_schedule_times_as_lisa_takes_them(time_of_day: str) -> None:
    from engine.schema.config import DaySchedule

    assert DaySchedule.model_validate({"startTime": time_of_day, "stopTime": "3:00"}).startTime == time_of_day


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"modelName": "org/model\x00"}, "modelName"),
        ({"modelDescription": "bell\x07"}, "modelDescription"),
        ({"allowedGroups": ["ok", "esc\x1b[31m"]}, "allowedGroups"),
        ({"apiKey": "sk-\x7f"}, "apiKey"),
    ],
)
def test_control_characters_are_refused_naming_the_field(document: dict[str, Any], field: str) -> None:
    base = {"modelId": "m", "modelName": "org/model", "modelType": "textgen"}
    with pytest.raises(InvalidInput, match=rf"{field}: must not contain control characters"):
        parse_create({**base, **document})


def test_tabs_and_line_breaks_are_text_not_control_characters() -> None:
    base = {"modelId": "m", "modelName": "org/model", "modelType": "textgen"}
    assert parse_create({**base, "modelDescription": "two\r\nlines\tand a tab"}).modelDescription


def test_an_environment_key_with_a_nul_is_refused_in_an_update() -> None:
    with pytest.raises(InvalidInput, match=r"containerConfig.environment: must not contain control characters"):
        parse_update({"containerConfig": {"environment": {"A\x00": "b"}}})
