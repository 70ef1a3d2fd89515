"""The window's event loop and worker threads, shared with tests/ui for the composition root's tests."""

from tests.ui.conftest import background, engine_executor, qt_loop

__all__ = ["background", "engine_executor", "qt_loop"]
