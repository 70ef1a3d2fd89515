"""Screenshots of schedules (called by tests.screenshots on its window): the table's Next action column at 1280×800
and 1920×1080, Details scrolled to a schedule (its status as LISA reports it and the next actions), and the wizard's
Schedule page (every day, per weekday with the preview, an error, the review) — at tests.screenshots.SHOWN_AT, a
fixed clock at which the seeded models' statuses agree with their schedules."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QScrollArea

from tests.screenshots import LARGE, SHOWN_AT, SIZE, _open_wizard, _show_page, refit, save, select, until
from ui import next_action
from ui.main_window import MainWindow
from ui.wizard.specs import PageId
from ui.wizard.wizard import ModelWizard


def _type(edit, text: str) -> None:  # type: ignore[no-untyped-def]
    edit.setText(text)
    edit.textEdited.emit(text)


def _choose_type(wizard: ModelWizard, text: str) -> None:
    combo = wizard.schedule_page.type
    combo.setCurrentIndex(combo.findText(text))


async def render_schedules(window: MainWindow, out: Path) -> None:
    clock = next_action.clock
    next_action.clock = lambda: SHOWN_AT  # as run_offscreen sets it, whoever calls
    try:
        window.table_model.refresh_next_actions(SHOWN_AT)
        select(window, "llama3-8b-tgi")
        await refit(window)
        save(window, out, "model-table-next-action")
        await show_schedule_section(window)
        save(window, out, "details-schedule")
        window.resize(*LARGE)
        await refit(window)
        save(window, out, "model-table-next-action-1920x1080")
        window.resize(*SIZE)
        await refit(window)
        await render_schedule_page(window, out)
    finally:
        next_action.clock = clock
        window.table_model.refresh_next_actions(clock())


async def show_schedule_section(window: MainWindow) -> None:
    """The details' Overview scrolled to the Schedule section, down to its last next action, as one reading it would."""
    await until(lambda: window.details.schedule.isVisible())
    overview = window.details.tabs.widget(0)
    assert isinstance(overview, QScrollArea)
    content = overview.widget()
    assert content is not None
    last = window.details.schedule.facts["next"]
    await asyncio.sleep(0.3)
    for _pass in range(3):  # a wrapped label takes its height a layout pass later: scrolled again once it has it
        top = last.mapTo(content, QPoint(0, 0)).y()
        bottom = top + max(last.height(), last.heightForWidth(last.width()))
        bar = overview.verticalScrollBar()
        bar.setValue(max(bar.value(), bottom + 12 - overview.viewport().height()))
        await asyncio.sleep(0.2)


async def render_schedule_page(window: MainWindow, out: Path) -> None:
    select(window, "mistral-7b-instruct")
    window.commands.update.trigger()
    wizard = _open_wizard(window)
    page = wizard.schedule_page
    page.now = lambda: SHOWN_AT
    await asyncio.sleep(0.2)
    _show_page(wizard, PageId.SCHEDULE)
    _choose_type(wizard, "Every day")
    page.zone.setCurrentText("Europe/Berlin")
    _type(page.start, "08:00")
    _type(page.stop, "18:00")
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-schedule-every-day")
    _type(page.stop, "09:30")
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-schedule-error")
    _choose_type(wizard, "Per weekday")
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        page.days[day].check.setChecked(True)
    _type(page.days["friday"].stop, "15:00")
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-schedule-per-weekday")
    _show_page(wizard, PageId.REVIEW)
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-schedule-review")
    wizard.reject()
