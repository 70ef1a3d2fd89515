"""Screenshots of schedules (called by tests.screenshots on its window): the table's Next action column at 1280×800
and 1920×1080, Details with a schedule, and the wizard's Schedule page (every day, per weekday with the preview,
an error, the review) — at a fixed clock, so that the pictures do not change with the day they are made."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tests.screenshots import LARGE, SIZE, _open_wizard, _show_page, refit, save, select
from ui import next_action
from ui.main_window import MainWindow
from ui.wizard.specs import PageId
from ui.wizard.wizard import ModelWizard

MONDAY_11_BERLIN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _type(edit, text: str) -> None:  # type: ignore[no-untyped-def]
    edit.setText(text)
    edit.textEdited.emit(text)


def _choose_type(wizard: ModelWizard, text: str) -> None:
    combo = wizard.schedule_page.type
    combo.setCurrentIndex(combo.findText(text))


async def render_schedules(window: MainWindow, out: Path) -> None:
    clock = next_action.clock
    next_action.clock = lambda: MONDAY_11_BERLIN
    try:
        window.table_model.refresh_next_actions(MONDAY_11_BERLIN)
        select(window, "llama3-8b-tgi")
        await refit(window)
        save(window, out, "details-schedule")
        save(window, out, "model-table-next-action")
        window.resize(*LARGE)
        await refit(window)
        save(window, out, "model-table-next-action-1920x1080")
        window.resize(*SIZE)
        await refit(window)
        await render_schedule_page(window, out)
    finally:
        next_action.clock = clock
        window.table_model.refresh_next_actions(clock())


async def render_schedule_page(window: MainWindow, out: Path) -> None:
    select(window, "mistral-7b-instruct")
    window.commands.update.trigger()
    wizard = _open_wizard(window)
    page = wizard.schedule_page
    page.now = lambda: MONDAY_11_BERLIN
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
