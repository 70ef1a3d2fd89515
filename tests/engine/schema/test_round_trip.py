"""Property tests: valid data survives a read and a write unchanged; junk only ever raises InvalidInput."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InvalidInput
from engine.schema.record import ModelRecord
from engine.schema.validate import RequestKind, parse_create, parse_request
from tests.engine.strategies import create_requests, json_values, stored_items

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(stored_items())
def test_stored_records_round_trip_unchanged(item: dict[str, Any]) -> None:
    original = copy.deepcopy(item)
    assert ModelRecord.from_item(item).to_item() == original


@SETTINGS
@given(create_requests())
def test_valid_create_requests_parse_and_dump_unchanged(config: dict[str, Any]) -> None:
    assert parse_create(config).dump() == config


@SETTINGS
@given(json_values, st.sampled_from([None, RequestKind.CREATE, RequestKind.UPDATE]))
def test_junk_raises_only_invalid_input(data: object, kind: RequestKind | None) -> None:
    try:
        parse_request(data, kind)
    except InvalidInput as invalid:
        assert invalid.problems
        assert all(problem.field and problem.rule for problem in invalid.problems)


_CREATE_KEYS = [
    "modelId",
    "modelName",
    "modelType",
    "streaming",
    "features",
    "instanceType",
    "containerConfig",
    "autoScalingConfig",
    "loadBalancerConfig",
    "hostingType",
    "modelUrl",
    "inferenceContainer",
]
_UPDATE_KEYS = ["enabled", "autoScalingInstanceConfig", "containerConfig", "streaming", "modelType", "features"]


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(_CREATE_KEYS + _UPDATE_KEYS), json_values, max_size=8),
    st.sampled_from([RequestKind.CREATE, RequestKind.UPDATE]),
)
def test_junk_under_real_keys_raises_only_invalid_input(data: dict[str, Any], kind: RequestKind) -> None:
    try:
        parse_request(data, kind)
    except InvalidInput as invalid:
        assert invalid.problems


@SETTINGS
@given(create_requests(), st.sampled_from(_CREATE_KEYS), json_values)
def test_valid_request_with_one_field_mangled_raises_only_invalid_input(
    config: dict[str, Any], key: str, value: object
) -> None:
    config[key] = value
    try:
        parse_create(config)
    except InvalidInput as invalid:
        assert invalid.problems


def test_an_unknown_key_that_looks_like_a_pydantic_branch_name_is_named_as_written() -> None:
    """Found by the test above: pydantic's union branch names ("str", "dict[...") were dropped from user keys."""
    for key in ("dict[", "str", "list[str]"):
        try:
            parse_request({key: None}, None)
        except InvalidInput as invalid:
            assert f"{key}: unknown field (not part of LISA's UpdateModelRequest): ignored, not sent" in [
                str(warning) for warning in invalid.warnings
            ]
            assert not any(problem.field == key for problem in invalid.problems)
        else:
            raise AssertionError(f"{key!r} was accepted")
