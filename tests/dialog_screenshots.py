"""Render the dialogs offscreen and save the PNGs: the Connections dialog (connections tested against a sandbox) and
its forms, the wizard's Base page (features, allowed groups) and Guardrails page, and the "Context window…" dialog,
each once, over a 1280×800 window (they have a size of their own, the same over any window); the conflict dialog,
which takes its width from the window, over a 1280×800 one and a 1920×1080 one (`…-1920x1080.png`).

QT_QPA_PLATFORM=offscreen python -m tests.dialog_screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
from PySide6.QtCore import QSettings

from engine.config_edit import config_of
from engine.drafts.conflict import compare
from engine.sandbox.catalog import catalog_by_id
from engine.sandbox.constants import SANDBOX_PREFIX
from engine.sandbox.server import Sandbox
from lisa_desktop.connection_service import StoredConnections
from lisa_desktop.connections import ConnectionStore
from tests.keyrings import MemoryKeyring
from tests.model_settings_screenshots import render_context_window_dialog
from tests.screenshots import run_offscreen, save, until
from tests.team_mode_screenshots import render_lisa_api_form
from tests.wizard_base_screenshots import render_features_and_groups
from tests.wizard_guardrails_screenshots import render_guardrails
from ui.backend import CurrentModel
from ui.background import Background
from ui.connection_service import NewConnection
from ui.main_window import MainWindow
from ui.wizard.conflict_dialog import ConflictDialog
from ui.wizard.form import Mode, WizardForm
from ui.wizard.wizard import ModelWizard

SCREEN = (1280, 800)
LARGE = (1920, 1080)


async def render(out: Path, background: Background) -> None:
    for size, suffix in ((SCREEN, ""), (LARGE, f"-{LARGE[0]}x{LARGE[1]}")):
        window = _main_window(background, size)
        if not suffix:
            await render_connections(window, out)
            render_features_and_groups(window, out)
            render_guardrails(window, out)
            render_context_window_dialog(window, out)
        render_conflict(window, out, suffix)
        window.close()


def _main_window(background: Background, size: tuple[int, int]) -> MainWindow:
    os.environ["LISA_DESKTOP_CONFIG_DIR"] = tempfile.mkdtemp()  # the connections: not the user's, nor the last pass's
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "screenshots.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, background)
    window.resize(*size)
    window.show()
    return window


async def render_connections(window: MainWindow, out: Path) -> None:
    """The Connections dialog with a tested connection, and its Add form (an access key, then the LISA API)."""
    with Sandbox(ambient=False) as sandbox:
        service = StoredConnections(ConnectionStore())
        service.add(
            NewConnection(
                "sandbox-key",
                "us-east-1",
                SANDBOX_PREFIX,
                access_key_id=sandbox.access_key,
                secret=sandbox.secret_key,
                endpoint_url=sandbox.endpoint_url,
                make_default=True,
            )
        )
        service.add(NewConnection("prod", "eu-west-1", "/prod/lisa", access_key_id="AKIAIOSFODNN7EXAMPLE", secret="x"))
        window.connection_service = service
        window.set_connections(["sandbox-key", "prod"], "sandbox-key")
        window.show_connections()
        dialog = window.connections_dialog
        assert dialog is not None
        await until(lambda: len(dialog.model.connections) == 2 and not dialog.busy)
        dialog.select("sandbox-key")
        dialog.test_button.click()
        await until(lambda: "works" in dialog.outcome.text() and not dialog.busy)
        save(dialog, out, "connections-dialog")
        dialog.add_button.click()
        assert dialog.add_dialog is not None
        await until(lambda: not dialog.busy)
        dialog.add_dialog.use_key.setChecked(True)
        dialog.add_dialog.name.setText("staging")
        dialog.add_dialog.access_key_id.setText("AKIAIOSFODNN7EXAMPLE")
        dialog.add_dialog.secret.setText("wJalrXUtnFEMI/K7MDENG")
        dialog.add_dialog.region.setText("eu-west-1")
        dialog.add_dialog.prefix.setText("/staging/lisa")
        save(dialog.add_dialog, out, "connections-add")
        render_lisa_api_form(dialog.add_dialog, out, sandbox)
        dialog.add_dialog.hide()
        dialog.close()


def render_conflict(window: MainWindow, out: Path, suffix: str) -> None:
    """The conflict dialog of an update whose model another administrator changed, with the job holding it."""
    base = {**copy.deepcopy(catalog_by_id()["mistral-7b-instruct"].config), "status": "InService"}
    now = copy.deepcopy(base)
    now["modelDescription"] = "Mistral 7B, tuned by the platform team"
    now["autoScalingConfig"]["maxCapacity"] = 4
    now["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] = "8192"
    draft = config_of(copy.deepcopy(base))
    draft["modelDescription"] = "Mistral 7B instruct for the support bot"
    draft["allowedGroups"] = ["support"]
    draft["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] = "16384"
    wizard = ModelWizard(WizardForm(Mode.UPDATE, draft, base=base), parent=window)
    current = CurrentModel(
        now,
        holder="job-5f2c9a1e (arn:aws:iam::123456789012:user/ana on ops-ws-7, since 2026-12-06 14:02:11Z)",
    )
    conflict = ConflictDialog("mistral-7b-instruct", compare(base, now, draft), wizard, current=current)
    conflict.show()
    save(conflict, out, f"conflict-dialog{suffix}")
    conflict.close()


def main() -> None:
    os.environ["LISA_DESKTOP_CONFIG_DIR"] = tempfile.mkdtemp()  # the connections: not the user's
    keyring.set_keyring(MemoryKeyring())  # the secrets: not the user's keychain
    run_offscreen(render, __doc__)


if __name__ == "__main__":
    main()
