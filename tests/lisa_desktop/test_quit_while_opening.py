"""Quitting while the deployment is still being opened ends the process (the sandbox is closed by the worker
that opened it): it used to hang forever once the window had shown a cached snapshot and quit early."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path


def run_console(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    probe = tmp_path / "probe.json"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "LISA_DESKTOP_STARTUP_PROBE": str(probe),
    }
    env["PYTHONFAULTHANDLER"] = "1"  # a hung process dumps every thread's stack when aborted below
    process = subprocess.Popen(
        [sys.executable, "-m", "lisa_desktop", "--sandbox"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        stdout, stderr = process.communicate()
        raise AssertionError(f"the console did not end within 120 s; its threads:\n{stderr}") from None
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done, json.loads(probe.read_text())


def test_quitting_before_the_sandbox_is_open_ends_the_process(tmp_path: Path) -> None:
    first, measured = run_console(tmp_path)  # no snapshot yet: quits once the sandbox's rows are painted
    assert first.returncode == 0, first.stderr
    assert measured["cached"] is False
    second, measured = run_console(tmp_path)  # the snapshot paints at once: quits while the sandbox starts
    assert measured["cached"] is True
    assert second.returncode == 0, second.stderr
