"""Issue 19, part 1: a third-party model's API key is never shown or written in clear, unless asked for.

One full session on the sandbox, with the user's directories (HOME and the XDG ones) pointed at a temporary home:
a create through the CLI with a canary key, `models show | list` (text and --json), the window's details, Reveal,
Copy as JSON, Export without and with the key, a draft holding the key, the logs (the rotating log file at DEBUG,
and the captured records) and the snapshot. Then the
canary is in no file under the home, in no output without --show-secrets, and in every one with it; and every
file the console wrote there is 0600 in a 0700 folder."""

from __future__ import annotations

import io
import json
import logging
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from engine.drafts.keeper import installed_keeper, use_keeper
from engine.drafts.store import DraftKind
from engine.sandbox.server import Sandbox
from engine.schema.stored import stored_config
from engine.secrets import MASK
from lisa_desktop import draft_secrets, logs
from lisa_desktop.cli import run
from lisa_desktop.deployment_backend import DeploymentBackend
from lisa_desktop.snapshot import SnapshotStore
from tests.engine.jobs.consistency import third_party_request
from tests.keyrings import MemoryKeyring
from tests.lisa_desktop.test_deployment_backend import FAST, submit, target_on
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import row, select
from ui.backend import JobKind
from ui.export_choice import ExportSecretsBox
from ui.wizard.form import Mode, WizardForm

CANARY = f"sk-canary-{uuid.uuid4().hex}"
MODEL = "canary-gpt"
APP = "lisa-desktop"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's directories, all under one temporary home; the console's own overrides unset."""
    home = tmp_path / "home"
    for name, below in (
        ("HOME", ""),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (home / below).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(home / below))
    for name in ("LISA_DESKTOP_DATA_DIR", "LISA_DESKTOP_CACHE_DIR", "LISA_DESKTOP_CONFIG_DIR", "LISA_DESKTOP_LOG_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def file_log(home: Path) -> Iterator[Path]:
    """The console's rotating log file, configured as the entry point configures it but at DEBUG, under the
    temporary home; the process's logging put back as it was afterwards (`configure_logging` runs once a process)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET}
    configured = logs._configured
    logs._configured = False
    path = logs.configure_logging(logging.DEBUG)
    try:
        assert path is not None and path.is_relative_to(home), path
        yield path
    finally:
        for handler in [handler for handler in root.handlers if handler not in handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        for name, quiet_level in quiet.items():
            logging.getLogger(name).setLevel(quiet_level)
        logs._configured = configured


@pytest.fixture
def keychain(memory_keyring: MemoryKeyring) -> Iterator[MemoryKeyring]:
    """The OS keychain (in memory) as the drafts' keeper, as the entry point installs it."""
    previous = installed_keeper()
    draft_secrets.install()
    yield memory_keyring
    use_keeper(previous)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", running.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running.secret_key)
        yield running


@pytest.fixture
def backend(sandbox: Sandbox) -> Iterator[DeploymentBackend]:
    opened = DeploymentBackend(target_on(sandbox), settings=FAST)
    yield opened
    opened.close()


class Outputs:
    """Every command's output, kept to be searched at the end."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.masked: list[str] = []
        self.revealed: list[str] = []

    def cli(self, *argv: str, revealing: bool = False) -> str:
        out = io.StringIO()
        code = run(["--endpoint-url", self.sandbox.endpoint_url, *argv], out=out)
        assert code == 0, out.getvalue()
        (self.revealed if revealing else self.masked).append(out.getvalue())
        return out.getvalue()


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_full_session_never_shows_or_writes_the_api_key_unless_asked(
    home: Path,
    file_log: Path,
    keychain: MemoryKeyring,
    sandbox: Sandbox,
    backend: DeploymentBackend,
    make_window: WindowFactory,
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG, logger="engine")
    caplog.set_level(logging.DEBUG, logger="lisa_desktop")
    caplog.set_level(logging.DEBUG, logger="ui")
    outputs = Outputs(sandbox)

    # A third-party create through the CLI (its job journaled under the user's data directory).
    request = tmp_path / "create.json"
    request.write_text(json.dumps({**third_party_request(MODEL), "apiKey": CANARY}))
    outputs.cli("models", "create", str(request), "--wait")
    assert backend.aws.models.get(MODEL).config["apiKey"] == CANARY  # the model has the real key

    # models show | list, text and JSON: masked; with --show-secrets: in clear.
    for argv in (("models", "show", MODEL), ("models", "list")):
        for extra in ((), ("--json",)):
            outputs.cli(*argv, *extra)
    shown = json.loads(outputs.cli("models", "show", MODEL, "--json"))
    assert shown["model"]["apiKey"] == MASK
    assert CANARY in outputs.cli("models", "show", MODEL, "--show-secrets", revealing=True)
    assert CANARY in outputs.cli("models", "show", MODEL, "--json", "--show-secrets", revealing=True)
    assert CANARY in outputs.cli("models", "list", "--json", "--show-secrets", revealing=True)

    # The window: details masked, Reveal shows the key, Copy as JSON and Export mask it unless asked.
    window = make_window(backend)
    select(window, MODEL)
    details = window.details
    assert details.row is not None and details.row.model_id == MODEL
    details.tabs.setCurrentIndex(details.tabs.indexOf(details.config.parentWidget()))
    assert f'"apiKey": "{MASK}"' in details.config.toPlainText()
    assert details.reveal.isVisible() and not details.reveal.isChecked()
    details.reveal.click()
    assert f'"apiKey": "{CANARY}"' in details.config.toPlainText()
    outputs.revealed.append(details.config.toPlainText())
    details.reveal.click()
    assert CANARY not in details.config.toPlainText()
    outputs.masked.append(details.config.toPlainText())

    window.copy_selected()
    copied = QApplication.clipboard().text()
    assert json.loads(copied)["apiKey"] == MASK
    outputs.masked.append(copied)

    window.export_selected()
    box = window.findChild(ExportSecretsBox)
    assert box is not None and box.defaultButton() is box.without
    box.without.click()
    dialog = window.findChild(QFileDialog, "exportDialog")
    assert dialog is not None
    exported = home / "exports" / f"{MODEL}.yaml"
    exported.parent.mkdir()
    dialog.fileSelected.emit(str(exported))
    assert f"apiKey: '{MASK}'" in exported.read_text()
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    outside = tmp_path / "outside" / f"{MODEL}.json"
    outside.parent.mkdir()
    window.export_to(row(window, MODEL), str(outside), include_secrets=True)
    assert json.loads(outside.read_text())["apiKey"] == CANARY

    # An update started from the window's (masked) row never carries the key, and the model keeps it.
    shown_row = row(window, MODEL)
    form = WizardForm(Mode.UPDATE, stored_config(shown_row.config), base=shown_row.config)
    form.config["modelDescription"] = "updated from a masked row"
    assert MASK not in json.dumps(form.request()) and "apiKey" not in form.request()
    job, _ = submit(backend, JobKind.UPDATE, MODEL, payload=form.request())
    assert job.end(timeout=60).ok
    stored = backend.aws.models.get(MODEL)
    assert stored.config["apiKey"] == CANARY and stored.config["modelDescription"] == "updated from a masked row"
    assert [m.litellm_params.get("api_key") for m in sandbox.litellm.registered() if m.model_name == MODEL] == [CANARY]

    # A draft holding the key: the key is in the keychain, not in the drafts file; `drafts show` masks it.
    store = window.wizards.store
    draft = store.create(DraftKind.CREATE, {**third_party_request("canary-copy"), "apiKey": CANARY})
    assert store.get(draft.draft_id).config["apiKey"] == CANARY
    assert any(CANARY in value for value in keychain.secrets.values())
    assert CANARY not in outputs.cli("drafts", "show", draft.draft_id[:8])
    assert CANARY not in outputs.cli("drafts", "show", draft.draft_id[:8], "--json")
    assert CANARY in outputs.cli("drafts", "show", draft.draft_id[:8], "--show-secrets", revealing=True)

    # The snapshot of the deployment's rows, as the window saves it.
    snapshot = SnapshotStore().save(backend.cache_key, backend.list_rows())
    assert snapshot.is_relative_to(home) and MODEL in snapshot.read_text()

    written = files_under(home)
    assert any(path.name == "drafts.sqlite3" for path in written)
    assert any(path.name == "jobs.sqlite3" for path in written)
    leaking = [str(path) for path in written if CANARY.encode() in path.read_bytes()]
    assert not leaking
    assert not [text for text in outputs.masked if CANARY in text]
    assert all(CANARY in text for text in outputs.revealed)
    assert CANARY not in caplog.text
    logged = file_log.read_text()
    assert f"sandbox deployment ready at {sandbox.endpoint_url}" in logged, "the log file saw the session"
    assert " DEBUG " in logged
    assert CANARY not in logged
    assert file_log in written
    assert stat.S_IMODE(file_log.stat().st_mode) == 0o600
    assert stat.S_IMODE(file_log.parent.stat().st_mode) == 0o700

    for path in written:
        if path.is_relative_to(home / "exports"):
            continue
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in {path.parent for path in written}:
        if APP in path.relative_to(home).parts:
            assert stat.S_IMODE(path.stat().st_mode) == 0o700, path

    # Deleted, the draft leaves nothing in the keychain.
    store.delete(draft.draft_id)
    assert not any(CANARY in value for value in keychain.secrets.values())
