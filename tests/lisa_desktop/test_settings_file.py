"""The window's settings file is the user's alone (issue 19, part 1): `keep_private` on the `QSettings()` the entry
point opens leaves it 0600 in a 0700 folder, whether it is new or an older version left it readable by all, and
Qt's saves of it (a new file each time, renamed over the old one) keep that mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from lisa_desktop.app import APP_NAME, ORGANIZATION, keep_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def user_config(qapp: QApplication, tmp_path: Path) -> Iterator[Path]:
    """Where `QSettings()` writes for the application as `create_application` names it: a temporary folder (not yet
    there), with the usual umask 022 (files 0644, folders 0755 unless the console narrows them)."""
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    folder = tmp_path / "xdg-config"
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    umask = os.umask(0o022)
    try:
        yield folder
    finally:
        os.umask(umask)
        QCoreApplication.setOrganizationName(names[0])
        QCoreApplication.setApplicationName(names[1])


def test_a_new_settings_file_is_0600_in_a_0700_folder_and_stays_so_when_saved(user_config: Path) -> None:
    settings = QSettings()  # as run_app opens it
    path = Path(settings.fileName())
    assert path.is_relative_to(user_config) and path.parent.name == ORGANIZATION
    assert not path.parent.exists()

    keep_private(settings)

    assert mode(path.parent) == 0o700
    assert path.exists() and mode(path) == 0o600, "Qt's first save would make a missing file 0644"
    for _ in range(2):  # Qt writes a new file and renames it over the old one, each save
        settings.setValue("window/geometry", b"x" * 64)
        settings.setValue("startup/lastChoice", "connection:prod")
        settings.sync()
        assert settings.status() == QSettings.Status.NoError
        assert "connection:prod" in path.read_text()
        assert mode(path) == 0o600, oct(mode(path))
    assert mode(path.parent) == 0o700


def test_a_settings_file_left_readable_by_all_is_narrowed(user_config: Path) -> None:
    settings = QSettings()
    path = Path(settings.fileName())
    path.parent.mkdir(parents=True)
    path.write_text("[startup]\nlastChoice=connection:prod\n")
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)

    keep_private(QSettings())

    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert QSettings().value("startup/lastChoice") == "connection:prod", "nothing in it was lost"
