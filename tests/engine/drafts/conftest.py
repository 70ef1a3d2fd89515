"""Every draft test keeps its drafts in its own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.drafts.store import DraftStore


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("LISA_DESKTOP_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def store(data_dir: Path) -> DraftStore:
    return DraftStore()
