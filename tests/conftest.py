"""Session-wide test setup: Qt renders offscreen (no display in CI) before anything imports it."""

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked `long` first: with --dist loadfile their worker starts them at once, beside the rest."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def memory_keyring():  # type: ignore[no-untyped-def]
    """Install an in-memory OS keychain for the test, then put the previous backend back."""
    import keyring

    from tests.keyrings import MemoryKeyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():  # type: ignore[no-untyped-def]
    """The headless-Linux case: keyring's fail backend, as on a machine without a Secret Service."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config directory: nothing reads or writes the developer's real settings."""
    path = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("LISA_DESKTOP_CONFIG_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def isolated_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own cache directory (window snapshots): nothing touches the developer's cache."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LISA_DESKTOP_CACHE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def isolated_log_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every process it starts) logs to its own folder, not the developer's log."""
    path = tmp_path_factory.mktemp("logs")
    monkeypatch.setenv("LISA_DESKTOP_LOG_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory (drafts): nothing touches the developer's drafts."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(path))
    return path
