"""Exceptions nobody caught while the window runs (in a Qt slot, an asyncio task or callback, a thread): each is
logged with its traceback and shown in the window's error banner, whose Copy details gives the traceback."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from lisa_desktop.logs import mask

if TYPE_CHECKING:
    import asyncio

    from ui.banner import Banner

log = logging.getLogger("lisa_desktop.unexpected")


class UnexpectedErrors(QObject):
    """Installs sys.excepthook, threading.excepthook and (with `watch_loop`) the event loop's exception handler;
    `uninstall` puts the previous ones back."""

    caught = Signal(str, str)
    """summary, details: emitted from any thread, shown on the GUI thread."""

    def __init__(self, banner: Banner, log_file: str | None = None) -> None:
        super().__init__(banner)
        self.banner = banner
        self.log_file = log_file
        self.count = 0
        banner.message.setTextFormat(Qt.TextFormat.PlainText)
        self.caught.connect(self._show)
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._loops: list[asyncio.AbstractEventLoop] = []

    def install(self) -> UnexpectedErrors:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook
        return self

    def watch_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Failed tasks and callbacks of `loop` ("Task exception was never retrieved", ...) come here."""
        loop.set_exception_handler(self._loop_handler)
        self._loops.append(loop)

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook
        for loop in self._loops:
            loop.set_exception_handler(None)
        self._loops.clear()

    def report(self, error: BaseException, where: str) -> None:
        """Log `error` (raised in `where`) and show it; callable from any thread."""
        self._report(type(error), error, error.__traceback__, where)

    def _excepthook(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous_hook(kind, error, trace)
            return
        self._report(kind, error, trace, "the window")

    def _thread_hook(self, hooked: threading.ExceptHookArgs) -> None:
        if hooked.exc_value is None or issubclass(hooked.exc_type, SystemExit):
            return
        name = hooked.thread.name if hooked.thread is not None else "a thread"
        self._report(hooked.exc_type, hooked.exc_value, hooked.exc_traceback, f"thread {name}")

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        where = str(context.get("message") or "a background task")
        if isinstance(error, BaseException):
            self._report(type(error), error, error.__traceback__, where)
        else:
            log.error("%s: %s", where, context)

    def _report(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None, where: str) -> None:
        log.error("unexpected error in %s", where, exc_info=(kind, error, trace))
        details = mask("".join(traceback.format_exception(kind, error, trace)))
        summary = mask(f"{kind.__name__}: {error}" if str(error) else kind.__name__)
        self.caught.emit(summary, f"LISA Desktop: unexpected error in {where}\n\n{details}")

    def _show(self, summary: str, details: str) -> None:
        from ui.banner import BannerKind

        self.count += 1
        more = f" ({self.count} so far)" if self.count > 1 else ""
        logged = f" It is logged in {self.log_file}." if self.log_file else ""
        text = f"Unexpected error{more}: {summary}.{logged} The window goes on; what was being done may not have ended."
        self.banner.show_message(BannerKind.ERROR, text, details=details)
