from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.model_row import ROW_FORMAT, ModelRow, json_text
from lisa_desktop.snapshot import SNAPSHOT_FORMAT, SaveSchedule, Snapshot, SnapshotStore


def row(index: int) -> ModelRow:
    model_id = f"bench-{index:05d}"
    return ModelRow.of(
        model_id=model_id,
        model_name="mistralai/Mistral-7B-Instruct-v0.3",
        hosting="lisa_hosted",
        model_type="textgen",
        status="InService",
        instance_type="g5.xlarge",
        min_capacity=1,
        desired_capacity=1,
        max_capacity=3,
        running_tasks=1,
        healthy_instances=1,
        streaming=True,
        features=("summarization",),
        allowed_groups=("research", "support"),
        last_modified=1_700_000_000_000 + index,
        config={
            "modelId": model_id,
            "modelName": "mistralai/Mistral-7B-Instruct-v0.3",
            "instanceType": "g5.xlarge",
            "autoScalingConfig": {"minCapacity": 1, "maxCapacity": 3, "desiredCapacity": 1, "cooldown": 420},
            "containerConfig": {"image": {"baseImage": "vllm/vllm-openai:v0.5.0"}, "environment": {"A": "1"}},
            "status": "InService",
        },
        live={"runningCount": 1, "autoScalingGroup": {"name": f"lisa-{model_id}-asg", "healthyInstances": 1}},
        litellm_registered=True,
    )


def test_rows_come_back(isolated_cache_dir: Path) -> None:
    store = SnapshotStore()
    rows = [row(i) for i in range(3)]
    path = store.save("connection:prod|/prod/lisa|eu-west-1", rows, saved_at=1_800_000_000.5)
    assert path.is_relative_to(isolated_cache_dir)
    loaded = store.load("connection:prod|/prod/lisa|eu-west-1")
    assert loaded == Snapshot(rows, 1_800_000_000.5)
    assert loaded.age_seconds(now=1_800_007_200.5) == 7200
    assert store.load("connection:dev|/dev/lisa|eu-west-1") is None
    assert store.load("") is None


def test_saving_again_replaces_the_file_atomically() -> None:
    store = SnapshotStore()
    store.save("sandbox", [row(1)])
    store.save("sandbox", [row(2), row(3)])
    loaded = store.load("sandbox")
    assert loaded is not None
    assert [r.model_id for r in loaded.rows] == ["bench-00002", "bench-00003"]
    left = sorted(p.name for p in store.directory.iterdir())
    assert left == sorted([store.path("sandbox").name, store.faces_path("sandbox").name])  # no temporary left


def test_faces_are_the_rows_without_their_details_for_the_first_paint() -> None:
    store = SnapshotStore()
    full = row(1)
    assert full.config
    store.save("sandbox", [full])
    faces = store.load_faces("sandbox")
    assert faces is not None
    [face] = faces.rows
    assert face.model_id == full.model_id and face.status == full.status
    assert face.config == {} and face.live is None
    assert store.path("sandbox").stat().st_size > store.faces_path("sandbox").stat().st_size
    store.clear("sandbox")
    assert store.load_faces("sandbox") is None and store.load("sandbox") is None


def test_only_the_first_rows_are_read_when_they_were_saved_in_the_order_asked_for() -> None:
    store = SnapshotStore()
    rows = [row(i) for i in range(10)]
    store.save("sandbox", rows, order="model_id ascending")
    head = store.load_faces("sandbox", first=3, order="model_id ascending")
    assert head is not None
    assert [r.model_id for r in head.rows] == [r.model_id for r in rows[:3]]
    assert head.more == 7 and head.order == "model_id ascending"
    for other in (store.load_faces("sandbox", first=3, order="status descending"), store.load_faces("sandbox")):
        assert other is not None
        assert [r.model_id for r in other.rows] == [r.model_id for r in rows] and other.more == 0
    store.save("sandbox", rows)  # saved in no order the table named: every row is read
    unordered = store.load_faces("sandbox", first=3, order="model_id ascending")
    assert unordered is not None and len(unordered.rows) == 10 and unordered.more == 0


def header(**changes: object) -> str:
    values: dict[str, object] = {"format": SNAPSHOT_FORMAT, "rowFormat": ROW_FORMAT, "key": "sandbox", "savedAt": 1}
    return json.dumps(values | changes)


GOOD_ROW = json.dumps(row(1).to_json())


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[]",
        f"{header(rowFormat=ROW_FORMAT - 1)}\n{GOOD_ROW}",
        f"{header(format=SNAPSHOT_FORMAT - 1)}\n{GOOD_ROW}",
        f"{header(key='other')}\n{GOOD_ROW}",
        header(savedAt=None),
        f'{header()}\n{GOOD_ROW}\n{{"x": 1}}',
        f"{header()}\n{GOOD_ROW}\n7",
        f"{header()}\n{GOOD_ROW}\n{GOOD_ROW[:-9]}",
        f"{header()}\n{json.dumps(row(1).to_json() | {'config_json': {'modelId': 'x'}})}",
    ],
)
def test_a_corrupt_or_old_snapshot_is_ignored(content: str) -> None:
    store = SnapshotStore()
    store.save("sandbox", [row(1)])
    assert store.load("sandbox") is not None
    store.path("sandbox").write_text(content, encoding="utf-8")
    assert store.load("sandbox") is None


def test_undecodable_bytes_are_ignored() -> None:
    store = SnapshotStore()
    store.save("sandbox", [row(1)])
    store.path("sandbox").write_bytes(b"\xff\xfe")
    assert store.load("sandbox") is None


def test_a_row_a_line_with_its_configuration_as_json_text() -> None:
    store = SnapshotStore()
    tricky = dataclasses.replace(
        row(1), config_json=json_text({"modelDescription": 'two\nlines, a \u2028 separator, «quotes» "and" tabs\t'})
    )
    store.save("sandbox", [tricky, row(2), row(3)])
    lines = store.path("sandbox").read_text(encoding="utf-8").split("\n")
    assert len(lines) == 4
    assert json.loads(lines[0])["key"] == "sandbox"
    assert json.loads(lines[1])["config_json"] == tricky.config_json
    loaded = store.load("sandbox")
    assert loaded is not None
    assert loaded.rows == [tricky, row(2), row(3)]
    assert loaded.rows[0].config == {"modelDescription": 'two\nlines, a \u2028 separator, «quotes» "and" tabs\t'}


def test_no_rows() -> None:
    store = SnapshotStore()
    store.save("sandbox", [], saved_at=5.0)
    assert store.load("sandbox") == Snapshot([], 5.0)
    assert store.load_faces("sandbox") == Snapshot([], 5.0)


def test_five_thousand_rows_load_back_as_saved() -> None:
    """How fast they load is a timing: tests/bench/bench_main_window.py measures it (`cached_start_s`)."""
    store = SnapshotStore()
    rows = [row(i) for i in range(5000)]
    store.save("sandbox", rows)
    loaded = store.load("sandbox")
    assert loaded is not None
    assert loaded.rows == rows


def test_a_refresh_that_kept_every_row_is_not_written_again_until_the_resave_time() -> None:
    schedule = SaveSchedule(every_s=600)
    rows = [row(index) for index in range(3)]
    assert schedule.due("key", "model_id ascending", rows, now=0.0)
    assert not schedule.due("key", "model_id ascending", list(rows), now=30.0)  # the same row objects
    assert schedule.due("key", "model_id ascending", rows, now=600.0)  # the time the snapshot tells stays fresh


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: [*rows[:2], dataclasses.replace(rows[2], status="Stopping")],  # a row changed
        lambda rows: [rows[0], rows[2], rows[1]],  # another order
        lambda rows: rows[:2],  # a model gone
        lambda rows: [*rows, row(9)],  # a new model
    ],
)
def test_rows_that_changed_are_written(change: Callable[[list[ModelRow]], list[ModelRow]]) -> None:
    schedule = SaveSchedule()
    rows = [row(index) for index in range(3)]
    assert schedule.due("key", "model_id ascending", rows, now=0.0)
    assert schedule.due("key", "model_id ascending", change(rows), now=1.0)


def test_another_deployment_or_order_is_written() -> None:
    schedule = SaveSchedule()
    rows = [row(index) for index in range(3)]
    assert schedule.due("key", "model_id ascending", rows, now=0.0)
    assert schedule.due("other", "model_id ascending", rows, now=1.0)
    assert schedule.due("other", "status descending", rows, now=2.0)
