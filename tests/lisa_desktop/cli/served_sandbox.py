"""`lisa-desktop sandbox serve ARGS` as a user starts it, in a process of its own: its endpoint URL while it runs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def served_sandbox(*args: str) -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "lisa_desktop", "sandbox", "serve", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.fullmatch(r"LISA_DESKTOP_ENDPOINT=(http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        yield match.group(1)
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
