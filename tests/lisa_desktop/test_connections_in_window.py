"""Connections in the window: add (a profile, or an access key into the keychain), test against the sandbox, make
default, remove; and the switcher naming the deployment a window was opened on."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from engine.sandbox.constants import SANDBOX_PREFIX
from engine.sandbox.server import Sandbox
from lisa_desktop.app import Shell, args_for
from lisa_desktop.connection_service import StoredConnections
from lisa_desktop.connections import ConnectionStore
from lisa_desktop.snapshot import SnapshotStore
from tests.keyrings import MemoryKeyring
from ui.background import Background
from ui.connections_dialog import ConnectionsDialog
from ui.dialogs import ConfirmDialog
from ui.main_window import MANAGE_CONNECTIONS, MainWindow

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False) as running:
        yield running


@pytest.fixture
def aws_profile(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An AWS named profile holding the sandbox's key, as `aws configure --profile` writes one."""
    (tmp_path / "config").write_text("[profile lisa-sandbox]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text(
        f"[lisa-sandbox]\naws_access_key_id = {sandbox.access_key}\naws_secret_access_key = {sandbox.secret_key}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return "lisa-sandbox"


@pytest.fixture
def window(qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path) -> MainWindow:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    window.connection_service = StoredConnections(ConnectionStore())
    window.set_connections([], "sandbox")
    window.show()
    return window


def open_dialog(window: MainWindow, qtbot: QtBot) -> ConnectionsDialog:
    window.commands.connections.trigger()
    dialog = window.connections_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    qtbot.waitUntil(lambda: not dialog.busy)
    return dialog


def fill(dialog: ConnectionsDialog, qtbot: QtBot, **fields: str) -> None:
    dialog.add_button.click()
    form = dialog.add_dialog
    assert form is not None and form.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy)  # the keychain was asked about
    (form.use_key if "connectionAccessKeyId" in fields else form.use_profile).setChecked(True)
    for name, text in fields.items():
        line = form.findChild(QLineEdit, name)
        assert line is not None, name
        line.setText(text)


def names(dialog: ConnectionsDialog) -> list[str]:
    return [c.name for c in dialog.model.connections]


def switcher_entries(window: MainWindow) -> list[str]:
    return [str(window.switcher.itemData(i)) for i in range(window.switcher.count()) if window.switcher.itemText(i)]


def test_add_test_make_default_and_remove_connections_in_the_window(
    window: MainWindow, qtbot: QtBot, sandbox: Sandbox, memory_keyring: MemoryKeyring, aws_profile: str
) -> None:
    dialog = open_dialog(window, qtbot)
    assert names(dialog) == [] and dialog.empty.isVisible()

    fill(
        dialog,
        qtbot,
        connectionName="sbx-key",
        connectionAccessKeyId=sandbox.access_key,
        connectionSecret=sandbox.secret_key,
        connectionRegion="us-east-1",
        connectionPrefix=SANDBOX_PREFIX,
        connectionEndpoint=sandbox.endpoint_url,
    )
    assert dialog.add_dialog is not None
    dialog.add_dialog.add_button.click()
    qtbot.waitUntil(lambda: names(dialog) == ["sbx-key"], timeout=TIMEOUT_MS)
    assert not dialog.add_dialog.isVisible()
    assert memory_keyring.secrets == {("lisa-desktop", f"sbx-key/{sandbox.access_key}"): sandbox.secret_key}
    assert sandbox.secret_key not in ConnectionStore().path.read_text()
    qtbot.waitUntil(lambda: "sbx-key" in switcher_entries(window))

    fill(
        dialog,
        qtbot,
        connectionName="sbx-profile",
        connectionProfile=aws_profile,
        connectionRegion="us-east-1",
        connectionPrefix=SANDBOX_PREFIX,
        connectionEndpoint=sandbox.endpoint_url,
    )
    dialog.add_dialog.add_button.click()
    qtbot.waitUntil(lambda: names(dialog) == ["sbx-key", "sbx-profile"], timeout=TIMEOUT_MS)
    assert [c.credentials for c in dialog.model.connections] == [
        f"access key {sandbox.access_key}",
        f"profile {aws_profile}",
    ]

    models = len(sandbox.model_ids())
    for name in ("sbx-key", "sbx-profile"):
        dialog.select(name)
        dialog.test_button.click()
        qtbot.waitUntil(lambda: "works" in dialog.outcome.text(), timeout=TIMEOUT_MS)
        text = dialog.outcome.text()
        assert text.startswith(f"'{name}' works")
        assert re.search(r"you are arn:aws:\S+ \(account \d{12}\) in us-east-1", text), text
        assert f"has {models} models" in text
        dialog.outcome.clear()

    assert ConnectionStore().default_name() is None  # two connections, none chosen
    dialog.select("sbx-profile")
    dialog.default_button.click()
    qtbot.waitUntil(lambda: ConnectionStore().default_name() == "sbx-profile")
    qtbot.waitUntil(lambda: [c.default for c in dialog.model.connections] == [False, True])
    assert not dialog.default_button.isEnabled()

    dialog.select("sbx-key")
    dialog.remove_button.click()
    confirm = dialog.findChild(ConfirmDialog, "removeConnectionConfirm")
    assert confirm is not None and "OS keychain" in confirm.findChildren(type(dialog.outcome))[0].text()
    confirm.confirm.click()
    qtbot.waitUntil(lambda: names(dialog) == ["sbx-profile"], timeout=TIMEOUT_MS)
    assert memory_keyring.secrets == {}
    assert [c.name for c in ConnectionStore().all()] == ["sbx-profile"]
    qtbot.waitUntil(lambda: "sbx-key" not in switcher_entries(window))


def test_a_connection_that_does_not_work_says_why(
    window: MainWindow, qtbot: QtBot, sandbox: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    dialog = open_dialog(window, qtbot)
    fill(
        dialog,
        qtbot,
        connectionName="wrong-key",
        connectionAccessKeyId="AKIANOTAKEY000000000",
        connectionSecret="nope",
        connectionRegion="us-east-1",
        connectionPrefix="/no/such",
        connectionEndpoint=sandbox.endpoint_url,
    )
    assert dialog.add_dialog is not None
    dialog.add_dialog.add_button.click()
    qtbot.waitUntil(lambda: names(dialog) == ["wrong-key"], timeout=TIMEOUT_MS)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=TIMEOUT_MS)
    assert "works" not in dialog.outcome.text()
    assert "color: #d1242f" in dialog.outcome.styleSheet()


def test_the_form_and_the_service_name_what_is_wrong_and_nothing_is_written(
    window: MainWindow, qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    dialog = open_dialog(window, qtbot)
    fill(dialog, qtbot, connectionName="prod", connectionAccessKeyId="AKIAEXAMPLE", connectionRegion="eu-west-1")
    form = dialog.add_dialog
    assert form is not None
    form.add_button.click()
    assert form.error.text() == "Deployment prefix is required; Secret access key is required"
    form.findChild(QLineEdit, "connectionPrefix").setText("prod/lisa")  # type: ignore[union-attr]
    form.findChild(QLineEdit, "connectionSecret").setText("s3cret")  # type: ignore[union-attr]
    form.add_button.click()
    qtbot.waitUntil(lambda: "must look like /stage/deploymentName" in form.error.text())
    assert form.isVisible()
    assert not ConnectionStore().path.exists() and memory_keyring.secrets == {}

    form.use_profile.setChecked(True)
    form.findChild(QLineEdit, "connectionPrefix").setText("/prod/lisa")  # type: ignore[union-attr]
    form.findChild(QLineEdit, "connectionProfile").setText("nobody-has-this")  # type: ignore[union-attr]
    form.add_button.click()
    qtbot.waitUntil(lambda: "'nobody-has-this' is not configured" in form.error.text())
    assert not ConnectionStore().path.exists()


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keychain_an_access_key_is_refused_and_a_profile_advised(window: MainWindow, qtbot: QtBot) -> None:
    dialog = open_dialog(window, qtbot)
    fill(
        dialog,
        qtbot,
        connectionName="keys",
        connectionAccessKeyId="AKIAEXAMPLE",
        connectionSecret="s3cret",
        connectionRegion="us-east-1",
        connectionPrefix="/dev/lisa",
    )
    form = dialog.add_dialog
    assert form is not None
    assert form.keychain_note.isVisible() and "AWS named profile" in form.keychain_note.text()
    form.add_button.click()
    assert "no OS keychain" in form.error.text()
    assert not ConnectionStore().path.exists()


def test_the_switcher_opens_the_dialog_and_names_an_endpoint_target(
    qtbot: QtBot, qt_loop: qasync.QEventLoop, background: Background, tmp_path: Path
) -> None:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    window.show()
    shell = Shell(window, background, SnapshotStore(tmp_path / "snapshots"), ConnectionStore())
    endpoint = "http://127.0.0.1:9"
    args = argparse.Namespace(
        sandbox=False, connection=None, endpoint_url=endpoint, region="eu-west-1", deployment_prefix="/dev/lisa"
    )
    task = asyncio.ensure_future(shell.start(args))
    try:
        qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
        assert window.switcher.currentText() == endpoint  # not "Sandbox (built-in)"
        choice = str(window.switcher.currentData())
        again = args_for(choice, args)
        assert (again.endpoint_url, again.deployment_prefix, again.region) == (endpoint, "/dev/lisa", "eu-west-1")
        assert not again.sandbox and again.connection is None
        window.switcher.activated.emit(window.switcher.findData(MANAGE_CONNECTIONS))
        assert window.connections_dialog is not None and window.connections_dialog.isVisible()
        assert window.switcher.currentText() == endpoint  # managing is not a switch
        window.set_connections(["prod"], choice)  # the dialog changed the connections: the target keeps its name
        assert window.switcher.currentText() == endpoint
    finally:
        window.close()
        shell.close()


def test_the_status_bar_names_the_endpoint_a_window_is_opened_on(
    qtbot: QtBot,
    qt_loop: qasync.QEventLoop,
    background: Background,
    tmp_path: Path,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), background)
    qtbot.addWidget(window)
    window.show()
    shell = Shell(window, background, SnapshotStore(tmp_path / "snapshots"), ConnectionStore())
    args = argparse.Namespace(
        sandbox=False, connection=None, endpoint_url=sandbox.endpoint_url, region=None, deployment_prefix=None
    )
    task = asyncio.ensure_future(shell.start(args))
    try:
        qtbot.waitUntil(lambda: shell.backend is not None, timeout=TIMEOUT_MS)
        assert window.switcher.currentText() == sandbox.endpoint_url
        assert sandbox.endpoint_url in window.connection_label.text()
        assert "SANDBOX — changes are discarded" not in window.connection_label.text()
        qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
    finally:
        window.close()
        shell.close()
