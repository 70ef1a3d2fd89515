from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator
from functools import cmp_to_key
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow, json_text
from tests.ui.rows import make_row
from ui.model_filter import ModelFilterProxy
from ui.model_table import (
    FILL_CHUNK,
    FIRST_FILL,
    ROW_ROLE,
    SORT_ROLE,
    ApplyStats,
    Column,
    ModelTableModel,
    cell_text,
    make_face,
    sort_key,
)


def fresh_copies(rows: list[ModelRow]) -> list[ModelRow]:
    """Equal rows in new objects, as each refresh builds them."""
    return [dataclasses.replace(row, config_json=json_text(row.config)) for row in rows]


WITH_HINT = "QList<QPersistentModelIndex>,QAbstractItemModel::LayoutChangeHint"
SORT_HINT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
ASCENDING, DESCENDING = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


class Signals:
    """Everything the model says, in order."""

    def __init__(self, model: ModelTableModel) -> None:
        self.events: list[tuple[Any, ...]] = []
        model.dataChanged.connect(lambda tl, br, roles: self.events.append(("changed", tl.row(), br.row())))
        model.rowsRemoved.connect(lambda parent, first, last: self.events.append(("removed", first, last)))
        model.rowsInserted.connect(lambda parent, first, last: self.events.append(("inserted", first, last)))
        model.modelAboutToBeReset.connect(lambda: self.events.append(("reset",)))
        model.layoutAboutToBeChanged[WITH_HINT].connect(lambda parents, hint: self.events.append(("layout", hint)))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [event for event in self.events if event[0] == kind]


@pytest.fixture
def model(qtbot: QtBot) -> Iterator[ModelTableModel]:
    table = ModelTableModel()
    tester = QAbstractItemModelTester(table, QAbstractItemModelTester.FailureReportingMode.Warning)
    yield table
    del tester


def ids(model: ModelTableModel) -> list[str]:
    return [row.model_id for row in model.rows()]


def test_columns_have_labels_and_filter_keys_in_table_order() -> None:
    assert [column.label for column in Column] == [
        "Model ID",
        "Name",
        "Hosting",
        "Type",
        "Status",
        "Instance type",
        "Min/Desired/Max",
        "Tasks",
        "Healthy",
        "Streaming",
        "Features",
        "Allowed groups",
        "Last modified",
        "Context window",
        "Default",
        "Next action",
    ]
    assert [column.key for column in Column] == [
        "id",
        "name",
        "hosting",
        "type",
        "status",
        "instance",
        "capacity",
        "tasks",
        "healthy",
        "streaming",
        "features",
        "groups",
        "modified",
        "context",
        "default",
        "next",
    ]
    table = ModelTableModel()
    assert table.columnCount() == 16
    assert table.headerData(Column.CAPACITY, Qt.Orientation.Horizontal) == "Min/Desired/Max"


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("utc")
def test_cells_read_as_a_person_would_write_them() -> None:
    row = make_row(
        "m",
        hosting="third_party",
        min_capacity=1,
        desired_capacity=2,
        max_capacity=3,
        features=("toolCalls", "imageInput"),
        allowed_groups=("admins", "ml"),
        last_modified=1_795_788_180_000,
    )
    assert cell_text(row, Column.HOSTING) == "Third-party"
    assert cell_text(row, Column.CAPACITY) == "1 / 2 / 3"
    assert cell_text(row, Column.STREAMING) == "Yes"
    assert cell_text(row, Column.FEATURES) == "toolCalls, imageInput"
    assert cell_text(row, Column.ALLOWED_GROUPS) == "admins, ml"
    assert cell_text(row, Column.LAST_MODIFIED) == "2026-11-27 14:03"

    bare = make_row(
        "b",
        instance_type=None,
        desired_capacity=None,
        running_tasks=None,
        healthy_instances=None,
        streaming=False,
        last_modified=None,
    )
    assert cell_text(bare, Column.CAPACITY) == "1 / – / 2"
    assert cell_text(bare, Column.INSTANCE_TYPE) == "–"
    assert cell_text(bare, Column.RUNNING_TASKS) == "–"
    assert cell_text(bare, Column.HEALTHY_INSTANCES) == "–"
    assert cell_text(bare, Column.STREAMING) == "No"
    assert cell_text(bare, Column.FEATURES) == ""
    assert cell_text(bare, Column.ALLOWED_GROUPS) == "everyone"
    assert cell_text(bare, Column.LAST_MODIFIED) == "–"
    no_capacity = make_row("n", min_capacity=None, desired_capacity=None, max_capacity=None)
    assert cell_text(no_capacity, Column.CAPACITY) == "–"


def test_roles_give_text_sort_keys_the_row_and_tooltips_that_explain(model: ModelTableModel) -> None:
    failed = make_row("failed", status="Failed", failure_reason="Stack rolled back", live_error="ECS service gone")
    blind = make_row("blind", running_tasks=None, healthy_instances=None, live_error="LiteLLM unreachable")
    model.apply([failed, blind, make_row("fine", allowed_groups=())])

    status = model.index_for("failed", Column.STATUS)
    assert status.data() == "Failed"
    assert status.data(Qt.ItemDataRole.ToolTipRole) == "Failed\nStack rolled back\nECS service gone"
    assert status.data(ROW_ROLE) is failed
    tasks = model.index_for("blind", Column.RUNNING_TASKS)
    assert tasks.data(Qt.ItemDataRole.ToolTipRole) == "Unknown: LiteLLM unreachable"
    capacity_tip = model.index_for("blind", Column.CAPACITY).data(Qt.ItemDataRole.ToolTipRole)
    assert capacity_tip == "1 / 1 / 2\nNot live: LiteLLM unreachable"
    assert model.index_for("fine", Column.NAME).data(Qt.ItemDataRole.ToolTipRole) == "org/fine"
    assert "every LISA user" in model.index_for("fine", Column.ALLOWED_GROUPS).data(Qt.ItemDataRole.ToolTipRole)
    assert tasks.data(SORT_ROLE) == (True, 0)
    assert model.index_for("fine", Column.RUNNING_TASKS).data(SORT_ROLE) == (False, 1)


def test_first_apply_inserts_every_row_in_one_batch(model: ModelTableModel) -> None:
    signals = Signals(model)
    stats = model.apply([make_row("a"), make_row("b"), make_row("c")])
    assert stats == ApplyStats(changed=0, inserted=3, removed=0)
    assert signals.events == [("inserted", 0, 2)]
    assert ids(model) == ["a", "b", "c"]
    assert model.row_for("b") == make_row("b")
    assert model.row_for("nope") is None


def test_a_refresh_with_equal_rows_signals_nothing_and_keeps_the_old_objects(model: ModelTableModel) -> None:
    rows = [make_row(name) for name in "abcde"]
    model.apply(rows)
    signals = Signals(model)
    stats = model.apply(fresh_copies(rows))
    assert stats == ApplyStats()
    assert not stats.any
    assert signals.events == []
    assert all(model.row_at(position) is row for position, row in enumerate(rows))


def test_changed_rows_emit_one_data_changed_per_contiguous_run(model: ModelTableModel) -> None:
    rows = [make_row(name) for name in "abcdefg"]
    model.apply(rows)
    signals = Signals(model)
    refreshed = fresh_copies(rows)
    for position in (1, 2, 5):
        refreshed[position] = dataclasses.replace(refreshed[position], status="Updating")
    stats = model.apply(refreshed)
    assert stats == ApplyStats(changed=3)
    assert signals.events == [("changed", 1, 2), ("changed", 5, 5)]
    assert model.row_for("f") is not None
    assert model.row_for("f").status == "Updating"  # type: ignore[union-attr]


def test_vanished_rows_go_from_the_end_new_ones_are_appended_and_survivors_keep_their_indexes(
    model: ModelTableModel,
) -> None:
    model.apply([make_row(name) for name in "abcdefgh"])
    survivor = QPersistentModelIndex(model.index(4, Column.STATUS))
    assert survivor.data(ROW_ROLE).model_id == "e"
    signals = Signals(model)

    stats = model.apply([make_row(name) for name in "aefgx"] + [make_row("y")])

    assert stats == ApplyStats(changed=0, inserted=2, removed=4)
    assert signals.events == [("removed", 7, 7), ("removed", 1, 3), ("inserted", 4, 5)]
    assert ids(model) == ["a", "e", "f", "g", "x", "y"]
    assert survivor.isValid()
    assert survivor.row() == 1
    assert survivor.data(ROW_ROLE).model_id == "e"
    assert model.row_at(survivor).model_id == "e"
    assert model.row_for("y") is model.row_at(5)
    assert [model.row_for(name) is not None for name in "abh"] == [True, False, False]


def test_apply_never_resets_and_handles_everything_at_once(model: ModelTableModel) -> None:
    model.apply([make_row(name) for name in "abcd"])
    signals = Signals(model)
    stats = model.apply([make_row("d", status="Stopped"), make_row("b"), make_row("z")])
    assert stats == ApplyStats(changed=1, inserted=1, removed=2)
    assert signals.of("reset") == []
    assert signals.of("layout") == []
    assert ids(model) == ["b", "d", "z"]
    assert model.index(1, Column.STATUS).data() == "Stopped"
    assert model.apply([]) == ApplyStats(removed=3)
    assert model.rowCount() == 0
    assert signals.of("reset") == []


def test_a_repeated_id_keeps_its_last_row(model: ModelTableModel) -> None:
    stats = model.apply([make_row("a"), make_row("a", status="Failed")])
    assert stats == ApplyStats(inserted=1)
    assert model.row_for("a").status == "Failed"  # type: ignore[union-attr]


def test_row_at_reads_through_a_proxy_index(model: ModelTableModel) -> None:
    model.apply([make_row("a"), make_row("b")])
    proxy = ModelFilterProxy(model)
    proxy.sort(Column.MODEL_ID, Qt.SortOrder.DescendingOrder)
    assert model.row_at(proxy.index(0, Column.NAME)).model_id == "b"
    assert model.index_for("a", Column.STATUS) == model.index(1, Column.STATUS)
    assert model.index_for("zzz") == QModelIndex()


def test_five_thousand_rows_refreshed_signal_only_the_fifty_that_changed(qtbot: QtBot) -> None:
    model = ModelTableModel()  # no model tester: it re-walks every row on each signal
    rows = [make_row(f"m-{number:05d}", running_tasks=number % 4) for number in range(5000)]
    model.apply(rows)
    model.flush()  # the first fill's remaining chunks: not what this test counts
    refreshed = fresh_copies(rows)
    changed_positions = set(range(0, 5000, 100))
    for position in changed_positions:
        refreshed[position] = dataclasses.replace(refreshed[position], running_tasks=9)
    signals = Signals(model)

    stats = model.apply(refreshed)

    assert stats == ApplyStats(changed=50)
    signalled = {row for _, first, last in signals.of("changed") for row in range(first, last + 1)}
    assert signalled == changed_positions
    assert [event[0] for event in signals.events] == ["changed"] * 50
    assert model.index(100, Column.RUNNING_TASKS).data() == "9"
    assert model.index(101, Column.RUNNING_TASKS).data() == "1"


def expected_ids(rows: list[ModelRow], column: Column, order: Qt.SortOrder) -> list[str]:
    """The display order, spelled out: unknown values last in both orders, ties by model id ascending."""

    def compare(left: ModelRow, right: ModelRow) -> int:
        (left_missing, left_value), (right_missing, right_value) = sort_key(left, column), sort_key(right, column)
        if left_missing != right_missing:
            return 1 if left_missing else -1
        if left_value != right_value:
            before = left_value < right_value if order == ASCENDING else right_value < left_value
            return -1 if before else 1
        return -1 if left.model_id < right.model_id else 1

    return [row.model_id for row in sorted(rows, key=cmp_to_key(compare))]


def random_row(rng: random.Random, model_id: str) -> ModelRow:
    def maybe(value: int) -> int | None:
        return value if rng.random() < 0.7 else None

    return make_row(
        model_id,
        model_name=rng.choice(["alpha", "Alpha", "beta", "gamma", ""]),
        hosting=rng.choice(["lisa_hosted", "third_party", "internal_hosted"]),
        model_type=rng.choice(["textgen", "embedding", "imagegen"]),
        status=rng.choice(["InService", "Stopped", "Failed", "Creating", "Updating"]),
        instance_type=rng.choice(["g5.xlarge", "g6.xlarge", None]),
        min_capacity=maybe(rng.randint(0, 2)),
        desired_capacity=maybe(rng.randint(0, 2)),
        max_capacity=maybe(rng.randint(1, 3)),
        running_tasks=maybe(rng.randint(0, 3)),
        healthy_instances=maybe(rng.randint(0, 3)),
        streaming=rng.random() < 0.5,
        features=rng.choice([(), ("toolCalls",), ("imageInput", "toolCalls")]),
        allowed_groups=rng.choice([(), ("admins",), ("admins", "ml")]),
        last_modified=maybe(rng.randint(1, 4) * 1000),
    )


def assert_consistent(model: ModelTableModel, rows: list[ModelRow], column: Column, order: Qt.SortOrder) -> None:
    assert ids(model) == expected_ids(rows, column, order)
    for position, row in enumerate(model.rows()):
        assert model.position_of(row.model_id) == position
        assert model.row_for(row.model_id) is row
        assert model.index_for(row.model_id, Column.NAME) == model.index(position, Column.NAME)


def test_sort_orders_the_rows_themselves_with_one_layout_change(model: ModelTableModel) -> None:
    rows = [make_row(name, running_tasks=tasks) for name, tasks in zip("dbeca", (2, None, 2, 5, 0), strict=True)]
    model.apply(rows)
    assert (model.sort_column, model.sort_order) == (Column.MODEL_ID, ASCENDING)
    assert ids(model) == ["a", "b", "c", "d", "e"]
    signals = Signals(model)

    model.sort(Column.RUNNING_TASKS, DESCENDING)

    assert ids(model) == ["c", "d", "e", "a", "b"]
    assert (model.sort_column, model.sort_order) == (Column.RUNNING_TASKS, DESCENDING)
    assert signals.events == [("layout", SORT_HINT)]
    keys = [model.index(position, Column.RUNNING_TASKS).data(SORT_ROLE) for position in range(5)]
    assert keys == [(False, 5), (False, 2), (False, 2), (False, 0), (True, 0)]
    assert [model.position_of(name) for name in "abcde"] == [3, 4, 0, 1, 2]

    model.sort(Column.RUNNING_TASKS, DESCENDING)
    model.sort(Column.TYPE, ASCENDING)  # every type is equal: ties by id, the order the rows already had
    model.sort(Column.MODEL_ID, ASCENDING)
    assert signals.events == [("layout", SORT_HINT), ("layout", SORT_HINT)]
    model.sort(Column.RUNNING_TASKS, ASCENDING)
    assert ids(model) == ["a", "d", "e", "c", "b"]
    model.sort(-1, DESCENDING)  # a cleared sort indicator
    assert (model.sort_column, model.sort_order) == (Column.MODEL_ID, ASCENDING)
    assert ids(model) == ["a", "b", "c", "d", "e"]
    assert signals.of("reset") == []


def test_new_rows_are_inserted_where_they_sort_in_contiguous_batches(model: ModelTableModel) -> None:
    model.apply([make_row(name) for name in ("a", "c", "e")])
    signals = Signals(model)
    stats = model.apply([make_row(name) for name in ("f", "a", "d", "c", "b2", "e", "b")])
    assert stats == ApplyStats(inserted=4)
    assert signals.events == [("inserted", 1, 2), ("inserted", 4, 4), ("inserted", 6, 6)]
    assert ids(model) == ["a", "b", "b2", "c", "d", "e", "f"]
    assert [model.position_of(name) for name in ("b", "f")] == [1, 6]


def test_rows_whose_sort_key_changed_move_in_one_layout_change_then_signal_where_they_landed(
    model: ModelTableModel,
) -> None:
    tasks = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    model.apply([make_row(name, running_tasks=count) for name, count in tasks.items()])
    model.sort(Column.RUNNING_TASKS, ASCENDING)
    signals = Signals(model)

    refreshed = [make_row(name, running_tasks=count) for name, count in tasks.items()]
    refreshed[0] = make_row("a", running_tasks=9)
    refreshed[1] = make_row("b", running_tasks=2, status="Stopping")
    refreshed[3] = make_row("d", running_tasks=None)
    stats = model.apply(refreshed)

    assert stats == ApplyStats(changed=3)
    assert ids(model) == ["b", "c", "e", "a", "d"]
    assert signals.events == [("layout", SORT_HINT), ("changed", 0, 0), ("changed", 3, 4)]
    assert model.row_for("b").status == "Stopping"  # type: ignore[union-attr]
    assert model.index(3, Column.RUNNING_TASKS).data() == "9"


def test_the_first_load_of_five_thousand_rows_is_a_screenful_then_sorted_chunks_one_per_turn(qtbot: QtBot) -> None:
    model = ModelTableModel()
    model.sort(Column.STATUS, DESCENDING)
    statuses = ("InService", "Stopped", "Failed", "", "Updating")
    rows = [make_row(f"m-{number:05d}", status=statuses[number % 5]) for number in range(5000)]
    signals = Signals(model)

    assert model.apply(rows[::-1]) == ApplyStats(inserted=5000)

    assert signals.events == [("inserted", 0, FIRST_FILL - 1)]
    assert model.filling and len(model.rows()) == 5000  # the rest is known, not yet inserted
    with qtbot.waitSignal(model.filled, timeout=5000):
        pass
    starts = [first for _, first, _ in signals.events]
    assert starts == [0, FIRST_FILL, *range(FIRST_FILL + FILL_CHUNK, 5000, FILL_CHUNK)][: len(starts)]
    assert all(last - first + 1 <= max(FIRST_FILL, FILL_CHUNK) for _, first, last in signals.events)
    assert_consistent(model, rows, Column.STATUS, DESCENDING)
    assert model.row_at(0).status == "Updating"
    assert model.row_at(4999).status == ""


def test_thousands_of_rows_after_the_last_one_are_filled_in_a_chunk_per_turn(qtbot: QtBot) -> None:
    """The rest of a snapshot whose first screenful is shown: all of it sorts after the rows already in."""
    rows = [make_row(f"m-{number:05d}") for number in range(5000)]
    model = ModelTableModel()
    model.apply(rows[:FIRST_FILL])
    assert model.ordering.name == "model_id ascending"
    signals = Signals(model)

    assert model.apply(fresh_copies(rows)) == ApplyStats(inserted=5000 - FIRST_FILL)

    assert signals.events == [] and model.filling and model.row_total == 5000
    with qtbot.waitSignal(model.filled, timeout=5000):
        pass
    assert [first for _, first, _ in signals.events] == list(range(FIRST_FILL, 5000, FILL_CHUNK))
    assert_consistent(model, rows, Column.MODEL_ID, Qt.SortOrder.AscendingOrder)
    assert model.row_at(0) is rows[0]  # the rows shown first keep their objects

    model.apply([*rows, make_row("z-after-the-last")])  # a few after the last: at once, as any other insert
    assert not model.filling and model.row_at(5000).model_id == "z-after-the-last"


def test_rows_sorted_on_a_worker_are_taken_as_they_come_while_the_table_keeps_that_order(qtbot: QtBot) -> None:
    rows = [make_row(f"m-{number:03d}", running_tasks=number % 5) for number in range(40)]
    model = ModelTableModel()
    model.sort(Column.RUNNING_TASKS, DESCENDING)
    ordering = model.ordering
    assert ordering.name == model.ordering.name == "running_tasks descending"
    presorted = ordering.sort(rows)

    model.apply(presorted, sorted_by=ordering.name)
    assert_consistent(model, rows, Column.RUNNING_TASKS, DESCENDING)

    trusted = ModelTableModel()
    trusted.sort(Column.RUNNING_TASKS, DESCENDING)
    trusted.apply(rows, sorted_by=ordering.name)  # said to be sorted: not sorted again (the worker did it)
    assert trusted.rows() == rows

    stale = ModelTableModel()  # sorted by Model ID: rows sorted for another order are sorted here
    stale.apply(presorted, sorted_by=ordering.name)
    assert_consistent(stale, rows, Column.MODEL_ID, Qt.SortOrder.AscendingOrder)


def test_reading_positions_sorting_or_applying_during_a_fill_inserts_the_rest_first(qtbot: QtBot) -> None:
    rows = [make_row(f"m-{number:05d}") for number in range(2000)]
    model = ModelTableModel()
    model.apply(rows)
    assert model.rowCount() == FIRST_FILL
    assert model.position_of("m-01999") == 1999
    assert model.rowCount() == 2000 and not model.filling

    other = ModelTableModel()
    other.apply(rows)
    refreshed = fresh_copies(rows)
    refreshed[1500] = dataclasses.replace(refreshed[1500], running_tasks=7)
    assert other.apply(refreshed) == ApplyStats(changed=1)
    assert other.row_for("m-01500") is refreshed[1500]

    third = ModelTableModel()
    third.apply(rows)
    third.sort(Column.MODEL_ID, DESCENDING)
    assert third.row_at(0).model_id == "m-01999" and third.rowCount() == 2000


@pytest.mark.parametrize("column", list(Column), ids=lambda column: column.key)
@pytest.mark.parametrize("order", [ASCENDING, DESCENDING], ids=["asc", "desc"])
def test_apply_keeps_the_rows_sorted_through_inserts_changes_and_removals(
    model: ModelTableModel, column: Column, order: Qt.SortOrder
) -> None:
    rng = random.Random(f"{column.key}-{order.name}")
    model.sort(column, order)
    rows = {f"m{number:03d}": random_row(rng, f"m{number:03d}") for number in range(24)}
    model.apply(rng.sample(list(rows.values()), len(rows)))
    assert_consistent(model, list(rows.values()), column, order)
    signals = Signals(model)
    next_id = len(rows)
    # How many rows change per refresh: none, one or two (each moved into place), many (the whole table re-sorted).
    for changes in (0, 1, 2, 12, 2, 30):
        for model_id in rng.sample(sorted(rows), 2):
            del rows[model_id]
        for model_id in rng.sample(sorted(rows), min(changes, len(rows))):
            rows[model_id] = random_row(rng, model_id)
        for _ in range(rng.randint(0, 4)):
            rows[f"m{next_id:03d}"] = random_row(rng, f"m{next_id:03d}")
            next_id += 1
        model.apply(rng.sample(list(rows.values()), len(rows)))
        assert_consistent(model, list(rows.values()), column, order)
    assert signals.of("reset") == []
    quiet = Signals(model)
    assert model.apply(fresh_copies(list(rows.values()))) == ApplyStats()
    assert quiet.events == []


def test_selection_and_current_index_follow_their_row_through_sorts_and_refreshes(model: ModelTableModel) -> None:
    rows = [
        make_row("a", running_tasks=3, status="Stopped"),
        make_row("b", running_tasks=0, status="InService"),
        make_row("c", running_tasks=2, status="Failed"),
        make_row("d", running_tasks=1, status="Updating"),
    ]
    model.apply(rows)
    selection = QItemSelectionModel(model)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    selection.setCurrentIndex(model.index_for("c", Column.NAME), flags)
    kept = QPersistentModelIndex(model.index_for("c", Column.STATUS))

    def follows() -> int:
        position = model.position_of("c")
        assert position is not None
        assert (kept.row(), kept.column()) == (position, Column.STATUS)
        assert model.row_at(kept).model_id == "c"
        assert (selection.currentIndex().row(), selection.currentIndex().column()) == (position, Column.NAME)
        assert [model.row_at(index).model_id for index in selection.selectedRows()] == ["c"]
        return position

    seen = [follows()]
    for column, order in ((Column.RUNNING_TASKS, DESCENDING), (Column.STATUS, ASCENDING), (Column.NAME, DESCENDING)):
        model.sort(column, order)
        seen.append(follows())
    model.apply([*rows[:2], make_row("c", running_tasks=2, status="Stopped", model_name="zz"), rows[3]])
    seen.append(follows())  # its sort key changed: it moved to the top
    model.apply([make_row("x", model_name="zzz"), *model.rows()])
    seen.append(follows())  # a row was inserted above it
    assert seen == [2, 1, 0, 1, 0, 1]


def test_receivers_of_row_signals_read_the_rows_those_signals_describe(model: ModelTableModel) -> None:
    """Qt keeps the row count (QStandardItemModel) and `_rows` the rows: a proxy or view reading data while it
    hears of an insertion or removal must see the rows that count describes."""
    model.apply([make_row(model_id) for model_id in ("a", "c", "e")])
    seen: list[tuple[str, int, list[str]]] = []

    def ids(first: int, last: int) -> list[str]:
        return [model.index(row, Column.MODEL_ID).data() for row in range(first, last + 1)]

    proxy = ModelFilterProxy(model)
    model.rowsInserted.connect(
        lambda _parent, first, last: seen.append(("inserted", model.rowCount(), ids(first, last)))
    )
    model.rowsAboutToBeRemoved.connect(
        lambda _parent, first, last: seen.append(("leaving", model.rowCount(), ids(first, last)))
    )
    model.rowsRemoved.connect(
        lambda _parent, first, last: seen.append(("removed", model.rowCount(), ids(0, model.rowCount() - 1)))
    )
    model.apply([make_row(model_id) for model_id in ("a", "b", "e")])
    assert ("leaving", 3, ["c"]) in seen
    assert ("removed", 2, ["a", "e"]) in seen
    assert ("inserted", 3, ["b"]) in seen
    assert [model.index(row, 0).data() for row in range(model.rowCount())] == ["a", "b", "e"]
    assert proxy.model_ids() == ["a", "b", "e"]


def test_rows_are_added_and_removed_only_by_apply(model: ModelTableModel) -> None:
    model.apply([make_row("a")])
    assert model.insertRows(0, 1) is False
    assert model.removeRows(0, 1) is False
    assert model.rowCount() == 1
    assert model.index(0, Column.MODEL_ID).data() == "a"


def test_the_table_keeps_the_faces_of_its_rows_only() -> None:
    table = ModelTableModel()
    first = [make_row(f"m{number}") for number in range(3)]
    table.apply(first)
    table.flush()
    kept = table.faces.of(first[0])
    assert table.faces.of(first[0]) is kept
    changed = dataclasses.replace(first[0], status="Stopped")
    table.apply([changed, first[1]])
    table.flush()
    assert len(table.faces) <= 2
    assert table.faces.texts(first[1]) == make_face(first[1])[0]
    assert table.faces.texts(changed)[Column.STATUS].startswith("Stopped")
    assert table.faces.of(changed) is not kept
