"""`pip install .` into a fresh virtual environment gives a working `lisa-desktop` with its resources."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from lisa_desktop import __version__

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.packaging
def test_pip_install_into_a_fresh_venv(tmp_path: Path) -> None:
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            str(REPO / "requirements" / "constraints.txt"),
            str(REPO),
        ],
        check=True,
        cwd=tmp_path,
    )
    version = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "lisa-desktop"), "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"lisa-desktop {__version__}"
    probe = (
        "import resources, engine, ui, lisa_desktop; "
        "print(resources.resource('icons/lisa-desktop.svg').read_text()[:4]); print(engine.__file__)"
    )
    shipped = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    icon, engine_file = shipped.stdout.split()
    assert icon == "<svg"
    assert "site-packages" in engine_file, "the installed package, not the checkout, must be imported"
    assert sys.prefix not in engine_file
