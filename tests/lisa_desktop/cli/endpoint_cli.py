"""Run the CLI in-process against a sandbox's endpoint."""

from __future__ import annotations

import io

from engine.sandbox.server import Sandbox
from lisa_desktop.cli import run


def cli(sandbox: Sandbox, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(["--endpoint-url", sandbox.endpoint_url, *argv], out=out)
    return code, out.getvalue()
