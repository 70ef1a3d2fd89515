"""The main window on the sandbox: rows, filter, sort, columns, action gates, refresh, jobs (issue #6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from engine.model_row import ModelRow
from engine.rules.status import STATUS_RULES, Operation
from engine.sandbox.catalog import CATALOG
from engine.schema.enums import ModelStatus
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from ui.background import Background
from ui.cell_delegate import TURN_BUDGET_S
from ui.dialogs import ConfirmDialog, ShortcutsDialog
from ui.main_window import MainWindow
from ui.model_table import FIRST_FILL, ROW_ROLE, Column
from ui.window_export import export_shape
from ui.window_pages import Page

SEEDED = {model.model_id: model for model in CATALOG}


def shown_ids(window: MainWindow) -> list[str]:
    proxy = window.proxy
    return [proxy.index(row, 0).data(ROW_ROLE).model_id for row in range(proxy.rowCount())]


def row(window: MainWindow, model_id: str) -> ModelRow:
    found = window.table_model.row_for(model_id)
    assert found is not None, model_id
    return found


def select(window: MainWindow, *model_ids: str) -> None:
    selection = window.view.selectionModel()
    selection.clearSelection()
    for model_id in model_ids:
        position = window.table_model.position_of(model_id)
        assert position is not None
        index = window.proxy.mapFromSource(window.table_model.index(position, 0))
        selection.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def test_opens_on_the_sandbox_with_every_seeded_model_and_its_live_capacity(
    make_window: WindowFactory, shared_backend: DeploymentBackend
) -> None:
    window = make_window(shared_backend)
    assert window.pages.currentIndex() == Page.TABLE
    assert set(SEEDED) <= {r.model_id for r in window.table_model.rows()}
    for model_id, model in SEEDED.items():
        assert row(window, model_id).status == model.status.value, model_id
    # Live Auto Scaling and ECS facts, as the sandbox seeded them (not the configured bounds).
    mistral = row(window, "mistral-7b-instruct")
    assert (mistral.min_capacity, mistral.desired_capacity, mistral.max_capacity) == (1, 1, 3)
    assert mistral.healthy_instances == 1
    assert mistral.running_tasks == 1
    llama70 = row(window, "llama3-1-70b-instruct")
    assert (llama70.desired_capacity, llama70.healthy_instances, llama70.running_tasks) == (2, 2, 2)
    stopped = row(window, "llama3-8b-tgi")
    assert (stopped.min_capacity, stopped.desired_capacity, stopped.max_capacity) == (0, 0, 0)
    assert stopped.running_tasks == 0
    claude = row(window, "claude-3-5-sonnet")
    assert claude.hosting == "third_party" and claude.running_tasks is None
    # What the table shows in words.
    position = window.table_model.position_of("mistral-7b-instruct")
    assert window.table_model.index(position, Column.CAPACITY).data() == "1 / 1 / 3"
    assert window.table_model.index(position, Column.STATUS).data() == "InService"
    assert window.connection_label.text() == "SANDBOX — changes are discarded on exit"
    assert f"{window.table_model.rowCount()} models" in window.count_label.text()


def test_filter_status_stopped_shows_only_stopped_models(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(shared_backend)
    qtbot.keyClicks(window.filter_box, "status:Stopped")
    stopped = sorted(m for m, model in SEEDED.items() if model.status is ModelStatus.STOPPED)
    assert sorted(shown_ids(window)) == stopped
    assert f"{len(stopped)} of" in window.count_label.text()
    window.filter_box.setText("status:Stopped hosting:third_party")
    assert shown_ids(window) == []
    window.filter_box.setText("colour:red")
    assert "unknown column" in window.filter_problem.text()
    assert window.filter_problem.isVisible()


@pytest.mark.parametrize("column", list(Column))
def test_sorting_by_every_column_orders_the_rows(
    make_window: WindowFactory, shared_backend: DeploymentBackend, column: Column
) -> None:
    window = make_window(shared_backend)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        window.view.sortByColumn(column, order)
        keys = [window.proxy.index(r, column).data(window.proxy.sortRole()) for r in range(window.proxy.rowCount())]
        known = [key for key in keys if not key[0]]
        unknown = keys[len(known) :]
        assert all(key[0] for key in unknown), "unknown values sort last in both orders"
        assert known == sorted(known, reverse=order is Qt.SortOrder.DescendingOrder), (column, order)


def test_hidden_columns_sort_and_geometry_survive_a_restart(
    make_window: WindowFactory, shared_backend: DeploymentBackend, tmp_path: Path
) -> None:
    settings_file = tmp_path / "restart.ini"
    first = make_window(shared_backend, settings_file=settings_file)
    first.view.horizontalHeader().setSectionHidden(Column.FEATURES, True)
    first.view.horizontalHeader().setSectionHidden(Column.ALLOWED_GROUPS, True)
    first.view.sortByColumn(Column.STATUS, Qt.SortOrder.DescendingOrder)
    first.resize(711, 500)  # the offscreen screen is 800x600: geometry is clamped to it
    first.close()
    second = make_window(settings_file=settings_file)
    header = second.view.horizontalHeader()
    assert header.isSectionHidden(Column.FEATURES) and header.isSectionHidden(Column.ALLOWED_GROUPS)
    assert not header.isSectionHidden(Column.STATUS)
    assert header.sortIndicatorSection() == Column.STATUS
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert second.width() == 711


def expected_refusal(operation: Operation, model_id: str) -> bool:
    """True when the rules table (reference: LISA's UI gates) refuses `operation` for the seeded model."""
    model = SEEDED[model_id]
    refused = model.status not in STATUS_RULES[operation].allowed
    if operation in (Operation.START, Operation.STOP):
        refused = refused or not model.is_hosted
    return refused


@pytest.mark.parametrize("model_id", sorted(SEEDED))
def test_actions_are_enabled_exactly_per_the_status_rules(
    make_window: WindowFactory, shared_backend: DeploymentBackend, model_id: str
) -> None:
    window = make_window(shared_backend)
    select(window, model_id)
    assert [r.model_id for r in window.selected_rows()] == [model_id]
    status = SEEDED[model_id].status
    for operation, action in [
        (Operation.START, window.commands.start),
        (Operation.STOP, window.commands.stop),
        (Operation.DELETE, window.commands.delete),
        (Operation.UPDATE, window.commands.update),
    ]:
        refused = expected_refusal(operation, model_id)
        assert action.isEnabled() is not refused, (operation, model_id, status)
        if refused:
            assert f"cannot {operation} '{model_id}'" in action.toolTip()
    if expected_refusal(Operation.UPDATE, model_id):
        assert f"while it is {status}" in window.commands.update.toolTip()


def test_known_cases_of_the_gates(make_window: WindowFactory, shared_backend: DeploymentBackend) -> None:
    window = make_window(shared_backend)
    select(window, "bge-large-en")
    assert window.commands.stop.isEnabled() and not window.commands.start.isEnabled()
    select(window, "llama3-8b-tgi")
    assert window.commands.start.isEnabled() and not window.commands.stop.isEnabled()
    select(window, "claude-3-5-sonnet")
    assert not window.commands.stop.isEnabled()
    assert "only LISA-hosted models" in window.commands.stop.toolTip()
    select(window, "gemma-2-9b-it")
    assert not window.commands.delete.isEnabled()
    assert "while it is Updating" in window.commands.delete.toolTip()
    # Bulk: every selected model must allow it, and the tooltip names those that do not.
    select(window, "bge-large-en", "mistral-7b-instruct")
    assert window.commands.stop.isEnabled()
    select(window, "bge-large-en", "llama3-8b-tgi", "phi-3-mini")
    assert not window.commands.stop.isEnabled()
    assert "2 of the 3 selected models cannot stop" in window.commands.stop.toolTip()
    assert not window.commands.update.isEnabled()


def test_read_only_credentials_disable_every_change(
    make_window: WindowFactory, shared_backend: DeploymentBackend
) -> None:
    window = make_window(shared_backend)
    select(window, "bge-large-en")
    assert window.commands.stop.isEnabled()
    window.set_read_only("AccessDenied: not authorized to perform dynamodb:UpdateItem")
    assert window.read_only_banner.isVisible()
    assert "Read-only" in window.read_only_banner.message.text()
    for action in (window.commands.start, window.commands.stop, window.commands.delete, window.commands.update):
        assert not action.isEnabled()
        assert "dynamodb:UpdateItem" in action.toolTip()
    assert window.commands.copy.isEnabled()


def test_selection_and_scroll_survive_a_refresh_in_which_another_model_changed(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    window.view.setFixedHeight(140)  # a few visible rows, so there is something to scroll
    qtbot.waitUntil(lambda: window.view.verticalScrollBar().maximum() > 0)
    select(window, "nova-pro")
    bar = window.view.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() // 2 + 1)
    scroll = bar.value()
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    sandbox.client("dynamodb").update_item(
        TableName=sandbox.table_name,
        Key={"model_id": {"S": "titan-embed-v2"}},
        UpdateExpression="SET model_status = :s",
        ExpressionAttributeValues={":s": {"S": "Failed"}},
    )
    window.refresher.refresh_now()
    qtbot.waitUntil(lambda: row(window, "titan-embed-v2").status == "Failed", timeout=30_000)
    assert [r.model_id for r in window.selected_rows()] == ["nova-pro"]
    assert bar.value() == scroll


def test_stop_from_the_toolbar_runs_a_job_shown_in_the_panel_and_the_row_ends_stopped(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    # The count reaches 0 at a periodic refresh: every 3 s here rather than the window's 30 s.
    window = make_window(own_backend, refresh_ms=(3_000, 1_000))
    select(window, "bge-large-en")
    window.commands.stop.trigger()
    dialog = window.findChild(ConfirmDialog)
    assert dialog is not None and dialog.isVisible()
    notified: list[tuple[str, str]] = []
    window.notifier.notified.connect(lambda title, message: notified.append((title, message)))
    dialog.confirm.click()
    elsewhere = QWidget()  # the administrator moved on to another window: the end of the job is announced
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    qtbot.waitUntil(lambda: window.jobs.running_count() == 1 or bool(window.jobs.history("bge-large-en")))
    assert "bge-large-en" in window.refresher.watched or window.jobs.running_count() == 0
    history = window.jobs.history("bge-large-en")
    assert history[0].title == "Stop bge-large-en"
    # No manual refresh from here on: the job's end refreshes the table.
    # The stored status may read Stopped while ECS still drains the last task (the sandbox simulates the lag);
    # a later refresh, never a manual one, brings the count to 0.
    qtbot.waitUntil(
        lambda: (row(window, "bge-large-en").status, row(window, "bge-large-en").running_tasks) == ("Stopped", 0),
        timeout=90_000,
    )
    summary = window.jobs.history("bge-large-en")[0]
    assert summary.ended is not None
    steps = {event.step for event in summary.events}
    assert {"intake", "finalize"} <= steps
    assert notified == [("Stop bge-large-en: succeeded", "stopped")]


def test_delete_asks_for_the_model_id_typed_back(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    select(window, "titan-embed-v2")
    window.commands.delete.trigger()
    dialog = window.findChild(ConfirmDialog)
    assert dialog is not None
    assert not dialog.confirm.isEnabled()
    qtbot.keyClicks(dialog.entry, "titan-embed")
    assert not dialog.confirm.isEnabled()
    qtbot.keyClicks(dialog.entry, "-v2")
    assert dialog.confirm.isEnabled()
    dialog.confirm.click()
    qtbot.waitUntil(lambda: window.table_model.row_for("titan-embed-v2") is None, timeout=60_000)
    assert window.jobs.history("titan-embed-v2")[0].state.lower().startswith("succeeded")


def test_a_failed_refresh_keeps_the_rows_marks_them_stale_and_offers_retry(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(own_backend)
    count = window.table_model.rowCount()
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    sandbox.client("dynamodb").delete_table(TableName=sandbox.table_name)
    window.refresher.refresh_now()
    qtbot.waitUntil(window.banner.isVisible, timeout=30_000)
    assert "Refresh failed" in window.banner.message.text()
    assert "ResourceNotFound" in window.banner.message.text()
    assert window.banner.retry.isVisible()
    assert window.table_model.rowCount() == count
    assert window.pages.currentIndex() == Page.TABLE
    assert "STALE" in window.refresh_label.text()
    with qtbot.waitSignal(window.refresher.failed, timeout=30_000):
        window.banner.retry.click()


def test_keyboard_shortcuts(make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot) -> None:
    window = make_window(shared_backend)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.refresher.paused
    assert "paused" in window.refresh_label.text()
    qtbot.keyClick(window.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not window.refresher.paused
    qtbot.keyClick(window.view, Qt.Key.Key_Space)  # Space selects in the table, it does not pause
    assert not window.refresher.paused
    with qtbot.waitSignal(window.refresher.succeeded, timeout=30_000):
        qtbot.keyClick(window.view, Qt.Key.Key_F5)
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.filter_box
    qtbot.keyClicks(window.filter_box, "a b")  # Space types into the filter box: no pause
    assert window.filter_box.text() == "a b" and not window.refresher.paused
    window.view.setFocus()
    qtbot.keyClick(window.view, "?")
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.table.rowCount() >= 10


def test_details_pane_shows_the_failure_reason_and_live_facts(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(shared_backend)
    select(window, "broken-model")
    assert window.details.title.text() == "broken-model"
    assert window.details.failure.isVisible()
    assert "ROLLBACK_COMPLETE" in window.details.failure.message.text()
    select(window, "mistral-7b-instruct")
    qtbot.waitUntil(lambda: window.details.facts["revision"].text().startswith("revision"), timeout=30_000)
    assert window.details.facts["capacity"].text() == "1 / 1 / 3"
    assert not window.details.failure.isVisible()
    assert '"modelId": "mistral-7b-instruct"' in window.details.config.toPlainText()


def test_copy_as_json_and_export_give_a_file_models_validate_accepts(
    make_window: WindowFactory, shared_backend: DeploymentBackend, tmp_path: Path
) -> None:
    from engine.files import load_document
    from engine.schema.validate import parse_create

    window = make_window(shared_backend)
    select(window, "mistral-7b-instruct")
    window.commands.copy.trigger()
    assert '"modelId": "mistral-7b-instruct"' in QApplication.clipboard().text()
    target = tmp_path / "mistral.yaml"
    window.export_to(row(window, "mistral-7b-instruct"), str(target))
    parse_create(load_document(target))
    assert export_shape(row(window, "claude-3-5-sonnet"))["modelId"] == "claude-3-5-sonnet"


def test_states_loading_and_cannot_open(make_window: WindowFactory) -> None:
    window = make_window()
    assert window.pages.currentIndex() == Page.LOADING
    assert not window.commands.refresh.isEnabled()
    window.show_open_failed("[EndpointUnreachable] cannot reach http://127.0.0.1:9")
    assert window.pages.currentIndex() == Page.ERROR
    assert "EndpointUnreachable" in window.error_label.text()
    assert window.connection_label.text() == "Not connected"


def test_a_failed_refresh_with_no_rows_shows_the_error_page_alone(make_window: WindowFactory) -> None:
    window = make_window()
    window.refresher.failed.emit("[ResourceNotFoundException] dynamodb:Scan failed")
    assert window.pages.currentIndex() == Page.ERROR
    assert "ResourceNotFound" in window.error_label.text()
    assert window.banner.isHidden()  # "showing the last data" would not be true: there is none
    assert "STALE" in window.refresh_label.text()


def test_an_empty_deployment_says_how_to_create_a_model(make_window: WindowFactory) -> None:
    window = make_window()
    window.show_snapshot([], saved_at=0.0)
    assert window.pages.currentIndex() == Page.EMPTY
    assert "No models in this deployment yet" in window.empty_label.text()
    assert "0 models" in window.count_label.text()


def test_cached_rows_wait_for_their_configuration_before_copy_or_export(make_window: WindowFactory) -> None:
    window = make_window()
    window.show_snapshot([ModelRow("cached", "org/cached", "third_party", "textgen", "InService")], saved_at=0.0)
    select(window, "cached")
    assert not window.commands.copy.isEnabled() and not window.commands.export.isEnabled()
    assert "first refresh" in window.commands.export.toolTip()
    assert "cached data" in window.refresh_label.text()


def test_rows_replacing_the_loading_page_paint_a_turn_after_they_fill_the_table(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.startup.painted)
    assert window.pages.currentIndex() == Page.LOADING
    window.refresher.succeeded.emit([ModelRow("fresh", "org/fresh", "third_party", "textgen", "InService")])
    assert window.pages.currentIndex() == Page.TABLE
    assert not window.pages.updatesEnabled()  # the table's first paint waits for the next event-loop turn
    qtbot.waitUntil(window.pages.updatesEnabled)
    window.refresher.succeeded.emit([ModelRow("fresh", "org/fresh", "third_party", "textgen", "Stopped")])
    assert window.pages.updatesEnabled()  # the table already shown: nothing to wait for


def test_the_first_frame_draws_every_cell_and_later_frames_keep_to_the_turn_budget(
    qtbot: QtBot, background: Background, tmp_path: Path
) -> None:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    assert window.cell_delegate.turn_budget_s is None
    with qtbot.waitSignal(window.first_painted):
        window.show()
    assert window.cell_delegate.turn_budget_s == TURN_BUDGET_S


def test_thousands_of_rows_replacing_the_loading_page_paint_once_they_all_are_in(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.startup.painted)
    rows = [ModelRow(f"m{n:05}", f"org/m{n}", "third_party", "textgen", "InService") for n in range(FIRST_FILL * 10)]
    window.refresher.succeeded.emit(rows)
    assert window.table_model.filling  # a screenful in, the rest a chunk per turn
    assert window.pages.currentIndex() == Page.TABLE
    assert not window.pages.updatesEnabled()
    with qtbot.waitSignal(window.table_model.filled):
        pass
    assert window.table_model.rowCount() == len(rows)
    assert not window.pages.updatesEnabled()  # one whole paint, a turn after the last chunk
    qtbot.waitUntil(window.pages.updatesEnabled)


def test_a_record_this_version_cannot_read_is_a_row_offering_only_copy(
    make_window: WindowFactory, own_backend: DeploymentBackend, qtbot: QtBot
) -> None:
    sandbox = own_backend.target.sandbox
    assert sandbox is not None
    dynamodb = sandbox.session().client("dynamodb", endpoint_url=sandbox.endpoint_url)
    item = {"model_id": {"S": "from-newer-lisa"}, "model_status": {"S": "Archiving"}, "model_config": {"M": {}}}
    dynamodb.put_item(TableName=sandbox.table_name, Item=item)
    window = make_window(own_backend)
    assert {"mistral-7b-instruct", "claude-3-5-sonnet", "from-newer-lisa"} <= set(shown_ids(window))
    select(window, "from-newer-lisa")
    assert "cannot read the stored record" in window.details.failure.message.text()
    assert window.details.facts["status"].text() == "Archiving"
    for action in (window.commands.update, window.commands.start, window.commands.stop, window.commands.delete):
        assert not action.isEnabled()
        assert "cannot read the stored record of from-newer-lisa" in action.toolTip()
    assert not window.commands.export.isEnabled()
    assert window.commands.copy.isEnabled()
    window.commands.copy.trigger()
    assert '"model_status": "Archiving"' in QApplication.clipboard().text()
    select(window, "mistral-7b-instruct")
    assert window.commands.update.isEnabled()
