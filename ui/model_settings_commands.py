"""The window's two single-write settings of a model, each one write and no job: "Set as default…" (LISA's
configuration table, as LISA's UI "Set Default") and "Context window…" (the record's `context_window`, as LISA's
context-window route). Both run on a worker through the backend, never on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from engine.errors import InvalidInput, ModelNotFound, StatusNotAllowed
from engine.model_row import ModelRow
from ui.backend import Backend
from ui.background import Background
from ui.context_window_dialog import ContextWindowDialog
from ui.dialogs import ConfirmDialog, warn
from ui.refresher import Refresher

log = logging.getLogger(__name__)

MESSAGE_MS = 15_000
DEFAULT_TITLE = "Set as default"


def confirm_default(parent: QWidget, row: ModelRow) -> ConfirmDialog:
    """LISA's UI asks first, in these words."""
    dialog = ConfirmDialog(
        parent,
        title="Set default model",
        text=f"This will set {row.model_id} as the default model.\n\nLISA's chat selects the default model for new "
        "sessions; a new version of LISA's global configuration records the change.",
        confirm_label="Set Default",
    )
    dialog.setObjectName("setDefaultConfirmDialog")
    return dialog


def what_to_do(error: BaseException, command: str) -> str:
    """What the administrator can do about a refused or failed write."""
    if isinstance(error, ModelNotFound):
        return "Refresh (F5): the model is gone."
    if isinstance(error, StatusNotAllowed | InvalidInput):
        return "Refresh (F5) to see the model as it is now, and try again once it allows the change."
    return (
        f"Check the connection and the credentials' permissions, then try again (F5 shows the model as it is now), "
        f"or run 'lisa-desktop models {command}' with the same deployment options."
    )


def context_window_failure(backend: Backend, error: BaseException, model_id: str, tokens: int) -> str:
    """Why a context window was not written, and what to do (the dialog's words, and the update wizard's)."""
    return (
        f"{backend.describe_error(error)}\n\nNothing was written. "
        f"{what_to_do(error, f'context-window {model_id} {tokens}')}"
    )


def context_window_set(model_id: str, tokens: int) -> str:
    return f"{model_id}: context window set to {tokens:,} tokens"


class ModelSettingsCommands:
    def __init__(
        self,
        parent: QWidget,
        background: Background,
        refresher: Refresher,
        *,
        backend: Callable[[], Backend | None],
        say: Callable[[str, int], None],
    ) -> None:
        self._parent = parent
        self._background = background
        self._refresher = refresher
        self._backend = backend
        self._say = say
        self.confirmation: ConfirmDialog | None = None
        """The last "Set as default" question asked."""
        self.context_dialog: ContextWindowDialog | None = None
        self.failure_box: QWidget | None = None
        """The last failure shown."""

    # -- default model ---------------------------------------------------------------------------------------

    def set_default(self, row: ModelRow) -> None:
        backend = self._backend()
        if backend is None:
            return
        dialog = self.confirmation = confirm_default(self._parent, row)
        dialog.accepted.connect(
            lambda: self._background.start(self._set_default(backend, row.model_id), what="setting the default model")
        )
        dialog.open()

    async def _set_default(self, backend: Backend, model_id: str) -> None:
        try:
            change = await self._background.run(backend.set_default_model, model_id)
        except Exception as error:
            log.warning("setting the default model to %s failed: %s", model_id, error)
            if backend is self._backend():
                self.failure_box = warn(
                    self._parent,
                    DEFAULT_TITLE,
                    f"{model_id} was not made the default model: {backend.describe_error(error)}\n\n"
                    f"Nothing was written. {what_to_do(error, f'set-default {model_id}')}",
                )
            return
        if backend is not self._backend():
            return
        # A full listing: rows read by id alone would leave the previous default marked.
        self._refresher.refresh_now()
        if not change.written:
            self._say(f"{model_id} is already the default model; nothing was written", MESSAGE_MS)
        else:
            previous = f" (was {change.previous})" if change.previous else ""
            self._say(f"{model_id} is now the default model{previous}", MESSAGE_MS)

    # -- context window --------------------------------------------------------------------------------------

    def edit_context_window(self, row: ModelRow) -> None:
        backend = self._backend()
        if backend is None:
            return
        dialog = self.context_dialog = ContextWindowDialog(self._parent, row)
        dialog.submitted.connect(
            lambda tokens: self._background.start(
                self._set_context_window(backend, dialog, tokens), what="setting the context window"
            )
        )
        dialog.open()

    async def _set_context_window(self, backend: Backend, dialog: ContextWindowDialog, tokens: int) -> None:
        model_id = dialog.model_id
        try:
            written = await self._background.run(backend.set_context_window, model_id, tokens)
        except Exception as error:
            log.warning("setting the context window of %s failed: %s", model_id, error)
            dialog.failed(context_window_failure(backend, error, model_id, tokens))
            return
        dialog.done_saving()
        self._refresher.read_now([model_id])
        self._say(context_window_set(model_id, written), MESSAGE_MS)
