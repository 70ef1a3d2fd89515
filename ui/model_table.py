"""The model table's Qt model: one ModelRow per line, kept sorted and up to date incrementally by model id.

Refreshes replace the whole list every few seconds, yet the window keeps its selection, scroll position and sort,
so `apply()` never resets the model: it removes, changes and inserts only the rows that differ, each where the
current sort puts it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from operator import attrgetter, itemgetter
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QStandardItemModel

from engine.model_row import ModelRow
from ui import next_action
from ui.formatting import UNKNOWN
from ui.next_action import next_action_at, next_action_text, set_now

SORT_ROLE: Final = Qt.ItemDataRole.UserRole + 1
"""A (missing, value) key: values of one column compare with each other; missing ones belong last."""
ROW_ROLE: Final = Qt.ItemDataRole.UserRole + 2
"""The ModelRow itself."""
FILTER_ROLE: Final = Qt.ItemDataRole.UserRole + 3
"""The row's `RowFace` tagged text, which the filter's regular expression searches."""
LIVE_NOTE_ROLE: Final = Qt.ItemDataRole.UserRole + 4
"""A header's role: why a live column is empty for every row (`ModelTableModel.set_live_note`), else None."""
_ROW_ROLES: Final = frozenset({int(SORT_ROLE), int(ROW_ROLE), int(FILTER_ROLE), int(Qt.ItemDataRole.ToolTipRole)})

EVERYONE: Final = "everyone"
NEXT_ACTION_MS: Final = 60_000
"""The "Next action" column moves on as time passes."""
DEFAULT_STAR: Final = "★"
DEFAULT_MARK: Final = f"{DEFAULT_STAR} Default"
"""The Default cell of LISA's default model (LISA's model cards badge it DEFAULT)."""

HOSTING_LABELS: Final = {
    "lisa_hosted": "LISA-hosted",
    "third_party": "Third-party",
    "internal_hosted": "Internal",
}


class Column(IntEnum):
    MODEL_ID = 0
    NAME = 1
    HOSTING = 2
    TYPE = 3
    STATUS = 4
    INSTANCE_TYPE = 5
    CAPACITY = 6
    RUNNING_TASKS = 7
    HEALTHY_INSTANCES = 8
    STREAMING = 9
    FEATURES = 10
    ALLOWED_GROUPS = 11
    LAST_MODIFIED = 12
    CONTEXT_WINDOW = 13
    DEFAULT = 14
    NEXT_ACTION = 15

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def key(self) -> str:
        """The short name the filter box accepts before a colon (`status:Stopped`)."""
        return _KEYS[self]


_LABELS: Final = {
    Column.MODEL_ID: "Model ID",
    Column.NAME: "Name",
    Column.HOSTING: "Hosting",
    Column.TYPE: "Type",
    Column.STATUS: "Status",
    Column.INSTANCE_TYPE: "Instance type",
    Column.CAPACITY: "Min/Desired/Max",
    Column.RUNNING_TASKS: "Tasks",
    Column.HEALTHY_INSTANCES: "Healthy",
    Column.STREAMING: "Streaming",
    Column.FEATURES: "Features",
    Column.ALLOWED_GROUPS: "Allowed groups",
    Column.LAST_MODIFIED: "Last modified",
    Column.CONTEXT_WINDOW: "Context window",
    Column.DEFAULT: "Default",
    Column.NEXT_ACTION: "Next action",
}
_KEYS: Final = {
    Column.MODEL_ID: "id",
    Column.NAME: "name",
    Column.HOSTING: "hosting",
    Column.TYPE: "type",
    Column.STATUS: "status",
    Column.INSTANCE_TYPE: "instance",
    Column.CAPACITY: "capacity",
    Column.RUNNING_TASKS: "tasks",
    Column.HEALTHY_INSTANCES: "healthy",
    Column.STREAMING: "streaming",
    Column.FEATURES: "features",
    Column.ALLOWED_GROUPS: "groups",
    Column.LAST_MODIFIED: "modified",
    Column.CONTEXT_WINDOW: "context",
    Column.DEFAULT: "default",
    Column.NEXT_ACTION: "next",
}
COLUMNS: Final = tuple(Column)
LIVE_COLUMNS: Final = frozenset({Column.CAPACITY, Column.RUNNING_TASKS, Column.HEALTHY_INSTANCES})
"""Read from ECS and Auto Scaling at refresh time: blank when `live_error` says why they could not be."""
_CENTRED: Final = frozenset(int(column) for column in (Column.CAPACITY, Column.RUNNING_TASKS, Column.HEALTHY_INSTANCES))
_CENTRE: Final = Qt.AlignmentFlag.AlignCenter
_DISPLAY: Final = int(Qt.ItemDataRole.DisplayRole)
_STATUS: Final = int(Column.STATUS)
_ALIGNMENT: Final = int(Qt.ItemDataRole.TextAlignmentRole)


def _count(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


def _capacity(row: ModelRow) -> str:
    parts = (row.min_capacity, row.desired_capacity, row.max_capacity)
    if all(part is None for part in parts):
        return UNKNOWN
    return " / ".join(_count(part) for part in parts)


def context_window_text(tokens: int | None) -> str:
    """The cell text of a context window ("8,192"); empty when the record has none."""
    return "" if tokens is None else f"{tokens:,}"


def compact_tokens(text: str) -> str:
    """A context window's cell text ("131,072") as LISA's model list shows it (`formatContextAndTokenCount`:
    "131.1K", "1.5M"), for a column too narrow for the whole number."""
    digits = text.replace(",", "")
    if not digits.isdigit():
        return text
    tokens = int(digits)
    for size, unit in ((1_000_000, "M"), (1_000, "K")):
        if tokens >= size:
            return f"{round(tokens / size, 1):g}{unit}"
    return digits


def _modified(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return UNKNOWN
    return datetime.fromtimestamp(epoch_ms / 1000).strftime("%Y-%m-%d %H:%M")


_TEXT: Final[dict[Column, Callable[[ModelRow], str]]] = {
    Column.MODEL_ID: lambda row: row.model_id,
    Column.NAME: lambda row: row.model_name,
    Column.HOSTING: lambda row: HOSTING_LABELS.get(row.hosting, row.hosting),
    Column.TYPE: lambda row: row.model_type,
    Column.STATUS: lambda row: row.status,
    Column.INSTANCE_TYPE: lambda row: row.instance_type or UNKNOWN,
    Column.CAPACITY: _capacity,
    Column.RUNNING_TASKS: lambda row: _count(row.running_tasks),
    Column.HEALTHY_INSTANCES: lambda row: _count(row.healthy_instances),
    Column.STREAMING: lambda row: "Yes" if row.streaming else "No",
    Column.FEATURES: lambda row: ", ".join(row.features),
    Column.ALLOWED_GROUPS: lambda row: ", ".join(row.allowed_groups) or EVERYONE,
    Column.LAST_MODIFIED: lambda row: _modified(row.last_modified),
    Column.CONTEXT_WINDOW: lambda row: context_window_text(row.context_window),
    Column.DEFAULT: lambda row: DEFAULT_MARK if row.is_default else "",
    Column.NEXT_ACTION: lambda row: next_action_text(row.schedule_json) if row.schedule_json else "",
}

SortKey = tuple[bool, Any]


def _text_key(text: str) -> SortKey:
    return (not text, text.casefold())


def _number_key(value: int | None) -> SortKey:
    return (value is None, value or 0)


def _next_action_key(row: ModelRow) -> SortKey:
    at = next_action_at(row.schedule_json) if row.schedule_json else None
    return (at is None, at.timestamp() if at is not None else 0.0)


def _capacity_key(row: ModelRow) -> SortKey:
    parts = (row.min_capacity, row.desired_capacity, row.max_capacity)
    return (all(part is None for part in parts), tuple(_number_key(part) for part in parts))


_SORT: Final[dict[Column, Callable[[ModelRow], SortKey]]] = {
    Column.MODEL_ID: lambda row: _text_key(row.model_id),
    Column.NAME: lambda row: _text_key(row.model_name),
    Column.HOSTING: lambda row: _text_key(_TEXT[Column.HOSTING](row)),
    Column.TYPE: lambda row: _text_key(row.model_type),
    Column.STATUS: lambda row: _text_key(row.status),
    Column.INSTANCE_TYPE: lambda row: _text_key(row.instance_type or ""),
    Column.CAPACITY: _capacity_key,
    Column.RUNNING_TASKS: lambda row: _number_key(row.running_tasks),
    Column.HEALTHY_INSTANCES: lambda row: _number_key(row.healthy_instances),
    Column.STREAMING: lambda row: (False, row.streaming),
    Column.FEATURES: lambda row: _text_key(", ".join(row.features)),
    Column.ALLOWED_GROUPS: lambda row: _text_key(", ".join(row.allowed_groups) or EVERYONE),
    Column.LAST_MODIFIED: lambda row: _number_key(row.last_modified),
    Column.CONTEXT_WINDOW: lambda row: _number_key(row.context_window),
    Column.DEFAULT: lambda row: (False, not row.is_default),
    Column.NEXT_ACTION: lambda row: _next_action_key(row),
}


_TEXT_BY_COLUMN: Final = tuple(_TEXT[column] for column in COLUMNS)
_SORT_BY_COLUMN: Final = tuple(_SORT[column] for column in COLUMNS)


def cell_tag(column: int) -> str:
    """The control character that starts `column`'s cell in `RowFace.tagged` (none can be typed in a filter)."""
    return chr(1 + column)


NOTE_SEPARATOR: Final = " · "
"""Between a status and the note after it in the Status cell ("Updating · rolling out")."""


@dataclass(frozen=True)
class RowNote:
    """What the window adds to a row's Status cell: a status to show instead of the stored one (a job of this
    window holds the model), a few words after it, and a tooltip line."""

    status: str | None
    words: str
    tip: str

    def text(self, row: ModelRow) -> str:
        status = self.status or row.status
        return f"{status}{NOTE_SEPARATOR}{self.words}" if self.words else status


def status_of(cell_text: str) -> str:
    """The status at the start of a Status cell's text."""
    return cell_text.split(NOTE_SEPARATOR, 1)[0]


RowFace = tuple[tuple[str, ...], str]
"""How a row reads in the table: each column's text, and `tagged`: each cell case-folded after its `cell_tag()`, all
in one string, which the filter searches (a column's value after its tag; no match spans two cells; the Hosting
cell also holds the raw value, so `hosting:lisa_hosted` matches "LISA-hosted").

A plain tuple of strings, not an object of a class: the garbage collector stops tracking such a tuple the first
time it sees it, so the faces of thousands of rows add nothing to the window's full collections."""


def folded_cells(row: ModelRow, texts: tuple[str, ...] | None = None) -> list[str]:
    """The row's cells as the filter compares them: case-folded, the Hosting cell with the raw value after it."""
    folded = [text.casefold() for text in (texts or tuple(text(row) for text in _TEXT_BY_COLUMN))]
    folded[Column.HOSTING] += f" {row.hosting.casefold()}"
    return folded


def make_face(row: ModelRow) -> RowFace:
    texts = tuple(text(row) for text in _TEXT_BY_COLUMN)
    tagged = "".join(cell_tag(column) + cell for column, cell in enumerate(folded_cells(row, texts)))
    return texts, tagged


class RowFaces:
    """The faces a table made of its rows, kept by row object: the refresher makes them on a worker for every new
    row (`prepare`), so the GUI thread neither formats nor folds text while painting or filtering, and an
    unchanged row, which the refresher hands back as the same object, keeps its face. Kept here, by the UI, not
    on the engine's rows. Safe to call from several threads: a face lost to a race is made again."""

    def __init__(self) -> None:
        self._rows: dict[int, ModelRow] = {}
        self._faces: dict[int, RowFace] = {}

    def of(self, row: ModelRow) -> RowFace:
        key = id(row)
        face = self._faces.get(key)
        if face is None or self._rows.get(key) is not row:
            face = make_face(row)
            self._rows[key] = row
            self._faces[key] = face
        return face

    def texts(self, row: ModelRow) -> tuple[str, ...]:
        return self.of(row)[0]

    def tagged(self, row: ModelRow) -> str:
        return self.of(row)[1]

    def prepare(self, rows: Iterable[ModelRow]) -> None:
        for row in rows:
            self.of(row)

    def forget(self, rows: Iterable[ModelRow]) -> None:
        """Make these rows' faces again when next asked (a text that depends on the time changed)."""
        for row in rows:
            self._faces.pop(id(row), None)

    def keep_only(self, rows: Iterable[ModelRow]) -> None:
        """Forget the faces of every row but these (the rows the table now holds)."""
        kept = {id(row): row for row in rows}
        faces = self._faces
        self._faces = {key: face for key in kept if (face := faces.get(key)) is not None}
        self._rows = kept

    def __len__(self) -> int:
        return len(self._faces)


def alignment_of(column: int) -> Qt.AlignmentFlag | None:
    """The column's text alignment, when not the view's default (left, vertically centred)."""
    return _CENTRE if column in _CENTRED else None


def cell_text(row: ModelRow, column: int) -> str:
    return make_face(row)[0][column]


def sort_key(row: ModelRow, column: int) -> SortKey:
    """(missing, value): `missing` rows sort last whatever the order; values compare within one column."""
    return _SORT_BY_COLUMN[column](row)


def _tooltip(row: ModelRow, column: Column) -> str:
    text = _TEXT[column](row)
    if column is Column.STATUS:
        reasons = [reason for reason in (row.shown_failure_reason, row.live_error) if reason]
        return "\n".join([text, *reasons])
    if column in LIVE_COLUMNS and row.live_error:
        if UNKNOWN in text:
            return f"Unknown: {row.live_error}"
        return f"{text}\nNot live: {row.live_error}"
    if column is Column.ALLOWED_GROUPS and not row.allowed_groups:
        return "No group restriction: every LISA user may use this model"
    if column is Column.CONTEXT_WINDOW:
        return f"{text} tokens" if text else "No context window recorded"
    if column is Column.NEXT_ACTION:
        return f"Next scheduled action: {text}" if text else "No schedule: the model runs until it is stopped"
    if column is Column.DEFAULT and row.is_default:
        return "LISA's default model (its global configuration's defaultModel)"
    return text


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive positions; `positions` ascending."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


class _Descending:
    """A sort value that orders the other way round, so a descending order can be bisected like an ascending one."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and bool(self.value == other.value)

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)


_WITH_HINT: Final = "QList<QPersistentModelIndex>,QAbstractItemModel::LayoutChangeHint"
"""The layout signals' overload that carries a hint (PySide6 emits the no-argument one otherwise; its type stubs
do not know signals can be indexed by overload)."""

PlaceKey = tuple[bool, Any, str]
"""A row's (missing, value, model id) under the current sort: the rows are in ascending order of it."""

_model_id: Final = attrgetter("model_id")
_first: Final = itemgetter(0)


@dataclass(frozen=True)
class Ordering:
    """A sort of the table's rows, which a worker thread can apply too (it holds no Qt object)."""

    column: Column = Column.MODEL_ID
    order: Qt.SortOrder = Qt.SortOrder.AscendingOrder

    @property
    def name(self) -> str:
        """Names the order, for rows sorted elsewhere (a worker, a saved snapshot) to say which they are in."""
        descending = self.order == Qt.SortOrder.DescendingOrder
        return f"{self.column.name.lower()} {'descending' if descending else 'ascending'}"

    def sort(self, rows: Iterable[ModelRow]) -> list[ModelRow]:
        # By model id first: the sorts by value are stable, also when reversed, so ties stay in id order.
        key_of = _SORT_BY_COLUMN[self.column]
        known: list[tuple[Any, ModelRow]] = []
        unknown: list[tuple[Any, ModelRow]] = []
        for row in sorted(rows, key=_model_id):
            missing, value = key_of(row)
            (unknown if missing else known).append((value, row))
        descending = self.order == Qt.SortOrder.DescendingOrder
        known.sort(key=_first, reverse=descending)
        unknown.sort(key=_first, reverse=descending)
        return [row for _, row in known] + [row for _, row in unknown]


FIRST_FILL: Final = 150
"""Rows inserted at once into an empty table: more than a screenful on any display."""
FILL_CHUNK: Final = 1000
"""Then this many per event-loop turn (a few milliseconds each with the filter proxy over them)."""


@dataclass(frozen=True)
class ApplyStats:
    changed: int = 0
    inserted: int = 0
    removed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.changed or self.inserted or self.removed)


class ModelTableModel(QStandardItemModel):
    """Rows kept in display order by `sort()`'s column; `apply()` merges each refresh in by model id.

    Sorting here, with Python's sort over precomputed keys, costs a few milliseconds for thousands of rows, where a
    sorting proxy calls back into Python for every comparison. Unknown values come last in both orders and ties
    go by model id ascending, so the order never depends on arrival.

    The base class is QStandardItemModel, holding no items, only the row count: its rowCount(), columnCount()
    and index() are then Qt's own, where a QAbstractTableModel's would be Python that the filter proxy calls
    twice for every data() it forwards (thousands of calls a full repaint). data() serves the
    rows from `_rows`, which `_insert_at()` and `_remove_at()` keep in step with Qt's count.
    """

    filled = Signal()
    """Every row of the last `apply()` is in the table (emitted after a fill spread over several turns)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self._rows: list[ModelRow] = []
        self.faces = RowFaces()
        self._index: dict[str, int] | None = {}
        """model_id → position; None once positions moved, rebuilt when next asked."""
        self._ordering = Ordering()
        self._pending: list[ModelRow] = []
        """Rows of a large first fill still to insert, in display order after the rows already in."""
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._fill_more)
        self._arriving: tuple[int, Sequence[ModelRow]] | None = None
        self._leaving: tuple[int, int] | None = None
        self._notes: dict[str, RowNote] = {}
        """model id → what the window adds to its Status cell (`set_note`)."""
        self.hold_note: Callable[[ModelRow], str | None] = lambda row: None
        """Said under a held row's status in its tooltip (who holds it, the lease): the window knows the time,
        the lease and its own jobs, this model does not."""
        # Connected before any proxy or view can be: these run first among the receivers, so everyone else
        # hears of inserted or removed rows with `_rows` already matching Qt's count.
        self.rowsInserted.connect(self._take_arriving)
        self.rowsRemoved.connect(self._drop_leaving)
        self._live_note: str | None = None
        """Why the live columns are empty for every row (`set_live_note`), said in their headers."""
        self.next_action_timer = QTimer(self)
        self.next_action_timer.setInterval(NEXT_ACTION_MS)
        self.next_action_timer.timeout.connect(lambda: self.refresh_next_actions(next_action.clock()))

    # Reading

    def rows(self) -> list[ModelRow]:
        """In display order (rows still being filled in included)."""
        return self._rows + self._pending

    @property
    def filling(self) -> bool:
        return bool(self._pending)

    @property
    def row_total(self) -> int:
        """Rows in the table, rows still being filled in included."""
        return len(self._rows) + len(self._pending)

    def row_for(self, model_id: str) -> ModelRow | None:
        self.flush()
        position = self._positions().get(model_id)
        return None if position is None else self._rows[position]

    def row_at(self, index: QModelIndex | QPersistentModelIndex | int) -> ModelRow:
        """The row at an index of this model or of a proxy over it, or at a row number of this model."""
        if isinstance(index, int):
            return self._rows[index]
        if index.model() is not self:
            row: ModelRow = index.data(ROW_ROLE)
            return row
        return self._rows[index.row()]

    def position_of(self, model_id: str) -> int | None:
        self.flush()
        return self._positions().get(model_id)

    def index_for(self, model_id: str, column: int = Column.MODEL_ID) -> QModelIndex:
        self.flush()
        position = self._positions().get(model_id)
        return QModelIndex() if position is None else self.index(position, column)

    @property
    def sort_column(self) -> Column:
        return self._ordering.column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._ordering.order

    @property
    def ordering(self) -> Ordering:
        return self._ordering

    # Qt

    def insertRows(self, row: int, count: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return False  # rows come only from apply()

    def removeRows(self, row: int, count: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return False

    def set_live_note(self, note: str | None) -> bool:
        """Say `note` (`no AWS access`) in the live columns' headers; None: they are live again. Whether it
        changed."""
        if note == self._live_note:
            return False
        self._live_note = note
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        return True

    @property
    def live_note(self) -> str | None:
        return self._live_note

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            column = COLUMNS[section]
            note = self._live_note if column in LIVE_COLUMNS else None
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{column.label} ({note})" if note else column.label
            if role == LIVE_NOTE_ROLE:
                return note
            if role == Qt.ItemDataRole.ToolTipRole:
                why = f"\nNot read: {note}; the connection reaches LISA's API only" if note else ""
                return f"{column.label} — filter with {column.key}:…{why}"
            return None
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # Called for every role of every visible cell at each repaint (thousands of times): the display text,
        # by far the most asked, comes first and from the row's kept texts; roles are compared as plain ints.
        position = index.row()
        if position < 0:
            return None
        if role == _DISPLAY:
            row = self._rows[position]
            if self._notes and index.column() == _STATUS and (note := self._notes.get(row.model_id)) is not None:
                return note.text(row)
            return self.faces.texts(row)[index.column()]
        if role == _ALIGNMENT:
            return alignment_of(index.column())
        if role not in _ROW_ROLES:
            return None
        row = self._rows[position]
        if role == SORT_ROLE:
            return _SORT_BY_COLUMN[index.column()](row)
        if role == ROW_ROLE:
            return row
        if role == FILTER_ROLE:
            return self.faces.tagged(row)
        tip = _tooltip(row, COLUMNS[index.column()])
        if index.column() == Column.STATUS and (row_note := self._notes.get(row.model_id)) is not None:
            tip = f"{row_note.tip}\n{tip}"
        if row.held_by is not None and index.column() == Column.STATUS and (held := self.hold_note(row)):
            tip = f"{tip}\n{held}"
        return tip

    def set_note(self, model_id: str, note: RowNote | None) -> None:
        """Show `note` in the model's Status cell (None: the stored status alone), now and after refreshes."""
        if self._notes.get(model_id) == note:
            return
        if note is None:
            self._notes.pop(model_id, None)
        else:
            self._notes[model_id] = note
        position = self._positions().get(model_id)
        if position is not None and position < len(self._rows):
            cell = self.index(position, Column.STATUS)
            self.dataChanged.emit(cell, cell)

    def refresh_next_actions(self, now: datetime) -> None:
        """The "Next action" cells as at `now` (the minute timer's): only the scheduled rows' are made again."""
        set_now(now)
        scheduled = [position for position, row in enumerate(self._rows) if row.schedule_json]
        self.faces.forget(self._rows[position] for position in scheduled)
        for first, last in _runs(scheduled):
            self.dataChanged.emit(self.index(first, Column.NEXT_ACTION), self.index(last, Column.NEXT_ACTION))

    def note_of(self, model_id: str) -> RowNote | None:
        return self._notes.get(model_id)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by `column`'s sort key; a column out of range (a cleared sort indicator) means Model ID
        ascending. Persistent indexes, hence selection and current index, follow their rows."""
        self.flush()
        if not 0 <= column < len(COLUMNS):
            column, order = Column.MODEL_ID, Qt.SortOrder.AscendingOrder
        if (column, order) == (self._ordering.column, self._ordering.order):
            return
        self._ordering = Ordering(COLUMNS[column], order)
        rows = self._in_order(self._rows)
        if rows != self._rows:
            self._relayout(rows)

    # Refresh

    def apply(self, rows: Sequence[ModelRow], *, sorted_by: str | None = None) -> ApplyStats:
        """Make the table hold exactly `rows` (the last one wins if an id repeats), in sort order, signalling only
        differences: removals; one layout change if changes moved rows; the changes; insertions where they sort.

        Unchanged rows keep their object, and with it their face (cell texts, filter text), not made again.
        `sorted_by` names the `Ordering` the rows are in (sorted on a worker): when it is still the table's, new
        rows are not sorted again here.
        """
        self.flush()
        if not self.next_action_timer.isActive():
            self.next_action_timer.start()  # here, not at construction: a model made with no event loop has none
        incoming = {row.model_id: row for row in rows}
        self.faces.keep_only(incoming.values())
        presorted = sorted_by == self._ordering.name and len(incoming) == len(rows)
        removed = self._remove_missing(incoming)
        changed = self._update_changed(incoming)
        inserted = self._insert_new(incoming, presorted)
        return ApplyStats(changed=changed, inserted=inserted, removed=removed)

    def _remove_missing(self, incoming: dict[str, ModelRow]) -> int:
        positions = self._positions()
        gone = sorted(positions[model_id] for model_id in positions.keys() - incoming.keys())
        if not gone:
            return 0
        for first, last in reversed(_runs(gone)):
            self._remove_at(first, last - first + 1)
        return len(gone)

    def _update_changed(self, incoming: dict[str, ModelRow]) -> int:
        if not self._rows:
            return 0
        rows, position_of = self._rows, self._positions().get
        # In arrival order, not display order: rows built one after the other lie close in memory, which makes
        # comparing thousands of them about twice as fast.
        changed = sorted(
            position
            for model_id, new in incoming.items()
            if (position := position_of(model_id)) is not None and (old := rows[position]) is not new and old != new
        )
        if not changed:
            return 0
        key_of = _SORT_BY_COLUMN[self._ordering.column]
        moved: list[int] = []
        for position in changed:
            old = rows[position]
            new = rows[position] = incoming[old.model_id]
            if key_of(new) != key_of(old):
                moved.append(position)
        if moved:
            changed_ids = [rows[position].model_id for position in changed]
            self._move(moved)
            positions = self._positions()
            changed = sorted(positions[model_id] for model_id in changed_ids)
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        return len(changed)

    def _move(self, moved: list[int]) -> None:
        """Put the rows at `moved`, whose sort keys changed, back in order: one layout change."""
        rows = self._rows
        if len(moved) * 8 > len(rows):
            self._relayout(self._in_order(rows))
            return
        leaving = set(moved)
        order = [row for position, row in enumerate(rows) if position not in leaving]
        place_key = self._place_key
        for position in moved:
            row = rows[position]
            order.insert(bisect_left(order, place_key(row), key=place_key), row)
        self._relayout(order)

    def _insert_new(self, incoming: dict[str, ModelRow], presorted: bool) -> int:
        positions = self._positions()
        if presorted:
            new = [row for model_id, row in incoming.items() if model_id not in positions]
        else:
            new = self._in_order(incoming[model_id] for model_id in incoming.keys() - positions.keys())
        if not new:
            return 0
        rows, place_key = self._rows, self._place_key
        if not rows or (len(new) > FILL_CHUNK and place_key(new[0]) > place_key(rows[-1])):
            # Thousands of rows into an empty table, or after its last row (the rest of a snapshot whose first
            # screenful is shown): a screenful now, the rest a chunk per event-loop turn, so the proxy's
            # filtering and the view's bookkeeping never hold the GUI thread for long in one go.
            screenful = max(0, FIRST_FILL - len(rows))
            first, self._pending = new[:screenful], new[screenful:]
            if first:
                self._insert_at(len(rows), first)
            if self._pending:
                self._fill_timer.start()
            return len(new)
        if len(new) * 16 > len(rows):
            # Many to place: one key per row costs less than a key per bisection step per new row.
            keys = [place_key(row) for row in rows]
            places = [bisect_left(keys, place_key(row)) for row in new]
        else:
            places = [bisect_left(rows, place_key(row), key=place_key) for row in new]
        start = 0
        while start < len(new):
            end = start + 1
            while end < len(new) and places[end] == places[start]:
                end += 1
            self._insert_at(places[start] + start, new[start:end])
            start = end
        return len(new)

    def _insert_at(self, first: int, rows: Sequence[ModelRow]) -> None:
        self._arriving = (first, rows)
        try:
            QStandardItemModel.insertRows(self, first, len(rows))
        finally:
            self._arriving = None  # taken by _take_arriving, unless Qt inserted nothing

    def _take_arriving(self) -> None:
        if self._arriving is not None:
            (first, rows), self._arriving = self._arriving, None
            self._rows[first:first] = rows
            self._index = None

    def _remove_at(self, first: int, count: int) -> None:
        self._leaving = (first, count)
        try:
            QStandardItemModel.removeRows(self, first, count)
        finally:
            self._leaving = None

    def _drop_leaving(self) -> None:
        if self._leaving is not None:
            (first, count), self._leaving = self._leaving, None
            del self._rows[first : first + count]
            self._index = None

    def _fill_more(self) -> None:
        chunk, self._pending = self._pending[:FILL_CHUNK], self._pending[FILL_CHUNK:]
        if chunk:
            self._insert_at(len(self._rows), chunk)
        if self._pending:
            self._fill_timer.start()
        else:
            self.filled.emit()

    def flush(self) -> None:
        """Insert the rest of a fill now: whatever reads positions, sorts or applies sees every row."""
        if self._pending:
            self._fill_timer.stop()
            rest, self._pending = self._pending, []
            self._insert_at(len(self._rows), rest)
            self.filled.emit()

    # Order

    def _in_order(self, rows: Iterable[ModelRow]) -> list[ModelRow]:
        return self._ordering.sort(rows)

    def _place_key(self, row: ModelRow) -> PlaceKey:
        missing, value = _SORT_BY_COLUMN[self._ordering.column](row)
        if self._ordering.order == Qt.SortOrder.DescendingOrder:
            value = _Descending(value)
        return (missing, value, row.model_id)

    def _positions(self) -> dict[str, int]:
        if self._index is None:
            self._index = {row.model_id: position for position, row in enumerate(self._rows)}
        return self._index

    def _relayout(self, rows: list[ModelRow]) -> None:
        """Show the same rows in `rows`' order, moving persistent indexes (selection, current) with their rows."""
        hint = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
        self.layoutAboutToBeChanged[_WITH_HINT].emit([], hint)  # type: ignore[index]
        before = self._rows
        self._rows, self._index = rows, None
        persistent = self.persistentIndexList()
        if persistent:
            positions = self._positions()
            self.changePersistentIndexList(
                persistent,
                [self.index(positions[before[index.row()].model_id], index.column()) for index in persistent],
            )
        self.layoutChanged[_WITH_HINT].emit([], hint)  # type: ignore[index]
