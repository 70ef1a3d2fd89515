"""Render the main window on the sandbox offscreen and save the PNGs shown in the README.

QT_QPA_PLATFORM=offscreen python -m tests.screenshots [--out docs/screenshots]

Every picture at 1280×800 (the README's); the table and a failed rollout's root cause also at 1920×1080
(`…-1920x1080.png`). Wizards and dialogs have a size of their own and are drawn once. Also drawn from here:
tests.model_settings_screenshots (context window, default model), tests.schedule_screenshots and
tests.team_mode_screenshots; tests.dialog_screenshots draws the dialogs and the wizard pages not drawn here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from engine.drafts.conflict import compare
from lisa_desktop.app import create_application
from lisa_desktop.deployment_backend import DeploymentBackend
from ui import next_action
from ui.backend import JobKind
from ui.background import Background
from ui.dialogs import ConfirmDialog
from ui.main_window import DETAILS_NARROW, DETAILS_WIDTH, JOBS_EMPTY_HEIGHT, MainWindow
from ui.wizard.conflict_dialog import ConflictDialog
from ui.wizard.editors import ChoiceEditor, EnvironmentEditor, IntEditor, TextEditor
from ui.wizard.specs import CONTEXT_WINDOW, PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard

SIZE = (1280, 800)
LARGE = (1920, 1080)
SHOWN_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
"""The instant the pictures' next scheduled actions are computed for (the table's Next action column, the details'
Schedule section, the wizard's Schedule preview), so that they do not change with the day they are made: a Monday,
16:00 in Berlin and 10:00 in New York, as the tests' (tests/ui/test_next_action.py), when the seeded models'
statuses agree with their schedules: llama3-8b-tgi (Tuesday to Friday) Stopped, llama3-1-70b-instruct
(07:00-20:00 New York) InService."""


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the window did not reach the state to draw")
        await asyncio.sleep(0.05)


def save(widget: QWidget, out: Path, name: str) -> None:
    QApplication.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path}")


def select(window: MainWindow, model_id: str) -> None:
    position = window.table_model.position_of(model_id)
    assert position is not None
    index = window.proxy.mapFromSource(window.table_model.index(position, 0))
    window.view.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )


def status_of(window: MainWindow, model_id: str) -> str | None:
    row = window.table_model.row_for(model_id)
    return row.status if row is not None else None


async def render(out: Path, background: Background) -> None:
    args = argparse.Namespace(sandbox=True, connection=None, endpoint_url=None, region=None, deployment_prefix=None)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "screenshots.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, background)
    window.resize(*SIZE)
    window.show()
    window.show_loading("the built-in sandbox")
    await asyncio.sleep(0.2)  # the docks take their first sizes once the window is shown
    save(window, out, "loading")
    with DeploymentBackend.open(args) as backend:
        window.set_backend(backend)
        await until(lambda: window.refresher.last_success is not None)
        await asyncio.sleep(0.3)
        save(window, out, "model-table")
        from tests.model_settings_screenshots import render_default_and_context  # it imports this module

        await render_default_and_context(window, out)

        select(window, "broken-model")
        await asyncio.sleep(1.0)
        save(window, out, "details-failed-model")
        select(window, "mistral-7b-instruct")
        await until(lambda: window.details.facts["revision"].text().startswith("revision"))
        save(window, out, "details-pane")
        await render_wizards(window, out)
        from tests.schedule_screenshots import render_schedules  # it imports this module

        await render_schedules(window, out)

        await render_root_cause(window, backend, out)

        select(window, "bge-large-en")
        window.commands.stop.trigger()
        dialog = window.findChild(ConfirmDialog)
        assert dialog is not None
        dialog.confirm.click()
        await until(lambda: window.jobs.running_count() == 0, timeout=120)
        select(window, "llama3-8b-tgi")
        window.commands.start.trigger()  # a start waits for instances to warm up: seconds in the sandbox
        await until(lambda: any(len(s.events) >= 6 for s in window.jobs.history("llama3-8b-tgi")))
        save(window, out, "running-job")
        await until(lambda: window.jobs.running_count() == 0, timeout=120)

        await until(lambda: status_of(window, "llama3-8b-tgi") == "InService")
        sandbox = backend.target.sandbox
        assert sandbox is not None
        sandbox.client("dynamodb").delete_table(TableName=sandbox.table_name)
        clock = asyncio.get_running_loop().time()
        window.refresher.refresh_now()
        await until(window.banner.isVisible, timeout=90)
        print(f"failed refresh shown after {asyncio.get_running_loop().time() - clock:.1f} s")
        save(window, out, "refresh-failed")
        window.close()
    from tests.team_mode_screenshots import render_team_mode  # it imports this module

    await render_team_mode(out, background)


async def render_root_cause(window: MainWindow, backend: DeploymentBackend, out: Path) -> None:
    """A container update whose rollout fails: the row's rolled-back mark, the job, and the details pane's root
    cause (stopped tasks, exit code, the container's last log lines), at both sizes; the table at both sizes."""
    sandbox = backend.target.sandbox
    assert sandbox is not None
    model = "mistral-7b-instruct"
    sandbox.faults.fail_rollout.add(model)
    ticket = backend.submit(
        JobKind.UPDATE,
        model,
        on_event=window.jobs.signals.event.emit,
        on_end=window.jobs.signals.ended.emit,
        payload={"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "4096"}}},
        ack_restart=True,
    )
    window.jobs.track(ticket, f"Update {model}")
    await until(lambda: window.jobs.running_count() == 0, timeout=180)
    sandbox.faults.fail_rollout.discard(model)
    select(window, model)
    await until(lambda: window.details.root_cause.isVisible(), timeout=30)
    await asyncio.sleep(0.5)
    overview = window.details.tabs.widget(0)
    assert isinstance(overview, QScrollArea)
    overview.ensureWidgetVisible(window.details.root_cause)  # scrolled to it, as one reading it would
    await asyncio.sleep(0.2)
    save(window, out, "details-root-cause")
    window.resize(*LARGE)
    await asyncio.sleep(0.5)
    await refit(window)  # as a first start at this size
    save(window, out, f"details-root-cause-{LARGE[0]}x{LARGE[1]}")
    select(window, "bge-large-en")
    await asyncio.sleep(0.5)
    save(window, out, f"model-table-{LARGE[0]}x{LARGE[1]}")
    window.resize(*SIZE)
    await asyncio.sleep(0.5)
    await refit(window)  # back to what a first start at this size shows


async def refit(window: MainWindow) -> None:
    """The columns and the docks as a first start at the window's size fits them."""
    details_width = DETAILS_NARROW if window.width() < 1500 else DETAILS_WIDTH
    window.resizeDocks([window.details_dock], [details_width], Qt.Orientation.Horizontal)
    window.resizeDocks([window.jobs], [JOBS_EMPTY_HEIGHT], Qt.Orientation.Vertical)
    await asyncio.sleep(0.2)
    window.fit_jobs_dock()
    await asyncio.sleep(0.2)
    window.fit_columns()
    await asyncio.sleep(0.3)


def _field(wizard: ModelWizard, kind: type, path: str):  # type: ignore[no-untyped-def]
    found = wizard.findChild(kind, "field:" + path)
    assert found is not None, path
    return found


def _type(wizard: ModelWizard, path: str, text: str) -> None:
    field = _field(wizard, TextEditor, path)
    field.line.setText(text)
    field.line.textEdited.emit(text)


def _number(wizard: ModelWizard, path: str, value: int) -> None:
    _field(wizard, IntEditor, path).spin.setValue(value)


def _choose(wizard: ModelWizard, path: str, text: str) -> None:
    combo = _field(wizard, ChoiceEditor, path).combo
    combo.setCurrentIndex(combo.findText(text))
    combo.activated.emit(combo.currentIndex())


def _open_wizard(window: MainWindow) -> ModelWizard:
    shown = [wizard for wizard in window.findChildren(ModelWizard) if wizard.isVisible()]
    assert len(shown) == 1
    return shown[0]


def _show_page(wizard: ModelWizard, page: PageId) -> None:
    while wizard.currentId() != PAGE_IDS[page]:
        wizard.next()


async def render_wizards(window: MainWindow, out: Path) -> None:
    """Each wizard page, the review with the restart warning, a field error, read-only fields, the conflict."""
    window.commands.create.trigger()
    wizard = _open_wizard(window)
    _choose(wizard, "hostingType", "lisa_hosted")
    _type(wizard, "modelId", "llama-3-2-3b")
    _type(wizard, "modelName", "meta-llama/Llama-3.2-3B-Instruct")
    _type(wizard, "instanceType", "g5.xlarge")
    _choose(wizard, "inferenceContainer", "vllm")
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-1-base")
    _show_page(wizard, PageId.AUTO_SCALING)
    _number(wizard, "autoScalingConfig.minCapacity", 3)
    _number(wizard, "autoScalingConfig.maxCapacity", 2)
    wizard.page_of(PageId.AUTO_SCALING).touched.update(
        {"autoScalingConfig.minCapacity", "autoScalingConfig.maxCapacity"}
    )
    wizard.revalidate()
    save(wizard, out, "wizard-3-auto-scaling-error")
    wizard.reject()

    select(window, "mistral-7b-instruct")
    window.commands.update.trigger()
    wizard = _open_wizard(window)
    await asyncio.sleep(0.2)
    _show_page(wizard, PageId.CONTAINER)
    env = _field(wizard, EnvironmentEditor, "containerConfig.environment")
    for row in range(env.table.rowCount()):
        if env.table.item(row, 0).text() == "MAX_TOTAL_TOKENS":
            env.table.item(row, 1).setText("8192")
    save(wizard, out, "wizard-2-container")
    _show_page(wizard, PageId.AUTO_SCALING)
    _number(wizard, "autoScalingConfig.minCapacity", 2)
    save(wizard, out, "wizard-3-auto-scaling")
    _show_page(wizard, PageId.LOAD_BALANCER)
    save(wizard, out, "wizard-4-load-balancer")
    _show_page(wizard, PageId.REVIEW)
    save(wizard, out, "wizard-5-review-restart")
    base = dict(wizard.form.base or {})
    now = {**base, "modelDescription": "Changed by another administrator", "status": "InService"}
    dialog = ConflictDialog("mistral-7b-instruct", compare(base, now, wizard.form.config), wizard)
    dialog.show()
    save(dialog, out, "wizard-conflict")
    dialog.close()
    wizard.reject()

    select(window, "claude-3-5-sonnet")
    window.commands.update.trigger()
    wizard = _open_wizard(window)
    await asyncio.sleep(0.2)
    _type(wizard, CONTEXT_WINDOW, "150000")  # an update's Base page: the model's context window, changed
    base_page = wizard.page_of(PageId.BASE)
    scroll = base_page.findChild(QScrollArea)
    assert scroll is not None
    QApplication.processEvents()
    scroll.ensureWidgetVisible(base_page.rows[CONTEXT_WINDOW], 0, 120)
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-base-context-window")
    _show_page(wizard, PageId.CONTAINER)
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-third-party-read-only")
    _show_page(wizard, PageId.REVIEW)
    await asyncio.sleep(0.2)
    save(wizard, out, "wizard-review-context-window")
    wizard.reject()
    window.drafts_panel.show()
    window.drafts_panel.raise_()
    await asyncio.sleep(0.3)
    save(window, out, "drafts-dock")
    window.jobs.raise_()


Render = Callable[[Path, Background], Coroutine[Any, Any, None]]


def run_offscreen(render: Render, description: str | None) -> None:
    """Parse --out, keep the drafts away from the user's, fix the schedules' clock at SHOWN_AT, and run `render` on
    qasync's loop over the Qt app."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LISA_DESKTOP_DATA_DIR", tempfile.mkdtemp())  # the wizards' drafts: not the user's
    next_action.clock = lambda: SHOWN_AT
    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="lisa-engine")
    try:
        loop.run_until_complete(render(out, Background(executor)))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def main() -> None:
    run_offscreen(render, __doc__)


if __name__ == "__main__":
    main()
