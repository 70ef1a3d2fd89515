"""`lisa-desktop --self-test` is an option of the command line, not a window start; a failed check exits non-zero
with its reason. (It passing, from the bundle and from the installed .deb: test_bundle.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lisa_desktop.cli import build_parser
from lisa_desktop.options import window_arguments

REPO = Path(__file__).resolve().parents[2]


def test_self_test_is_a_command_line_option_not_a_window_start() -> None:
    assert window_arguments(["--self-test"]) is None
    assert window_arguments(["--sandbox", "--self-test"]) is None
    assert build_parser().parse_args(["--self-test"]).self_test is True
    assert build_parser().parse_args([]).self_test is False
    assert "--self-test" in build_parser().format_help()


def test_a_failed_check_exits_1_with_its_reason(tmp_path: Path) -> None:
    """The icon check fails when the icon is not installed (as in a bundle that lost its data files)."""
    script = (
        "import pathlib, resources, sys\n"
        f"resources.resource = lambda name: pathlib.Path({str(tmp_path)!r}) / name\n"
        "from lisa_desktop.__main__ import run\n"
        "sys.exit(run(['--self-test']))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("lisa-desktop ") and "self-test" in lines[0]
    assert lines[-1].startswith("FAILED after ")
    assert "the icon file is not installed" in lines[-1]
    assert str(tmp_path / "icons" / "lisa-desktop.svg") in lines[-1]
