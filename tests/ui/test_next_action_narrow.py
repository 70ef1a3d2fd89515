"""The table's "Next action" at 1280×800 (issue #21): what a cell shows keeps the verb and the time zone ("stop 17:00
CET", "start Mon 9:00 CET"), all week long without fitting the columns again, and every column still fits without
horizontal scrolling; at 1920×1080 the whole text shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_small_screen import small_window
from ui import next_action
from ui.cell_delegate import _TEXT_PADDING, CellDelegate
from ui.main_window import MainWindow
from ui.model_table import Column
from ui.next_action import compact_text
from ui.window_table import SHORT_FORMS, day_and_month

SUNDAY_NOON = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
"""The fit's moment: every scheduled model's next action is on another day, or today's."""
STEP = timedelta(hours=5, minutes=17)


@pytest.mark.parametrize(
    ("whole", "compact"),
    [
        ("stops 17:00 CET", "stop 17:00 CET"),
        ("starts 07:00 EST", "start 7:00 EST"),
        ("starts Mon 09:00 CET", "start Mon 9:00 CET"),
        ("stops Fri 00:30 AEDT", "stop Fri 0:30 AEDT"),
        ("", ""),
    ],
)
def test_the_compact_form_keeps_the_verb_the_day_the_time_and_the_zone(whole: str, compact: str) -> None:
    assert compact_text(whole) == compact


@pytest.mark.parametrize(
    ("column", "whole", "short"),
    [
        (Column.LAST_MODIFIED, "2026-11-18 20:49", "18 Nov"),
        (Column.LAST_MODIFIED, "2026-01-02 08:00", "2 Jan"),
        (Column.LAST_MODIFIED, "–", "–"),
        (Column.INSTANCE_TYPE, "g5.12xlarge", "g5.12xl"),
        (Column.INSTANCE_TYPE, "g5.xlarge", "g5.xl"),
        (Column.INSTANCE_TYPE, "m5.large", "m5.large"),
    ],
)
def test_the_columns_that_make_room_keep_what_they_say(column: Column, whole: str, short: str) -> None:
    assert SHORT_FORMS[column](whole) == short
    if column is Column.LAST_MODIFIED:
        assert day_and_month(whole) == short


def shown_next_actions(window: MainWindow) -> dict[str, tuple[str, str]]:
    """model id → (its whole text, what its cell shows at the column's width), as the table's delegate picks."""
    view = window.view
    delegate = view.itemDelegate()
    assert isinstance(delegate, CellDelegate)
    option = QStyleOptionViewItem()
    option.font = view.font()
    option.fontMetrics = QFontMetrics(view.font())
    option.rect = QRect(0, 0, view.horizontalHeader().sectionSize(Column.NEXT_ACTION), 24)
    model = window.table_model
    texts = {
        row.model_id: model.index(position, Column.NEXT_ACTION).data() for position, row in enumerate(model.rows())
    }
    shorten = SHORT_FORMS[Column.NEXT_ACTION]
    return {model_id: (text, delegate._fitted(text, shorten, option)) for model_id, text in texts.items() if text}


def fits(window: MainWindow, text: str) -> bool:
    room = window.view.horizontalHeader().sectionSize(Column.NEXT_ACTION) - _TEXT_PADDING
    return window.view.fontMetrics().horizontalAdvance(text) <= room


def at(window: MainWindow, monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(next_action, "clock", lambda: moment)
    window.table_model.refresh_next_actions(moment)


def test_at_1280_the_next_action_keeps_its_verb_and_zone_all_week(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(next_action, "clock", lambda: SUNDAY_NOON)
    window = small_window(make_window, shared_backend, qtbot)
    at(window, monkeypatch, SUNDAY_NOON)
    window.fit_columns()  # once, as a first start at this size: not again as the week goes on
    assert window.view.horizontalHeader().length() <= window.view.viewport().width()
    seen_today = seen_later = False
    moment = SUNDAY_NOON
    for _ in range(7 * 24 * 60 // (5 * 60 + 17) + 1):
        at(window, monkeypatch, moment)
        shown = shown_next_actions(window)
        assert shown, moment
        for model_id, (whole, cell) in shown.items():
            verb, *_, zone = whole.split(" ")
            assert cell.split(" ")[0] in (verb, verb.removesuffix("s")), (model_id, moment, cell)
            assert cell.endswith(f" {zone}") and fits(window, cell), (model_id, moment, cell)
            later = len(whole.split(" ")) == 4
            seen_today, seen_later = seen_today or not later, seen_later or later
        moment += STEP
    assert seen_today and seen_later
    assert window.view.horizontalHeader().length() <= window.view.viewport().width()
    # the scroll bar's own visibility is updated late (a loaded clean-clone run still saw the fit's first layout)
    qtbot.waitUntil(lambda: not window.view.horizontalScrollBar().isVisible(), timeout=3000)


def test_at_1920_the_next_action_shows_whole(
    make_window: WindowFactory, shared_backend: DeploymentBackend, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(shared_backend)
    at(window, monkeypatch, SUNDAY_NOON)
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.view.viewport().width() > 1300)
    window.fit_columns()
    moment = SUNDAY_NOON
    for _ in range(7 * 24 * 60 // (5 * 60 + 17) + 1):
        at(window, monkeypatch, moment)
        for model_id, (whole, cell) in shown_next_actions(window).items():
            assert cell == whole, (model_id, moment)
        moment += STEP
