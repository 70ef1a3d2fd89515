"""What closing the window does to the jobs still running: keep them running with no window, cancel them (each
rolls back) and quit once they have, or do not close. Opened with `open()`: the event loop, and the jobs' events,
keep flowing while it asks."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


class CloseChoice(StrEnum):
    KEEP_RUNNING = "keep running"
    ROLL_BACK = "roll back"
    STAY = "stay"


class CloseWhileRunningBox(QMessageBox):
    chosen = Signal(object)
    """CloseChoice, once, whichever way the box was answered (Escape and the title bar's close are STAY)."""

    def __init__(self, parent: QWidget | None, running: int, *, journaled: bool) -> None:
        super().__init__(parent)
        self.setObjectName("closeWhileRunningBox")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Jobs are still running")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        one = running == 1
        them = "it" if one else "them"
        self.setText(f"{'1 job is' if one else f'{running} jobs are'} still running. What should happen to {them}?")
        killed = (
            f"If the app is killed meanwhile, the next start finishes {them} from the job journal."
            if journaled
            else "The sandbox ends with the app: a job still running when it is killed ends with it."
        )
        self.setInformativeText(
            f"Keep running: the window closes and LISA Desktop quits by itself once {them} "
            f"{'ends' if one else 'end'}. {killed}\n\n"
            f"Cancel and roll back: {'the job undoes' if one else 'each job undoes'} what it did (this can take a "
            "few minutes, shown in the Jobs panel), then LISA Desktop quits."
        )
        self.keep = self.addButton("Keep running in the background", QMessageBox.ButtonRole.AcceptRole)
        self.keep.setObjectName("keepRunningButton")
        self.roll_back = self.addButton("Cancel and roll back", QMessageBox.ButtonRole.DestructiveRole)
        self.roll_back.setObjectName("rollBackButton")
        self.stay = self.addButton("Don't close", QMessageBox.ButtonRole.RejectRole)
        self.stay.setObjectName("stayButton")
        self.setDefaultButton(self.keep)
        self.setEscapeButton(self.stay)
        self._answered = False
        self.buttonClicked.connect(self._on_clicked)
        self.finished.connect(lambda _result: self._answer(CloseChoice.STAY))

    def _on_clicked(self, button: QAbstractButton) -> None:
        if button is self.keep:
            self._answer(CloseChoice.KEEP_RUNNING)
        elif button is self.roll_back:
            self._answer(CloseChoice.ROLL_BACK)
        else:
            self._answer(CloseChoice.STAY)

    def _answer(self, choice: CloseChoice) -> None:
        if not self._answered:
            self._answered = True
            self.chosen.emit(choice)
