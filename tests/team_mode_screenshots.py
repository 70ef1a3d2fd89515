"""Team mode's pictures (called by tests.screenshots and tests.dialog_screenshots): the window on the sandbox's LISA
API with no AWS access, a stop run by LISA in the Jobs panel, the review page's no-cancel note, and the connection
form's LISA API section."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from engine.sandbox.constants import SANDBOX_PREFIX
from engine.sandbox.server import Sandbox
from lisa_desktop.team_backend import open_backend
from tests.screenshots import LARGE, SIZE, _open_wizard, _show_page, refit, save, select, until
from ui.add_connection_dialog import AddConnectionDialog
from ui.backend import JobKind
from ui.background import Background
from ui.main_window import MainWindow
from ui.wizard.editors import EnvironmentEditor
from ui.wizard.specs import PageId


async def render_team_mode(out: Path, background: Background) -> None:
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "team-mode.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, background)
    window.resize(*SIZE)
    window.show()
    with Sandbox(ambient=False, rollout_seconds=4.0, warmup_seconds=2.0) as sandbox:
        os.environ["LISA_API_TOKEN"] = sandbox.lisa_api_admin_token
        args = argparse.Namespace(
            sandbox=False,
            connection=None,
            endpoint_url=None,
            region=None,
            deployment_prefix=None,
            lisa_api=sandbox.lisa_api_url,
        )
        try:
            with open_backend(args) as backend:
                window.set_backend(backend)
                await until(lambda: window.refresher.last_success is not None)
                await asyncio.sleep(0.3)
                await refit(window)
                select(window, "mistral-7b-instruct")
                await asyncio.sleep(0.5)
                save(window, out, "team-mode-table")

                row = window.table_model.row_for("bge-large-en")
                assert row is not None
                select(window, "bge-large-en")
                window.submission.submit(JobKind.STOP, [row])
                await until(lambda: any(len(s.events) >= 4 for s in window.jobs.history("bge-large-en")))
                await asyncio.sleep(0.2)
                save(window, out, "team-mode-running-job")
                window.resize(*LARGE)
                await asyncio.sleep(0.5)
                await refit(window)
                save(window, out, f"team-mode-running-job-{LARGE[0]}x{LARGE[1]}")
                await until(lambda: window.jobs.running_count() == 0, timeout=120)
                await asyncio.sleep(0.3)
                save(window, out, f"team-mode-table-{LARGE[0]}x{LARGE[1]}")
                window.resize(*SIZE)
                await asyncio.sleep(0.5)
                await refit(window)

                await render_review(window, out)
        finally:
            os.environ.pop("LISA_API_TOKEN", None)
    window.close()


async def render_review(window: MainWindow, out: Path) -> None:
    """An update's review page in team mode: the restart warning, and the note that LISA runs it, no Cancel."""
    select(window, "mistral-7b-instruct")
    window.commands.update.trigger()
    wizard = _open_wizard(window)
    await asyncio.sleep(0.2)
    _show_page(wizard, PageId.CONTAINER)
    env = wizard.findChild(EnvironmentEditor)
    assert env is not None
    for row in range(env.table.rowCount()):
        if env.table.item(row, 0).text() == "MAX_TOTAL_TOKENS":
            env.table.item(row, 1).setText("8192")
    _show_page(wizard, PageId.REVIEW)
    wizard.review.ack.setChecked(True)
    await asyncio.sleep(0.2)
    save(wizard, out, "team-mode-wizard-review")
    wizard.reject()


def render_lisa_api_form(form: AddConnectionDialog, out: Path, sandbox: Sandbox) -> None:
    """The connection form's LISA API section: an API-only connection, then a profile whose URL was read."""
    form.reset()
    form.use_api_only.setChecked(True)
    form.name.setText("team-prod")
    form.region.setText("eu-west-1")
    form.prefix.setText("/prod/lisa")
    form.api_url.setText("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod")
    form.api_token.setText("0" * 128)
    form.adjustSize()
    save(form, out, "connections-add-lisa-api")
    form.reset()
    form.use_profile.setChecked(True)
    form.name.setText("sandbox-team")
    form.profile.setText("lisa-admin")
    form.region.setText("us-east-1")
    form.prefix.setText(SANDBOX_PREFIX)
    form.set_api_url(sandbox.lisa_api_url)
    form.adjustSize()
    save(form, out, "connections-add-lisa-api-read")


def main() -> None:
    """Team mode's window pictures alone: python -m tests.team_mode_screenshots --out DIR."""
    from tests.screenshots import run_offscreen

    run_offscreen(render_team_mode, __doc__)


if __name__ == "__main__":
    main()
