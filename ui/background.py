"""Work the GUI thread starts and the qasync loop finishes: coroutines run as tasks, and blocking calls run on an
executor and awaited, so the GUI thread never waits on them.

asyncio is imported on first use, not with this module: importing it takes 50–90 ms (its SSL, socket and
subprocess support come with it), and start-up paints the window before it imports asyncio and qasync
(`lisa_desktop.app.run_app`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")


def spawn(work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run `work` on the running loop; the caller keeps the task (the loop holds only a weak reference)."""
    import asyncio

    return asyncio.ensure_future(work)


async def on_worker(executor: Executor, call: Callable[..., T], *args: Any) -> T:
    """`call(*args)` on one of `executor`'s threads, awaited."""
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(executor, call, *args)
