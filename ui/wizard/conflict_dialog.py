"""The model changed since the draft was based on it: base / now / draft side by side, who changed it (as far as
its record says), and per field whether to keep mine or theirs; then rebase, or cancel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.drafts.conflict import Comparison, FieldState, Side
from ui.backend import CurrentModel
from ui.wizard.field_names import label_of, tooltip_of

CONFLICT_COLOUR = QColor(218, 54, 51, 60)
CHANGED_COLOUR = QColor(227, 160, 8, 50)
EDITED_COLOUR = QColor(46, 120, 210, 40)
UNKNOWN_AUTHOR = "another administrator or LISA"
SIDE_TEXT = {Side.MINE: "Mine (your draft)", Side.THEIRS: "Theirs (now)"}
COLUMNS = ("Field", "When the draft was started", "Now (theirs)", "Your draft (mine)", "Keep")
KEEP_COLUMN = 4
VALUE_WIDTH = 380
"""The widest a value column is made: longer values wrap (their tooltip has them whole)."""
MAX_TABLE_HEIGHT = 520
"""Past this height the fields scroll."""
SECRET_FIELDS = frozenset({"apiKey"})
HIDDEN = "••••••"


def who_changed(current: CurrentModel | None) -> str:
    """Who changed the model, as far as its record says: the desktop job holding it, LISA's own status note when
    it is the record's last change, else nobody can tell."""
    if current is None:
        return UNKNOWN_AUTHOR
    if current.holder:
        return f"the LISA Desktop job {current.holder}, which holds the model now"
    if current.status_reason:
        note = f"“{current.status_reason}”" + (f" at {current.status_updated}" if current.status_updated else "")
        if _note_is_last_change(current):
            return f"LISA, whose status note says {note}"
        return f"{UNKNOWN_AUTHOR} (LISA's last status note, {note}, is older than the change)"
    return UNKNOWN_AUTHOR


def _note_is_last_change(current: CurrentModel) -> bool:
    """LISA's note is at least as recent as the record's last modification (or the record does not say)."""
    if current.last_modified is None or not current.status_updated:
        return True
    try:
        noted = datetime.fromisoformat(current.status_updated)
    except ValueError:
        return True
    if noted.tzinfo is None:
        noted = noted.replace(tzinfo=UTC)
    return noted.timestamp() * 1000 >= current.last_modified - 1000


class ConflictDialog(QDialog):
    """Accepted: rebase the draft onto the current configuration, keeping `choices()` per field. Rejected: leave
    everything as it is."""

    def __init__(
        self,
        model_id: str,
        comparison: Comparison,
        parent: QWidget | None = None,
        *,
        current: CurrentModel | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(f"{model_id} changed since this draft")
        self.resize(980, 480)
        self.states = comparison.fields
        self.who = who_changed(current)
        self.intro = QLabel(_intro(model_id, comparison, self.who), self)
        self.intro.setObjectName("conflictIntro")
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(len(self.states), len(COLUMNS), self)
        self.table.setObjectName("conflictTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the Keep choices take the focus, not the cells
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KEEP_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.keep: dict[str, QComboBox] = {}
        for row, state in enumerate(self.states):
            self._fill_row(row, state)
        self.all_mine = QPushButton("Keep all mine", self)
        self.all_mine.setObjectName("keepAllMine")
        self.all_mine.clicked.connect(lambda: self.choose_all(Side.MINE))
        self.all_theirs = QPushButton("Keep all theirs", self)
        self.all_theirs.setObjectName("keepAllTheirs")
        self.all_theirs.clicked.connect(lambda: self.choose_all(Side.THEIRS))
        buttons = QDialogButtonBox(self)
        self.rebase_button = buttons.addButton("Rebase, keeping these choices", QDialogButtonBox.ButtonRole.AcceptRole)
        self.rebase_button.setObjectName("rebaseButton")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.all_mine)
        bottom.addWidget(self.all_theirs)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(_legend(self))
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def _fill_row(self, row: int, state: FieldState) -> None:
        colour = _colour(state)
        label = QTableWidgetItem(label_of(state.field))
        label.setToolTip(tooltip_of(state.field))
        values = [label] + [QTableWidgetItem(_show(state.field, v)) for v in (state.base, state.now, state.draft)]
        for column, item in enumerate(values):
            if column:
                item.setToolTip(item.text())
            if colour is not None:
                item.setBackground(QBrush(colour))
            self.table.setItem(row, column, item)
        if not state.choosable:
            same = QTableWidgetItem("the same on both sides")
            same.setForeground(QBrush(QColor(120, 120, 120)))
            self.table.setItem(row, KEEP_COLUMN, same)
            return
        keep = QComboBox(self.table)
        keep.setObjectName("keep:" + state.field)
        keep.setAccessibleName(f"Keep for {label_of(state.field)}")
        for side in Side:
            keep.addItem(SIDE_TEXT[side], side.value)
        keep.setCurrentIndex(keep.findData(state.default_side.value))
        self.table.setCellWidget(row, KEEP_COLUMN, keep)
        self.keep[state.field] = keep

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_to_content()

    def fit_to_content(self) -> None:
        """As wide as its values need (each value column up to `VALUE_WIDTH`, longer values wrapped), within the
        main window; as tall as its rows, with no empty space under them."""
        table = self.table
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        texts = [item.text() for r in range(table.rowCount()) for c in (1, 2, 3) if (item := table.item(r, c))]
        widest = max((metrics.horizontalAdvance(text) + 12 for text in texts), default=0)
        value_width = max(min(widest, VALUE_WIDTH), *(header.sectionSizeHint(column) for column in (1, 2, 3)))
        fixed = sum(max(header.sectionSizeHint(c), table.sizeHintForColumn(c)) for c in (0, KEEP_COLUMN))
        layout = self.layout()
        if layout is None:
            return
        margins = layout.contentsMargins()
        wanted = fixed + 3 * value_width + 2 * table.frameWidth() + margins.left() + margins.right() + 4
        width = min(max(wanted, self.minimumSizeHint().width()), _room(self))
        self.resize(width, self.height())
        layout.activate()
        table.resizeRowsToContents()
        rows = sum(table.rowHeight(row) for row in range(table.rowCount()))
        table.setFixedHeight(min(header.sizeHint().height() + rows + 2 * table.frameWidth() + 2, MAX_TABLE_HEIGHT))
        layout.activate()
        self.resize(width, self.sizeHint().height())

    def choices(self) -> dict[str, Side]:
        """Per field where the draft and the model differ, the side the rebase keeps."""
        return {field: Side(str(keep.currentData())) for field, keep in self.keep.items()}

    def choose(self, field: str, side: Side) -> None:
        keep = self.keep[field]
        keep.setCurrentIndex(keep.findData(side.value))

    def choose_all(self, side: Side) -> None:
        for field in self.keep:
            self.choose(field, side)


def _room(dialog: QWidget) -> int:
    """The widest the dialog may be: most of the main window it belongs to (or of its screen)."""
    top = dialog.parentWidget()
    while top is not None and top.parentWidget() is not None:
        top = top.parentWidget()
    if top is not None:
        return max(720, int(top.width() * 0.92))
    screen = dialog.screen()
    return int(screen.availableGeometry().width() * 0.92) if screen is not None else 1180


def _intro(model_id: str, comparison: Comparison, who: str) -> str:
    status = ""
    if comparison.base_status != comparison.now_status:
        status = f" Its status went from {comparison.base_status} to {comparison.now_status}."
    conflicts = len(comparison.conflicts)
    both = (
        f"<b>{conflicts} field{'s' if conflicts != 1 else ''}</b> changed both there and in your draft."
        if conflicts
        else "None of the fields you changed was changed there."
    )
    return (
        f"<b>{escape(model_id)}</b> was changed after this draft was started, by {escape(who)}.{status} "
        f"Nothing has been submitted. {both}<br>For each field that differs, choose what to keep; rebasing starts "
        "from the current configuration with those choices, then you review again."
    )


def _legend(parent: QWidget) -> QWidget:
    legend = QWidget(parent)
    legend.setObjectName("conflictLegend")
    row = QHBoxLayout(legend)
    row.setContentsMargins(0, 0, 0, 0)
    for colour, text in (
        (CONFLICT_COLOUR, "changed there and in your draft (a conflict)"),
        (CHANGED_COLOUR, "changed there only"),
        (EDITED_COLOUR, "changed in your draft only"),
    ):
        swatch = QLabel(parent=legend)
        swatch.setFixedSize(14, 14)
        swatch.setStyleSheet(
            f"background: rgba({colour.red()}, {colour.green()}, {colour.blue()}, {colour.alpha()});"
            "border: 1px solid palette(mid);"
        )
        row.addWidget(swatch)
        row.addWidget(QLabel(text, legend))
        row.addSpacing(12)
    row.addStretch(1)
    return legend


def _colour(state: FieldState) -> QColor | None:
    if state.conflict:
        return CONFLICT_COLOUR
    if state.changed_underneath:
        return CHANGED_COLOUR
    if state.edited:
        return EDITED_COLOUR
    return None


def _show(field: str, value: Any) -> str:
    if value is None:
        return "(unset)"
    if field.rpartition(".")[2] in SECRET_FIELDS:
        return HIDDEN
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)
