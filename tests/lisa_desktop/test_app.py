"""With nothing configured the app opens the built-in sandbox, off the GUI thread."""

from __future__ import annotations

import argparse

from pytestqt.qtbot import QtBot

from lisa_desktop.app import DeploymentOpener, wants_sandbox
from lisa_desktop.connections import ConnectionStore, new_connection


def namespace(**values: object) -> argparse.Namespace:
    base = {"sandbox": False, "connection": None, "endpoint_url": None, "region": None, "deployment_prefix": None}
    return argparse.Namespace(**(base | values))


def test_sandbox_is_chosen_only_when_nothing_else_is() -> None:
    store = ConnectionStore()
    assert wants_sandbox(namespace(), store)
    assert not wants_sandbox(namespace(endpoint_url="http://127.0.0.1:1"), store)
    store.add(
        new_connection(name="prod", auth="profile", profile="p", region="eu-west-1", deployment_prefix="/prod/lisa")
    )
    assert not wants_sandbox(namespace(), store)
    assert wants_sandbox(namespace(sandbox=True), store)


def test_opener_starts_the_sandbox_and_counts_its_models(qtbot: QtBot) -> None:
    opener = DeploymentOpener(namespace(sandbox=True))
    try:
        with qtbot.waitSignal(opener.opened, timeout=60_000) as blocker:
            opener.start()
        label, count, is_sandbox = blocker.args
        assert is_sandbox
        assert label.startswith("sandbox http://127.0.0.1:")
        assert count >= 14
    finally:
        opener.close()


def test_opener_reports_an_unreachable_endpoint(qtbot: QtBot) -> None:
    opener = DeploymentOpener(namespace(endpoint_url="http://127.0.0.1:9"))
    try:
        with qtbot.waitSignal(opener.failed, timeout=60_000) as blocker:
            opener.start()
        assert blocker.args[0].startswith("[EndpointUnreachable]")
    finally:
        opener.close()
