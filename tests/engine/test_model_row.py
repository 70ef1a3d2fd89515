from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from engine.model_row import EMPTY_JSON, ModelRow, json_text

CONFIG = {
    "modelId": "m",
    "modelName": "org/m",
    "autoScalingConfig": {"minCapacity": 1, "maxCapacity": 3},
    "features": [{"name": "toolCalls", "overview": ""}],
    "modelDescription": "ünïcode and \u2028",
}
LIVE = {"runningCount": 1, "events": [{"time": None, "message": "started"}]}


def row(**changes: object) -> ModelRow:
    values: dict[str, object] = {
        "model_id": "m",
        "model_name": "org/m",
        "hosting": "lisa_hosted",
        "model_type": "textgen",
        "status": "InService",
        "config": CONFIG,
        "live": LIVE,
    }
    return ModelRow.of(**(values | changes))


def test_config_and_live_read_as_the_mappings_they_were_built_from() -> None:
    built = row()
    assert built.config == CONFIG
    assert built.live == LIVE
    assert json.loads(built.config_json) == CONFIG
    assert list(built.config) == list(CONFIG)  # the API's key order, for Copy as JSON and Export
    assert isinstance(built.config, dict)


def test_parsed_once_on_first_use() -> None:
    built = row()
    assert built.config is built.config
    assert built.live is built.live


def test_no_live_facts_and_an_empty_configuration() -> None:
    bare = ModelRow("t", "org/t", "third_party", "textgen", "InService")
    assert bare.config == {} and bare.config_json == EMPTY_JSON
    assert bare.live is None and bare.live_json is None
    assert ModelRow.of(model_id="t", model_name="org/t", hosting="third_party", model_type="textgen", status="X") == (
        dataclasses.replace(bare, status="X")
    )


def test_equal_by_value_whether_parsed_or_not() -> None:
    first, second = row(), row()
    assert first is not second
    assert first.config  # parsed: the cache takes no part in equality or hashing
    assert first == second and hash(first) == hash(second)
    assert row(config=CONFIG | {"modelDescription": "changed"}) != first
    assert row(live=None) != first


def test_replace_drops_the_parsed_values() -> None:
    built = row()
    assert built.config["modelName"] == "org/m"
    changed = dataclasses.replace(built, config_json=json_text(CONFIG | {"modelName": "org/other"}))
    assert changed.config["modelName"] == "org/other"
    assert built.config["modelName"] == "org/m"


def test_survives_json_and_pickle() -> None:
    built = row(features=("toolCalls",), allowed_groups=("a", "b"), last_modified=1_700_000_000_000)
    assert built.config
    assert "_config" not in built.to_json()
    assert ModelRow.from_json(json.loads(json.dumps(built.to_json()))) == built
    assert pickle.loads(pickle.dumps(built)) == built


def test_from_json_refuses_a_configuration_that_is_not_json_text() -> None:
    data = row().to_json() | {"config_json": {"modelId": "m"}}
    with pytest.raises(TypeError):
        ModelRow.from_json(data)
    with pytest.raises(TypeError):
        ModelRow.from_json(row().to_json() | {"live_json": 3})


def test_a_face_round_trips_through_json_as_the_row_without_its_details() -> None:
    full = row(
        features=("toolCalls", "imageInput"),
        allowed_groups=("admins",),
        min_capacity=1,
        running_tasks=2,
        last_modified=1_790_000_000_000,
        failure_reason="boom",
        live_error="no group",
        litellm_registered=True,
    )
    face = ModelRow.from_face(json.loads(json.dumps(full.to_face())))
    assert face == dataclasses.replace(full, config_json=EMPTY_JSON, live_json=None)
    assert face.features == ("toolCalls", "imageInput") and isinstance(face.allowed_groups, tuple)
    assert face.config == {} and face.live is None


@pytest.mark.parametrize("values", [{}, [], ["m"], [None] * 40, "m"])
def test_something_else_is_not_a_face(values: object) -> None:
    with pytest.raises(TypeError):
        ModelRow.from_face(values)  # type: ignore[arg-type]


def test_a_held_row_keeps_its_holder_and_heartbeat_in_json_and_in_its_face() -> None:
    held = row(
        status="Stopping", held_by="job-1 (arn:aws:iam::1:user/a on host, since 2026-12-06T15:00:00Z)", heartbeat=5
    )
    assert ModelRow.from_json(json.loads(json.dumps(held.to_json()))) == held
    face = ModelRow.from_face(json.loads(json.dumps(held.to_face())))
    assert (face.held_by, face.heartbeat) == (held.held_by, 5)
    assert held != dataclasses.replace(held, heartbeat=6)  # a renewed heartbeat is a changed row
    assert (row().held_by, row().heartbeat) == (None, None)


def test_a_failure_reason_is_shown_only_while_the_model_is_failed() -> None:
    """LISA writes `failure_reason` with Failed and never removes it: on any other status it is stale."""
    assert row(status="Failed", failure_reason="boom").shown_failure_reason == "boom"
    for status in ("InService", "Stopped", "Updating"):
        assert row(status=status, failure_reason="boom").shown_failure_reason is None
