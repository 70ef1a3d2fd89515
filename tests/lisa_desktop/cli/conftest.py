"""A fresh sandbox per test for the CLI commands that change models, its credentials in the environment as a
user of --endpoint-url would set them (each sandbox in a process has its own moto account)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.sandbox.server import Sandbox


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", running.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running.secret_key)
        yield running
