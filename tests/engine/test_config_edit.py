"""The update request between a stored configuration and an edited one, the edits no update can carry, and the
way back (apply_update_request), field by field and as a property."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config_edit import (
    apply_update_request,
    config_of,
    leaf_paths,
    unchangeable_edits,
    updatable_view,
    update_request_from,
)
from engine.plan import plan
from engine.schema.requests import MARKED_FOR_DELETION
from engine.schema.validate import parse_update
from tests.engine.factories import hosted_config, record, third_party_config
from tests.engine.strategies import create_requests, hosted_parts, json_values, positive, text

BASE = record(hosted_config()).to_api()  # as the API returns it: with "status"


def edited(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(config_of(BASE))
    config.update(changes)
    return config


def edited_container(**changes: Any) -> dict[str, Any]:
    config = edited()
    config["containerConfig"].update(changes)
    return config


def test_nothing_changed_is_an_empty_request() -> None:
    assert update_request_from(BASE, BASE) == {}
    assert update_request_from(BASE, edited()) == {}
    assert unchangeable_edits(BASE, edited()) == []


def test_metadata_fields_are_sent_when_different() -> None:
    assert update_request_from(BASE, edited(modelDescription="new")) == {"modelDescription": "new"}
    assert update_request_from(BASE, edited(streaming=False)) == {"streaming": False}
    assert update_request_from(BASE, edited(allowedGroups=["a", "b"])) == {"allowedGroups": ["a", "b"]}
    assert update_request_from(BASE, edited(modelType="embedding")) == {"modelType": "embedding"}


def test_cleared_metadata_is_sent_as_the_empty_value_and_unset_equals_empty() -> None:
    assert update_request_from(BASE, edited(modelDescription=None)) == {"modelDescription": ""}
    assert update_request_from(BASE, edited(allowedGroups=None)) == {"allowedGroups": []}
    empty = third_party_config(modelDescription=None, allowedGroups=[], features=None)
    assert update_request_from(empty, {**empty, "modelDescription": "", "allowedGroups": None, "features": []}) == {}


def test_features_compare_order_insensitively_and_are_sent_whole() -> None:
    features = BASE["features"]
    assert update_request_from(BASE, edited(features=list(reversed(features)))) == {}
    assert update_request_from(BASE, edited(features=[{"name": "toolCalls"}, features[0]])) == {}
    new_overview = [{"name": "summarization", "overview": "new"}, features[1]]
    assert update_request_from(BASE, edited(features=new_overview)) == {"features": new_overview}
    fewer = [features[1]]
    assert update_request_from(BASE, edited(features=fewer)) == {"features": fewer}


def test_scaling_fields_become_auto_scaling_instance_config_with_only_the_changed_ones() -> None:
    config = edited()
    config["autoScalingConfig"].update(maxCapacity=5, cooldown=60, blockDeviceVolumeSize=200)
    assert update_request_from(BASE, config) == {"autoScalingInstanceConfig": {"maxCapacity": 5, "cooldown": 60}}
    assert unchangeable_edits(BASE, config) == ["autoScalingConfig.blockDeviceVolumeSize"]


def test_environment_added_changed_and_removed() -> None:
    config = edited_container(environment={"MAX_TOTAL_TOKENS": "8192", "NEW": "1"})
    assert update_request_from(BASE, config) == {
        "containerConfig": {
            "environment": {"MAX_TOTAL_TOKENS": "8192", "NEW": "1", "OLD_FLAG": MARKED_FOR_DELETION},
        }
    }
    assert update_request_from(BASE, edited_container(environment=None)) == {
        "containerConfig": {"environment": {"MAX_TOTAL_TOKENS": MARKED_FOR_DELETION, "OLD_FLAG": MARKED_FOR_DELETION}}
    }


def test_shared_memory_and_health_check_are_flattened() -> None:
    config = edited_container(sharedMemorySize=4096)
    config["containerConfig"]["healthCheckConfig"].update(command="curl -f localhost", interval=20, retries=5)
    assert update_request_from(BASE, config) == {
        "containerConfig": {
            "sharedMemorySize": 4096,
            "healthCheckCommand": "curl -f localhost",
            "healthCheckInterval": 20,
            "healthCheckRetries": 5,
        }
    }


def test_guardrails_are_sent_as_the_full_map() -> None:
    guardrails = {"guardrail-pii": {"guardrailName": "pii", "guardrailIdentifier": "abc123"}}
    assert update_request_from(BASE, edited(guardrailsConfig=guardrails)) == {"guardrailsConfig": guardrails}
    with_guardrails = {**BASE, "guardrailsConfig": guardrails}
    assert update_request_from(with_guardrails, edited(guardrailsConfig=None)) == {"guardrailsConfig": {}}


def test_unchangeable_fields_are_named_and_not_sent() -> None:
    config = edited(modelId="other", modelName="x", instanceType="g5.2xlarge", inferenceContainer="tgi", apiKey="k")
    config["containerConfig"]["image"]["baseImage"] = "vllm:new"
    config["loadBalancerConfig"]["healthCheckConfig"]["path"] = "/ready"
    config["autoScalingConfig"]["metricConfig"]["targetValue"] = 99
    assert update_request_from(BASE, config) == {}
    assert unchangeable_edits(BASE, config) == [
        "apiKey",
        "autoScalingConfig.metricConfig.targetValue",
        "containerConfig.image.baseImage",
        "inferenceContainer",
        "instanceType",
        "loadBalancerConfig.healthCheckConfig.path",
        "modelId",
        "modelName",
    ]


def test_api_only_keys_are_no_edit() -> None:
    api = {**BASE, "modelUrl": "http://alb/v1", "contextWindow": 8192, "lastModifiedDate": 1}
    assert unchangeable_edits(api, edited()) == []
    assert unchangeable_edits(api, {**edited(), "modelUrl": "http://other"}) == ["modelUrl"]


def test_a_value_an_update_cannot_clear_is_unchangeable() -> None:
    config = edited()
    config["autoScalingConfig"]["desiredCapacity"] = None
    config["modelType"] = None
    assert update_request_from(BASE, config) == {}
    assert unchangeable_edits(BASE, config) == ["autoScalingConfig.desiredCapacity", "modelType"]


def test_a_missing_or_broken_subtree_is_named_once() -> None:
    config = edited(containerConfig=None, autoScalingConfig="junk")
    del config["loadBalancerConfig"]
    assert unchangeable_edits(BASE, config) == ["autoScalingConfig", "containerConfig", "loadBalancerConfig"]
    assert update_request_from(BASE, config) == {}


def test_junk_values_are_passed_on_for_validation_to_name() -> None:
    config = edited_container(environment="A=1", sharedMemorySize="big")
    config["streaming"] = "maybe"
    request = update_request_from(BASE, config)
    assert request == {"streaming": "maybe", "containerConfig": {"environment": "A=1", "sharedMemorySize": "big"}}
    problems = {p.field for p in _problems(request)}
    assert problems == {"streaming", "containerConfig.environment", "containerConfig.sharedMemorySize"}


def _problems(request: dict[str, Any]) -> tuple[Any, ...]:
    from engine.errors import InvalidInput

    try:
        parse_update(request)
    except InvalidInput as invalid:
        return invalid.problems
    return ()


def test_apply_matches_plans_merge_for_a_valid_update() -> None:
    config = edited_container(environment={"MAX_TOTAL_TOKENS": "8192"}, sharedMemorySize=4096)
    config["autoScalingConfig"].update(maxCapacity=4, desiredCapacity=2)
    config["modelDescription"] = "new"
    request = update_request_from(BASE, config)
    merged = plan(record(hosted_config()), parse_update(request)).new_config
    assert apply_update_request(config_of(BASE), request) == merged
    assert updatable_view(merged) == updatable_view(config)


def test_apply_ignores_enabled_and_nulls_and_tolerates_junk() -> None:
    base = config_of(BASE)
    assert apply_update_request(base, {"enabled": False, "modelDescription": None}) == base
    assert apply_update_request(base, {"containerConfig": "junk", "autoScalingInstanceConfig": 3}) == base
    third = apply_update_request(third_party_config(), {"autoScalingInstanceConfig": {"minCapacity": 2}})
    assert third["autoScalingConfig"] == {"minCapacity": 2}


def test_leaf_paths() -> None:
    leaves = leaf_paths({"a": 1, "containerConfig": {"environment": {"K": "v"}, "h": {}}, "features": [{"n": 1}]})
    assert leaves == {"a": 1, "containerConfig.environment.K": "v", "features": [{"n": 1}]}


# -- properties ----------------------------------------------------------------------------------------------


@st.composite
def hosted_bases(draw: st.DrawFn) -> dict[str, Any]:
    config = draw(create_requests())
    config.update(draw(hosted_parts()))
    return config


@st.composite
def updatable_edits(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(base)
    if draw(st.booleans()):
        config["modelDescription"] = draw(st.none() | st.text(max_size=30))
    if draw(st.booleans()):
        config["streaming"] = draw(st.booleans())
    if draw(st.booleans()):
        config["allowedGroups"] = draw(st.lists(text, max_size=3))
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(["summarization", "imageInput", "toolCalls", "reasoning"]), unique=True))
        config["features"] = [{"name": name, "overview": draw(st.text(max_size=10))} for name in names]
    scaling = config["autoScalingConfig"]
    for name in draw(st.sets(st.sampled_from(["minCapacity", "maxCapacity", "desiredCapacity", "cooldown"]))):
        scaling[name] = draw(positive)
    container = config["containerConfig"]
    environment = dict(container["environment"])
    for key in draw(st.sets(st.sampled_from(sorted(environment)))) if environment else ():
        del environment[key]
    environment.update(draw(st.dictionaries(st.text(min_size=1, max_size=6), text, max_size=3)))
    container["environment"] = environment
    if draw(st.booleans()):
        container["sharedMemorySize"] = draw(positive)
    check = container["healthCheckConfig"]
    for name in draw(st.sets(st.sampled_from(["interval", "startPeriod", "timeout", "retries"]))):
        check[name] = draw(positive)
    if draw(st.booleans()):
        config["instanceType"] = "p4d.24xlarge"  # unchangeable: must not disturb the updatable fields
    return config


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_round_trip_carries_every_updatable_edit(data: st.DataObject) -> None:
    base = data.draw(hosted_bases())
    changed = data.draw(updatable_edits(base))
    request = update_request_from({**base, "status": "InService"}, changed)
    json.dumps(request)
    applied = apply_update_request(base, request)
    assert updatable_view(applied) == updatable_view(changed)
    assert update_request_from(applied, changed) == {}


@settings(max_examples=50, deadline=None)
@given(create_requests())
def test_no_edit_no_request(config: dict[str, Any]) -> None:
    assert update_request_from(config, copy.deepcopy(config)) == {}
    assert unchangeable_edits(config, copy.deepcopy(config)) == []


FIELDS = ["modelDescription", "streaming", "features", "allowedGroups", "containerConfig", "autoScalingConfig"]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_junk_never_crashes_and_the_request_is_json(data: st.DataObject) -> None:
    base = data.draw(hosted_bases())
    junk = data.draw(st.dictionaries(st.sampled_from([*FIELDS, "modelType", "x"]), json_values, max_size=6))
    changed = {**base, **junk}
    request = update_request_from(base, changed)
    json.dumps(request)
    unchangeable_edits(base, changed)
    apply_update_request(base, request)
    update_request_from(junk, base)
