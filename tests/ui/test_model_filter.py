from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtTest import QAbstractItemModelTester, QTest
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow
from tests.ui.rows import make_row
from ui.model_filter import ModelFilterProxy, Term, parse_filter
from ui.model_table import FILTER_ROLE, SORT_ROLE, Column, ModelTableModel, folded_cells, sort_key
from ui.status_delegate import is_transitional

ROWS = [
    make_row("llama-3-8b", model_name="meta/Llama 3 8B", status="InService", features=("toolCalls",)),
    make_row("llama-2-7b", model_name="meta/Llama 2 7B", status="Stopped", running_tasks=0, healthy_instances=0),
    make_row("mistral-7b", model_name="mistral/Mistral 7B", status="Stopping", allowed_groups=("admins",)),
    make_row(
        "claude",
        model_name="bedrock/claude",
        hosting="third_party",
        status="InService",
        instance_type=None,
        min_capacity=None,
        desired_capacity=None,
        max_capacity=None,
        running_tasks=None,
        healthy_instances=None,
    ),
    make_row("titan-embed", model_name="bedrock/titan", model_type="embedding", status="Failed", streaming=False),
]


@pytest.fixture
def proxy(qtbot: QtBot) -> Iterator[ModelFilterProxy]:
    model = ModelTableModel()
    model.apply(ROWS)
    filtered = ModelFilterProxy(model)
    testers = [
        QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning),
        QAbstractItemModelTester(filtered, QAbstractItemModelTester.FailureReportingMode.Warning),
    ]
    yield filtered
    del testers


def shown(proxy: ModelFilterProxy, text: str) -> set[str]:
    proxy.set_filter_text(text)
    return set(proxy.model_ids())


def test_tokens_parse_into_terms() -> None:
    parsed = parse_filter('llama  status:InService -hosting:third !name:"Llama 3" "two words"')
    assert parsed.problem is None
    assert parsed.terms == (
        Term("llama"),
        Term("inservice", Column.STATUS),
        Term("third", Column.HOSTING, negated=True),
        Term("llama 3", Column.NAME, negated=True),
        Term("two words"),
    )
    assert parse_filter("instancetype:g5 min/desired/max:2 modelid:x").terms == (
        Term("g5", Column.INSTANCE_TYPE),
        Term("2", Column.CAPACITY),
        Term("x", Column.MODEL_ID),
    )
    assert parse_filter('status: - ! name:""').terms == ()
    assert parse_filter('name:"unclosed quote').terms == (Term("unclosed quote", Column.NAME),)


def test_an_unknown_column_is_free_text_and_says_which_columns_exist() -> None:
    parsed = parse_filter("foo:bar llama")
    assert parsed.terms == (Term("foo:bar"), Term("llama"))
    assert parsed.problem == (
        "unknown column 'foo' (use: id, name, hosting, type, status, instance, capacity, tasks, healthy, "
        "streaming, features, groups, modified, context, default, next)"
    )
    assert parse_filter("foo:1 bar:2").problem.startswith("unknown columns 'foo', 'bar' (use: id,")  # type: ignore[union-attr]


def test_no_filter_shows_every_row(proxy: ModelFilterProxy) -> None:
    assert shown(proxy, "") == {row.model_id for row in ROWS}
    assert shown(proxy, "   ") == {row.model_id for row in ROWS}


def test_free_text_matches_any_cell_case_insensitively(proxy: ModelFilterProxy) -> None:
    assert shown(proxy, "LLAMA") == {"llama-3-8b", "llama-2-7b"}
    assert shown(proxy, "bedrock") == {"claude", "titan-embed"}
    assert shown(proxy, "toolcalls") == {"llama-3-8b"}
    assert shown(proxy, "third-party") == {"claude"}
    assert shown(proxy, "everyone") == {row.model_id for row in ROWS} - {"mistral-7b"}
    assert shown(proxy, "7b meta") == {"llama-2-7b"}


def test_column_values_match_as_substrings_of_that_column_only(proxy: ModelFilterProxy) -> None:
    assert shown(proxy, "name:llama") == {"llama-3-8b", "llama-2-7b"}
    assert shown(proxy, "id:7b") == {"llama-2-7b", "mistral-7b"}
    assert shown(proxy, "type:embed") == {"titan-embed"}
    assert shown(proxy, "hosting:third_party") == {"claude"}
    assert shown(proxy, "groups:admin") == {"mistral-7b"}
    assert shown(proxy, "streaming:no") == {"titan-embed"}
    assert shown(proxy, "instancetype:G5") == {row.model_id for row in ROWS} - {"claude"}
    assert shown(proxy, "name:mistral") == {"mistral-7b"}
    assert shown(proxy, "type:mistral") == set()


def test_status_matches_exactly_or_from_its_start(proxy: ModelFilterProxy) -> None:
    assert shown(proxy, "status:Stopped") == {"llama-2-7b"}
    assert shown(proxy, "status:stopping") == {"mistral-7b"}
    assert shown(proxy, "status:stop") == {"llama-2-7b", "mistral-7b"}
    assert shown(proxy, "status:inservice") == {"llama-3-8b", "claude"}
    assert shown(proxy, "status:service") == set()


def test_negation_with_minus_or_bang(proxy: ModelFilterProxy) -> None:
    everyone = {row.model_id for row in ROWS}
    assert shown(proxy, "-status:Stopped") == everyone - {"llama-2-7b"}
    assert shown(proxy, "!status:Stopped") == everyone - {"llama-2-7b"}
    assert shown(proxy, "-llama") == {"mistral-7b", "claude", "titan-embed"}
    assert shown(proxy, '-"bedrock/"') == {"llama-3-8b", "llama-2-7b", "mistral-7b"}


def test_quoted_values_keep_their_spaces(proxy: ModelFilterProxy) -> None:
    assert shown(proxy, 'name:"llama 3"') == {"llama-3-8b"}
    assert shown(proxy, '"Mistral 7B"') == {"mistral-7b"}
    assert shown(proxy, "name:llama 3") == {"llama-3-8b"}  # two tokens: "3" is in 8b's name and id


def test_all_tokens_must_match(proxy: ModelFilterProxy) -> None:
    assert shown(proxy, "meta status:inservice") == {"llama-3-8b"}
    assert shown(proxy, "meta -status:inservice hosting:lisa") == {"llama-2-7b"}
    assert shown(proxy, "meta bedrock") == set()


def test_an_unknown_column_shows_a_problem_and_filters_as_free_text(qtbot: QtBot, proxy: ModelFilterProxy) -> None:
    with qtbot.waitSignal(proxy.filter_error_changed) as blocker:
        proxy.set_filter_text("nosuch:claude")
    assert blocker.args is not None
    assert blocker.args[0].startswith("unknown column 'nosuch' (use: id, name,")
    assert proxy.filter_error == blocker.args[0]
    assert proxy.model_ids() == []  # "nosuch:claude" is in no cell
    proxy.set_filter_text("claude foo:")
    assert proxy.model_ids() == []
    with qtbot.waitSignal(proxy.filter_error_changed) as cleared:
        proxy.set_filter_text("claude")
    assert cleared.args == [""]
    assert proxy.filter_error is None
    assert proxy.model_ids() == ["claude"]


def test_filter_changes_use_the_current_api_without_deprecation_warnings(proxy: ModelFilterProxy) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proxy.set_filter_text("status:stop")
        proxy.set_filter_text("")
    assert proxy.filter_text == ""


def test_refreshes_refilter_changed_rows_and_new_ones(proxy: ModelFilterProxy) -> None:
    model = proxy.sourceModel()
    assert isinstance(model, ModelTableModel)
    assert shown(proxy, "status:stopped") == {"llama-2-7b"}
    refreshed = [dataclasses.replace(row) for row in ROWS]
    refreshed[0] = dataclasses.replace(refreshed[0], status="Stopped")
    refreshed[1] = dataclasses.replace(refreshed[1], status="Starting")
    refreshed.append(make_row("new-one", status="Stopped"))
    model.apply(refreshed)
    assert set(proxy.model_ids()) == {"llama-3-8b", "new-one"}


SORTABLE = [
    make_row(
        f"m{number:02d}",
        model_name=name,
        hosting=hosting,
        model_type=model_type,
        status=status,
        instance_type=instance,
        min_capacity=low,
        desired_capacity=desired,
        max_capacity=high,
        running_tasks=tasks,
        healthy_instances=healthy,
        streaming=streaming,
        features=features,
        allowed_groups=groups,
        last_modified=modified,
    )
    for number, (
        name,
        hosting,
        model_type,
        status,
        instance,
        low,
        desired,
        high,
        tasks,
        healthy,
        streaming,
        features,
        groups,
        modified,
    ) in enumerate(
        [
            ("b", "lisa_hosted", "textgen", "Stopped", "g5.xlarge", 1, 2, 3, 2, 1, True, ("a",), ("x",), 30),
            ("A", "third_party", "embedding", "InService", None, None, None, None, None, None, False, (), (), None),
            ("c", "lisa_hosted", "textgen", "Failed", "g5.2xlarge", 0, 0, 1, 0, 0, True, (), ("admins",), 10),
            ("b", "internal_hosted", "imagegen", "Updating", "g4dn.xlarge", 1, None, 3, None, 2, False, ("b",), (), 20),
            ("a", "lisa_hosted", "textgen", "InService", "g5.xlarge", 1, 2, 3, 2, None, True, ("a",), ("x",), None),
            ("d", "third_party", "textgen", "Creating", None, None, None, None, None, None, True, (), (), 20),
        ]
    )
]


@pytest.mark.parametrize("column", list(Column), ids=lambda column: column.key)
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder], ids=["asc", "desc"])
def test_every_column_sorts_both_ways_with_unknowns_last_and_ties_by_id(
    qtbot: QtBot, column: Column, order: Qt.SortOrder
) -> None:
    model = ModelTableModel()
    model.apply(SORTABLE)
    proxy = ModelFilterProxy(model)
    proxy.sort(column, order)
    by_id = {row.model_id: row for row in SORTABLE}
    keys = [sort_key(by_id[model_id], column) for model_id in proxy.model_ids()]

    missing = [key[0] for key in keys]
    assert missing == sorted(missing), "unknown values come last"
    known = [(key[1], model_id) for key, model_id in zip(keys, proxy.model_ids(), strict=True) if not key[0]]
    descending = order == Qt.SortOrder.DescendingOrder
    expected = sorted(known, key=lambda pair: pair[1])
    expected.sort(key=lambda pair: pair[0], reverse=descending)
    assert known == expected
    unknown_ids = [model_id for key, model_id in zip(keys, proxy.model_ids(), strict=True) if key[0]]
    assert unknown_ids == sorted(unknown_ids)


def test_sorting_by_a_column_with_gaps_reads_as_expected(qtbot: QtBot) -> None:
    model = ModelTableModel()
    model.apply(SORTABLE)
    proxy = ModelFilterProxy(model)
    proxy.sort(Column.RUNNING_TASKS, Qt.SortOrder.DescendingOrder)
    assert proxy.model_ids() == ["m00", "m04", "m02", "m01", "m03", "m05"]
    proxy.sort(Column.RUNNING_TASKS, Qt.SortOrder.AscendingOrder)
    assert proxy.model_ids() == ["m02", "m00", "m04", "m01", "m03", "m05"]
    proxy.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    assert proxy.model_ids() == ["m01", "m04", "m00", "m03", "m02", "m05"]  # A and a, then b, b by id


def test_a_refresh_keeps_sort_and_selection(qtbot: QtBot) -> None:
    model = ModelTableModel()
    model.apply(SORTABLE)
    proxy = ModelFilterProxy(model)
    testers = [
        QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning),
        QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Warning),
    ]
    proxy.sort(Column.STATUS, Qt.SortOrder.AscendingOrder)
    proxy.set_filter_text("-status:failed")
    selection = QItemSelectionModel(proxy)
    chosen = proxy.index(proxy.model_ids().index("m00"), Column.NAME)
    selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    current = QPersistentModelIndex(chosen)

    refreshed = [dataclasses.replace(row) for row in SORTABLE if row.model_id != "m03"]
    refreshed[0] = dataclasses.replace(refreshed[0], status="Starting")  # m00 moves among the S…
    refreshed[1] = dataclasses.replace(refreshed[1], status="Deleting")
    refreshed.append(make_row("m06", status="Creating"))
    refreshed.append(make_row("m07", status="Failed"))
    model.apply(refreshed)

    assert proxy.model_ids() == ["m05", "m06", "m01", "m04", "m00"]
    assert current.isValid()
    assert proxy.row_at(current).model_id == "m00"
    assert [proxy.row_at(index).model_id for index in selection.selectedRows()] == ["m00"]
    assert all(is_transitional(proxy.row_at(proxy.index(row, 0)).status) for row in (0, 1))
    del testers


def test_a_refresh_re_filters_the_rows_that_changed(proxy: ModelFilterProxy) -> None:
    model = proxy.sourceModel()
    assert isinstance(model, ModelTableModel)
    assert shown(proxy, "mistral") == {"mistral-7b"}
    refreshed = [dataclasses.replace(row) for row in ROWS]
    refreshed[2] = dataclasses.replace(refreshed[2], model_name="mistral/Mixtral")
    refreshed[3] = dataclasses.replace(refreshed[3], model_name="bedrock/mistral-large")
    model.apply(refreshed)
    assert set(proxy.model_ids()) == {"mistral-7b", "claude"}


def test_the_proxy_only_takes_the_model_table(qtbot: QtBot) -> None:
    from PySide6.QtCore import QStringListModel

    proxy = ModelFilterProxy(ModelTableModel())
    with pytest.raises(TypeError, match="ModelTableModel"):
        proxy.setSourceModel(QStringListModel())


def test_rows_that_change_together_land_in_order(qtbot: QtBot) -> None:
    """Two changed rows far apart in the model: the proxy places each among rows it believes unchanged."""
    model = ModelTableModel()
    tasks = {"a": 50, "u1": 10, "u2": 20, "c": 25, "u3": 30, "u4": 40}
    model.apply([make_row(model_id, running_tasks=count) for model_id, count in tasks.items()])
    proxy = ModelFilterProxy(model)
    proxy.sort(Column.RUNNING_TASKS, Qt.SortOrder.AscendingOrder)
    assert proxy.model_ids() == ["u1", "u2", "c", "u3", "u4", "a"]

    tasks.update(a=15, c=0)
    model.apply([make_row(model_id, running_tasks=count) for model_id, count in tasks.items()])

    assert proxy.model_ids() == ["c", "u1", "a", "u2", "u3", "u4"]


ASCENDING, DESCENDING = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
BY_NAME = {
    ASCENDING: ["m01", "m04", "m00", "m03", "m02", "m05"],
    DESCENDING: ["m05", "m02", "m00", "m03", "m01", "m04"],
}
"""SORTABLE's names: A, a (a tie, by id), b, b (by id), c, d."""


def sorted_table(qtbot: QtBot) -> tuple[ModelTableModel, ModelFilterProxy, QTableView]:
    model = ModelTableModel()
    model.apply(SORTABLE)
    proxy = ModelFilterProxy(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    return model, proxy, view


def click_header(view: QTableView, column: Column) -> None:
    header = view.horizontalHeader()
    middle = QPoint(header.sectionViewportPosition(column) + header.sectionSize(column) // 2, header.height() // 2)
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, middle)


def test_the_proxy_sorts_by_asking_the_model_and_never_sorts_itself(qtbot: QtBot) -> None:
    model, proxy, view = sorted_table(qtbot)
    tester = QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Warning)
    assert proxy.sortRole() == SORT_ROLE
    view.sortByColumn(Column.RUNNING_TASKS, DESCENDING)

    assert proxy.model_ids() == ["m00", "m04", "m02", "m01", "m03", "m05"]
    assert [row.model_id for row in model.rows()] == proxy.model_ids()
    assert (model.sort_column, model.sort_order) == (Column.RUNNING_TASKS, DESCENDING)
    assert proxy.sortColumn() == -1
    assert proxy.dynamicSortFilter()
    header = view.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (Column.RUNNING_TASKS, DESCENDING)
    keys = [proxy.index(row, Column.RUNNING_TASKS).data(proxy.sortRole()) for row in range(proxy.rowCount())]
    assert keys == [(False, 2), (False, 2), (False, 0), (True, 0), (True, 0), (True, 0)]
    del tester


def test_header_clicks_sort_and_keep_the_selected_row(qtbot: QtBot) -> None:
    model, proxy, view = sorted_table(qtbot)
    tester = QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Warning)
    view.show()
    qtbot.waitExposed(view)
    view.selectionModel().setCurrentIndex(
        proxy.index(proxy.model_ids().index("m02"), Column.STATUS),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    header = view.horizontalHeader()

    click_header(view, Column.NAME)
    first = header.sortIndicatorOrder()
    assert header.sortIndicatorSection() == Column.NAME
    assert proxy.model_ids() == BY_NAME[first]
    click_header(view, Column.NAME)
    second = header.sortIndicatorOrder()
    assert second != first
    assert proxy.model_ids() == BY_NAME[second]

    assert (model.sort_column, model.sort_order) == (Column.NAME, second)
    assert proxy.sortColumn() == -1
    current = view.selectionModel().currentIndex()
    assert (proxy.row_at(current).model_id, current.column()) == ("m02", Column.STATUS)
    assert [proxy.row_at(index).model_id for index in view.selectionModel().selectedRows()] == ["m02"]
    del tester


def test_a_restored_header_sorts_the_model(qtbot: QtBot) -> None:
    _, _, first = sorted_table(qtbot)
    first.sortByColumn(Column.NAME, DESCENDING)
    state = first.horizontalHeader().saveState()
    model, proxy, second = sorted_table(qtbot)
    second.sortByColumn(Column.MODEL_ID, ASCENDING)
    assert second.horizontalHeader().restoreState(state)
    assert (model.sort_column, model.sort_order) == (Column.NAME, DESCENDING)
    assert proxy.model_ids() == BY_NAME[DESCENDING]


def test_the_filter_holds_through_sorts_and_refreshes_that_move_rows(qtbot: QtBot) -> None:
    model, proxy, view = sorted_table(qtbot)
    testers = [
        QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning),
        QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Warning),
    ]
    proxy.set_filter_text("-status:stop -status:fail")

    def expected() -> list[str]:
        return [row.model_id for row in model.rows() if not row.status.startswith(("Stop", "Fail"))]

    for column in Column:
        for order in (ASCENDING, DESCENDING):
            view.sortByColumn(column, order)
            assert proxy.model_ids() == expected()
            assert len(proxy.model_ids()) == 4

    view.sortByColumn(Column.STATUS, ASCENDING)
    refreshed = [dataclasses.replace(row) for row in SORTABLE]
    refreshed[0] = dataclasses.replace(refreshed[0], status="Creating")  # shown now, and moves
    refreshed[1] = dataclasses.replace(refreshed[1], status="Stopping")  # hidden now
    refreshed[4] = dataclasses.replace(refreshed[4], status="Updating")  # moves among the shown
    refreshed.append(make_row("m06", status="Deleting"))
    model.apply(refreshed)

    assert proxy.model_ids() == ["m00", "m05", "m06", "m03", "m04"]
    assert proxy.model_ids() == expected()
    del testers


def reference_verdict(terms: tuple[Term, ...], row: ModelRow) -> bool:
    """The filter's documented rules, written plainly: what the proxy's regular expression must agree with."""
    folded = folded_cells(row)
    for term in terms:
        if term.column is None:
            hit = any(term.value in cell for cell in folded)
        elif term.column is Column.STATUS:
            hit = folded[term.column].startswith(term.value)
        else:
            hit = term.value in folded[term.column]
        if hit == term.negated:
            return False
    return True


KEYS = {None: None, "id": Column.MODEL_ID, "name": Column.NAME, "hosting": Column.HOSTING, "status": Column.STATUS}
KEYS |= {"instance": Column.INSTANCE_TYPE, "tasks": Column.RUNNING_TASKS, "groups": Column.ALLOWED_GROUPS}


def pieces(column: Column | None) -> list[str]:
    """Every 1-4 character piece of the column's cells (every cell's, for free text)."""
    cells = [cell for row in ROWS for at, cell in enumerate(folded_cells(row)) if column in (None, at)]
    return sorted({cell[i : i + n] for cell in cells for i in range(len(cell)) for n in (1, 2, 4)})


@st.composite
def filter_terms(draw: st.DrawFn) -> tuple[bool, str | None, str]:
    key = draw(st.sampled_from(list(KEYS)))
    value = draw(
        st.one_of(
            st.sampled_from(pieces(KEYS[key])),
            st.text(alphabet="abelmnost3 .-*+?()[]{}|^$\\/:_\x01", min_size=1, max_size=5),
        )
    )
    return draw(st.booleans()), key, value


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(filter_terms(), min_size=1, max_size=3))
def test_the_proxy_agrees_with_the_rules_for_any_filter(
    proxy: ModelFilterProxy, terms: list[tuple[bool, str | None, str]]
) -> None:
    text = " ".join(
        f'{"-" if negated else ""}{f"{key}:" if key else ""}"{value.strip()}"' for negated, key, value in terms
    )
    parsed = parse_filter(text)
    expected = {row.model_id for row in ROWS if reference_verdict(parsed.terms, row)}
    assert shown(proxy, text) == expected, (text, parsed.terms)


def test_with_no_filter_inserted_rows_are_not_asked_for_their_filter_text(qtbot: QtBot) -> None:
    """Each call from C++ into Python may wait for the GIL during a refresh: with no filter, none is made."""
    asked: list[int] = []

    class Counting(ModelTableModel):
        def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
            if role == FILTER_ROLE:
                asked.append(index.row())
            return super().data(index, role)

    model = Counting()
    proxy = ModelFilterProxy(model)
    model.apply([make_row(f"m-{number:03d}") for number in range(200)])
    model.flush()
    assert proxy.rowCount() == 200 and asked == []
    proxy.set_filter_text("m-01")
    assert proxy.rowCount() == 10 and len(asked) == 200
