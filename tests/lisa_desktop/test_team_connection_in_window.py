"""The connection dialog's LISA API section: an API-only connection is saved with its token in the OS keychain
(never in the connections file), tested through the API, and opened in team mode; the URL can be read from the
deployment (SSM `<prefix>/LisaApiUrl`) with the form's AWS credentials."""

from __future__ import annotations

import argparse

from pytestqt.qtbot import QtBot

from engine.sandbox.constants import SANDBOX_PREFIX
from engine.sandbox.server import Sandbox
from lisa_desktop.connections import ConnectionStore
from lisa_desktop.team_backend import TeamBackend, open_backend
from tests.keyrings import MemoryKeyring
from tests.lisa_desktop.test_connections_in_window import (
    TIMEOUT_MS,
    aws_profile,
    fill,
    names,
    open_dialog,
    sandbox,
    window,
)
from ui.main_window import MainWindow

__all__ = ["aws_profile", "sandbox", "window"]


def test_the_dialog_saves_an_api_only_connection_with_its_token_in_the_keychain(
    window: MainWindow, qtbot: QtBot, sandbox: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    dialog = open_dialog(window, qtbot)
    fill(
        dialog,
        qtbot,
        connectionName="team",
        connectionRegion="us-east-1",
        connectionPrefix=SANDBOX_PREFIX,
        connectionLisaApiUrl=sandbox.lisa_api_url,
    )
    form = dialog.add_dialog
    assert form is not None
    form.use_api_only.setChecked(True)
    assert not form.read_url.isEnabled() and not form.access_key_id.isVisible() and not form.endpoint.isVisible()
    form.add_button.click()
    assert form.error.text() == "LISA API token (with a LISA API URL) is required"
    form.api_token.setText(sandbox.lisa_api_admin_token)
    form.add_button.click()
    qtbot.waitUntil(lambda: names(dialog) == ["team"], timeout=TIMEOUT_MS)
    assert memory_keyring.secrets == {("lisa-desktop", "team/lisa-api"): sandbox.lisa_api_admin_token}
    stored = ConnectionStore().get("team")
    assert stored is not None and stored.auth == "lisa-api" and stored.lisa_api_url == sandbox.lisa_api_url
    assert sandbox.lisa_api_admin_token not in ConnectionStore().path.read_text()
    assert [c.credentials for c in dialog.model.connections] == ["LISA API token"]

    dialog.select("team")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "works" in dialog.outcome.text(), timeout=TIMEOUT_MS)
    assert dialog.outcome.text() == (
        f"'team' works through LISA's API only (no AWS access). LISA's API at {sandbox.lisa_api_url} answers: "
        f"{len(sandbox.model_ids())} models."
    )

    args = argparse.Namespace(sandbox=False, connection="team", endpoint_url=None, region=None, deployment_prefix=None)
    with open_backend(args) as backend:
        assert isinstance(backend, TeamBackend) and not backend.aws_access
        assert len(backend.list_rows()) == len(sandbox.model_ids())


def test_the_url_is_read_from_the_deployment_with_the_forms_credentials(
    window: MainWindow, qtbot: QtBot, sandbox: Sandbox, memory_keyring: MemoryKeyring, aws_profile: str
) -> None:
    dialog = open_dialog(window, qtbot)
    fill(
        dialog,
        qtbot,
        connectionName="sbx-team",
        connectionProfile=aws_profile,
        connectionRegion="us-east-1",
        connectionPrefix="/no/such-deployment",
        connectionEndpoint=sandbox.endpoint_url,
    )
    form = dialog.add_dialog
    assert form is not None
    form.read_url.click()
    qtbot.waitUntil(lambda: "Could not read" in form.api_note.text(), timeout=TIMEOUT_MS)
    assert "/no/such-deployment/LisaApiUrl" in form.api_note.text() and form.api_url.text() == ""
    assert form.read_url.isEnabled()

    form.prefix.setText(SANDBOX_PREFIX)
    form.read_url.click()
    qtbot.waitUntil(lambda: form.api_url.text() == sandbox.lisa_api_url, timeout=TIMEOUT_MS)
    assert form.api_note.text() == f"Read from the deployment: {sandbox.lisa_api_url}"
    form.api_token.setText(sandbox.lisa_api_admin_token)
    form.add_button.click()
    qtbot.waitUntil(lambda: names(dialog) == ["sbx-team"], timeout=TIMEOUT_MS)
    assert [c.credentials for c in dialog.model.connections] == [f"profile {aws_profile}; changes through LISA's API"]
    assert memory_keyring.secrets == {("lisa-desktop", "sbx-team/lisa-api"): sandbox.lisa_api_admin_token}

    args = argparse.Namespace(
        sandbox=False, connection="sbx-team", endpoint_url=None, region=None, deployment_prefix=None
    )
    with open_backend(args) as backend:
        assert isinstance(backend, TeamBackend) and backend.aws_access
        rows = {row.model_id: row for row in backend.list_rows()}
        assert rows["mistral-7b-instruct"].running_tasks is not None  # the inventory's live columns
