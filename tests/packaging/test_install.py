"""Installing the checkout into a fresh virtual environment gives a working `lisa-desktop` with its resources, and the
built-in sandbox opens with no test extra installed (what `bash scripts/run.sh` does on a fresh machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from engine.sandbox.catalog import CATALOG
from lisa_desktop import __version__

REPO = Path(__file__).resolve().parents[2]


def install_as_run_sh_does(python: Path, cwd: Path) -> None:
    """The checkout into the venv of `python` as `scripts/run.sh` installs it: with uv (pinned in the constraints),
    with pip when uv cannot."""
    constraints = str(REPO / "requirements" / "constraints.txt")
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", constraints]
    uv = [str(python.parent / "uv"), "pip", "install", "-q", "--python", str(python), "-c", constraints, str(REPO)]
    if subprocess.run([*pip, "uv"], cwd=cwd).returncode == 0 and subprocess.run(uv, cwd=cwd).returncode == 0:
        return
    # No .pyc for every installed module (moto alone has thousands): a third of pip's time, and what this test runs
    # is compiled as it is imported.
    subprocess.run([*pip, "--no-compile", str(REPO)], check=True, cwd=cwd)


@pytest.mark.packaging
@pytest.mark.long
def test_install_into_a_fresh_venv(tmp_path: Path) -> None:
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    install_as_run_sh_does(python, tmp_path)
    version = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "lisa-desktop"), "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.splitlines()[0] == f"lisa-desktop {__version__}"
    assert version.stdout.splitlines()[1].startswith("log file: ")
    probe = (
        "import resources, engine, ui, lisa_desktop; "
        "print(resources.resource('icons/lisa-desktop.svg').read_text()[:4]); print(engine.__file__)"
    )
    shipped = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    icon, engine_file = shipped.stdout.split()
    assert icon == "<svg"
    assert "site-packages" in engine_file, "the installed package, not the checkout, must be imported"
    assert sys.prefix not in engine_file

    # The sandbox's dependencies are runtime dependencies: a fresh install opens it and lists the seeded models.
    environment = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    listed = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "lisa-desktop"), "models", "list", "--sandbox", "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=environment,
        timeout=180,
    )
    assert listed.returncode == 0, listed.stderr
    model_ids = {entry["model"]["modelId"] for entry in json.loads(listed.stdout)}
    assert len(model_ids) == len(CATALOG)
    assert {"mistral-7b-instruct", "llama3-8b-tgi", "claude-3-5-sonnet", "broken-model"} <= model_ids
    # ... with moto's core and server only: none of moto[server]'s extras the sandbox does not use.
    absent = (
        "import importlib.util as u; print([m for m in ('cfnlint', 'sympy', 'docker', 'pytest') if u.find_spec(m)])"
    )
    extras = subprocess.run([str(python), "-c", absent], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert extras.stdout.strip() == "[]"
