"""The window's one way to work off the GUI thread: blocking calls run on the composition root's executor and are
awaited on the qasync loop, coroutines run as tasks kept until they end, and no failure goes unseen.

asyncio is imported on first use, not with this module: importing it is slow (its SSL, socket and subprocess
support come with it), and start-up paints the window before it imports asyncio and qasync
(`lisa_desktop.app.run_app`).
"""

from __future__ import annotations

import importlib
import linecache
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")
Reporter = Callable[[BaseException, str], None]
"""Shows an unexpected failure (the error, what was being done); called from any thread."""

log = logging.getLogger(__name__)

_IMPORTING = threading.Lock()


def import_modules(*names: str) -> None:
    """Import `names` on this (worker) thread, one importing thread at a time. The window imports its heavy
    modules (pydantic, the engine's schema, boto3) after its first paint on workers; two threads importing them
    at once got partly initialized modules (ImportError: PySide's import hook inspects each module as it loads,
    which sets off pydantic's own lazy imports), and the deployment never opened.

    That hook reads the whole source of every module it inspects into `linecache` and leaves it there: hundreds
    of thousands of lines that every full garbage collection of the window's process would walk. They are let go
    once the modules are in (a traceback reads the lines it needs again)."""
    with _IMPORTING:
        for name in names:
            importlib.import_module(name)
        linecache.clearcache()


class Background:
    """Made once by the composition root around its executor, and handed to every part of the window."""

    def __init__(self, executor: Executor, reporter: Reporter | None = None) -> None:
        self._executor = executor
        self.reporter = reporter
        """Where failures go (the app's `UnexpectedErrors.report`, which logs and shows them); logged without."""
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` on a worker thread, awaited (the caller handles its failure)."""
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    def start(self, work: Coroutine[Any, Any, T], *, what: str) -> asyncio.Task[T]:
        """Run `work` on the running loop, kept until it ends (the loop holds only weak references to tasks); its
        failure is reported as `what` failing. The task is returned for callers that cancel or await it."""
        import asyncio

        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda done: None if done.cancelled() else self._failed(done.exception(), what))
        return task

    def submit(self, call: Callable[..., object], *args: Any, what: str) -> None:
        """`call(*args)` on a worker thread, not awaited; its failure is reported as `what` failing."""
        try:
            future = self._executor.submit(call, *args)
        except RuntimeError:  # the executor is shut down: the app is closing
            log.info("not done, the app is closing: %s", what)
            return
        future.add_done_callback(lambda done: None if done.cancelled() else self._failed(done.exception(), what))

    def close(self) -> None:
        """Cancel every task still running (the window is closing); blocking calls already started run on."""
        for task in list(self._tasks):
            task.cancel()

    @property
    def running(self) -> int:
        """Tasks started here that have not ended yet."""
        return len(self._tasks)

    def _failed(self, error: BaseException | None, what: str) -> None:
        if error is None:
            return
        if self.reporter is not None:
            self.reporter(error, what)
        else:
            log.error("%s failed unexpectedly", what, exc_info=error)
