"""The installer (issue #8): `bash packaging/build.sh` builds the PyInstaller bundle, the tar.gz and the .deb; the
bundle answers --version and passes --self-test offscreen; the .deb installs with dpkg -i and `lisa-desktop
--self-test` passes from PATH; then it is removed. Prints build time, sizes, start-to-window and self-test times.

The build uses the environment running the tests (PyInstaller is added to it: it takes seconds, where a fresh
build environment takes a minute); the spec keeps every test tool out, which `test_the_bundle_holds_the_app_...`
checks. LISA_DESKTOP_BUILD_VENV=.venv-build builds as a release does (packaging/README.md); with
LISA_DESKTOP_BUNDLE_REUSE=1 the bundle already in dist/ (built earlier in the same CI run) is tested as it is.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.sandbox.catalog import CATALOG
from lisa_desktop import __version__

pytestmark = [pytest.mark.packaging, pytest.mark.long]

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "dist"
BUNDLE = DIST / "lisa-desktop"
SIZE_GOAL_MB = 250
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TEST_ONLY = {
    "tests", "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "importlinter", "grimp", "ruff", "cfnlint",
    "sympy", "networkx", "docker", "rich", "pygments", "boto3_stubs", "botocore_stubs",
}  # fmt: skip
REPORT: dict[str, Any] = {}


class PackagingReport(UserWarning):
    """The measurements, as warnings: pytest's summary shows them, from xdist's workers too."""


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """Into the CI log (the warnings summary; printed too when pytest runs without workers), and dist/."""
    warnings.warn(PackagingReport(line), stacklevel=2)
    with (DIST / "packaging-report.txt").open("a") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
    with capsys.disabled():
        print(f"\n[packaging] {line}", flush=True)


def offscreen(home: Path) -> dict[str, str]:
    """Offscreen Qt, and a home of the test's own: no settings, snapshot or log of the user's is read or written."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "LISA_DESKTOP_"))}
    return env | {
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }


def run(argv: list[str], env: dict[str, str], timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, env=env, timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired as timed_out:
        # What the process said before it hung, and the app's own log: a hang must be diagnosable from CI's output.
        said = timed_out.stderr.decode(errors="replace") if isinstance(timed_out.stderr, bytes) else timed_out.stderr
        logs = sorted(Path(env.get("XDG_STATE_HOME", "/nonexistent")).rglob("*.log"))
        log_tail = "\n".join(path.read_text(errors="replace")[-4000:] for path in logs)
        pytest.fail(f"{argv[0]} did not end within {timeout} s\nstderr:\n{(said or '')[-4000:]}\nlog:\n{log_tail}")
    return result, time.monotonic() - began


@pytest.fixture(scope="module")
def build_info() -> dict[str, Any]:
    if os.environ.get("LISA_DESKTOP_BUNDLE_REUSE") == "1" and (DIST / "build-info.json").exists():
        info: dict[str, Any] = json.loads((DIST / "build-info.json").read_text())
        info["reused"] = True
        return info
    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb is not installed: the .deb is built on Debian/Ubuntu")
    env = os.environ | {"BUILD_VENV": os.environ.get("LISA_DESKTOP_BUILD_VENV", sys.prefix)}
    began = time.monotonic()
    built = subprocess.run(
        ["bash", str(REPO / "packaging" / "build.sh")], capture_output=True, text=True, env=env, timeout=1200
    )
    assert built.returncode == 0, built.stdout + built.stderr
    info = json.loads((DIST / "build-info.json").read_text())
    info["build_script_s"] = round(time.monotonic() - began, 1)
    return info


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_the_bundle_holds_the_app_and_the_sandbox_and_nothing_for_tests(
    build_info: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    internal = BUNDLE / "_internal"
    assert (BUNDLE / "lisa-desktop").is_file()
    assert (internal / "resources" / "icons" / "lisa-desktop.svg").is_file()
    assert (internal / "resources" / "icons" / "lisa-desktop.png").is_file()
    assert (internal / "moto").is_dir(), "the sandbox's moto data files"
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert (internal / "PySide6" / "Qt" / "plugins" / "iconengines" / "libqsvgicon.so").is_file()
    assert not list(internal.glob("PySide6/Qt/plugins/platformthemes/libqgtk3*")), "GTK stays out"
    modules = set()
    if not build_info.get("reused"):
        toc = REPO / "build" / "pyinstaller" / "lisa-desktop" / "PYZ-00.toc"
        modules = {name.split(".")[0] for name, _path, _kind in ast.literal_eval(toc.read_text())[1]}
        assert {"lisa_desktop", "engine", "ui", "moto", "flask", "boto3", "PySide6"} <= modules
        assert not modules & TEST_ONLY
        assert not {module for module in modules if module.startswith("mypy_boto3")}
    assert not {path.name for path in internal.iterdir()} & TEST_ONLY
    size_mb = sum(path.lstat().st_size for path in BUNDLE.rglob("*")) / 2**20
    assert size_mb <= SIZE_GOAL_MB
    with tarfile.open(
        build_info["tarball"] if Path(build_info["tarball"]).is_absolute() else REPO / build_info["tarball"]
    ) as tar:
        names = tar.getnames()
    assert f"lisa-desktop-{__version__}/lisa-desktop" in names
    REPORT.update(build_info)
    seconds = build_info["seconds"]
    report(
        capsys,
        f"build: PyInstaller {seconds['pyinstaller']} s, build venv {seconds['venv']} s, tar.gz and .deb "
        f"{seconds['tarball_and_deb']} s (whole script {build_info.get('build_script_s', 'reused')} s); bundle "
        f"{size_mb:.1f} MB unpacked (goal <= {SIZE_GOAL_MB}), tar.gz {build_info['tarball_mb']} MB, "
        f".deb {build_info['deb_mb']} MB",
    )


def test_the_bundle_answers_version_and_passes_its_self_test(
    build_info: dict[str, Any], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    executable = str(BUNDLE / "lisa-desktop")
    version, version_s = run([executable, "--version"], offscreen(home))
    assert version.returncode == 0, version.stderr
    assert version.stdout.splitlines()[0] == f"lisa-desktop {__version__}"
    assert version.stdout.splitlines()[1].startswith("log file: ")
    self_test, self_test_s = run([executable, "--self-test"], offscreen(home))
    assert self_test.returncode == 0, self_test.stdout + self_test.stderr
    assert self_test.stdout.splitlines()[-1].startswith("self-test passed")
    report(capsys, f"bundle --version {version_s:.2f} s; bundle --self-test {self_test_s:.1f} s:\n{self_test.stdout}")


def test_the_bundle_opens_its_window_on_the_sandbox(
    build_info: dict[str, Any], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Start-to-window with the app's own start-up probe: a first start (no snapshot), on the built-in sandbox."""
    probe = home / "probe.json"
    env = offscreen(home) | {"LISA_DESKTOP_STARTUP_PROBE": str(probe)}
    started, wall_s = run([str(BUNDLE / "lisa-desktop")], env, timeout=120)
    assert started.returncode == 0, started.stderr
    timings = json.loads(probe.read_text())
    assert timings["rows"] == len(CATALOG) and timings["cached"] is False
    report(
        capsys,
        f"bundle start to painted window {timings['window_painted_s']:.2f} s, to the sandbox's {len(CATALOG)} models "
        f"{timings['data_painted_s']:.2f} s (process {wall_s:.1f} s)",
    )


@pytest.fixture
def installed_deb(build_info: dict[str, Any]) -> Iterator[Path]:
    """The .deb installed with dpkg -i (root, or passwordless sudo), removed afterwards."""
    if not shutil.which("dpkg"):
        pytest.skip("dpkg is not installed: the .deb is installed on Debian/Ubuntu")
    sudo: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo") or subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode != 0:
            pytest.skip("installing the .deb needs root or passwordless sudo (CI runs as root)")
        sudo = ["sudo", "-n"]
    present = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "lisa-desktop"], capture_output=True, text=True)
    if "installed" in present.stdout.split():
        pytest.skip("a lisa-desktop package is already installed on this machine: not replacing it")
    deb = Path(build_info["deb"]) if Path(build_info["deb"]).is_absolute() else REPO / build_info["deb"]
    began = time.monotonic()
    installed = subprocess.run([*sudo, "dpkg", "-i", str(deb)], capture_output=True, text=True, timeout=300)
    REPORT["dpkg_install_s"] = round(time.monotonic() - began, 1)
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        yield deb
    finally:
        removed = subprocess.run([*sudo, "dpkg", "-r", "lisa-desktop"], capture_output=True, text=True, timeout=300)
        assert removed.returncode == 0, removed.stdout + removed.stderr
        assert not Path("/opt/lisa-desktop").exists()
        assert not Path("/usr/bin/lisa-desktop").exists()


def test_the_deb_installs_and_passes_its_self_test_from_path(
    installed_deb: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Path("/opt/lisa-desktop/lisa-desktop").is_file()
    assert Path("/usr/share/applications/lisa-desktop.desktop").is_file()
    assert Path("/usr/share/icons/hicolor/scalable/apps/lisa-desktop.svg").is_file()
    assert Path("/usr/share/icons/hicolor/256x256/apps/lisa-desktop.png").is_file()
    env = offscreen(home) | {"PATH": SYSTEM_PATH}
    assert shutil.which("lisa-desktop", path=SYSTEM_PATH) == "/usr/bin/lisa-desktop"
    self_test, self_test_s = run(["lisa-desktop", "--self-test"], env)
    assert self_test.returncode == 0, self_test.stdout + self_test.stderr
    assert "(bundle: /opt/lisa-desktop/_internal)" in self_test.stdout.splitlines()[0]
    report(capsys, f"dpkg -i {REPORT.get('dpkg_install_s')} s; lisa-desktop --self-test from PATH {self_test_s:.1f} s")
