"""Filtering of the model table: the filter box's little language, and a proxy that applies it.

`llama status:InService -hosting:third name:"llama 3"` keeps the rows that match every token: free text matches
any cell's text, `column:value` one column's, a leading `-` or `!` negates. Values match case-insensitively as
substrings, except `status:`, which matches a status from its start (`status:stop` is Stopped or Stopping).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from engine.model_row import ModelRow
from ui.model_table import COLUMNS, FILTER_ROLE, SORT_ROLE, Column, ModelTableModel, cell_tag

_ALIASES: Final = {
    **{column.label.lower().replace(" ", ""): column for column in COLUMNS},
    **{column.key: column for column in COLUMNS},
}
_KEY_LIST: Final = ", ".join(column.key for column in COLUMNS)
_TOKEN: Final = re.compile(r'(?P<neg>[-!])?(?:(?P<key>[^\s:"]+):)?(?:"(?P<quoted>[^"]*)(?:"|$)|(?P<bare>\S+))?')


@dataclass(frozen=True)
class Term:
    value: str
    """Case-folded."""
    column: Column | None = None
    """None: any cell."""
    negated: bool = False


@dataclass(frozen=True)
class ParsedFilter:
    terms: tuple[Term, ...] = ()
    problem: str | None = None


_CONTROLS: Final = dict.fromkeys(code for code in range(32) if chr(code) not in "\t\n\r")
"""Dropped from filter text: no cell holds them, and the row's tagged text uses them as cell tags."""


def parse_filter(text: str) -> ParsedFilter:
    text = text.translate(_CONTROLS)
    terms: list[Term] = []
    unknown: list[str] = []
    for match in _TOKEN.finditer(text):
        if not match.group(0).strip():
            continue
        value = match.group("quoted") if match.group("quoted") is not None else match.group("bare") or ""
        key = match.group("key")
        negated = match.group("neg") is not None
        column = None
        if key is not None:
            column = _ALIASES.get(key.casefold())
            if column is None:
                unknown.append(key)
                value = f"{key}:{value}"
        if value:
            terms.append(Term(value.casefold(), column, negated))
    problem = None
    if unknown:
        names = ", ".join(f"'{key}'" for key in unknown)
        problem = f"unknown column{'s' if len(unknown) > 1 else ''} {names} (use: {_KEY_LIST})"
    return ParsedFilter(tuple(terms), problem)


def _tag(column: int) -> str:
    return f"\\x{{{ord(cell_tag(column)):02x}}}"


_WITHIN_CELL: Final = f"[^{_tag(0)}-{_tag(len(COLUMNS) - 1)}]*"
_OPTIONS: Final = QRegularExpression.PatternOption.DotMatchesEverythingOption


def filter_pattern(terms: Sequence[Term]) -> str:
    """The terms as one regular expression over a row's tagged text (`RowFace`) ("" when there are none): a
    lookahead per term, negative for a negated one. Qt's proxy then filters in C++, and with no filter it calls
    no Python at all, where a Python filterAcceptsRow() is called for every row inserted or re-sorted, filter or
    not. A typed filter still calls Python once per row (its tagged text)."""
    lookaheads = []
    for term in terms:
        value = QRegularExpression.escape(term.value)
        if term.column is None:
            body = f".*{value}"
        elif term.column is Column.STATUS:
            body = f".*{_tag(term.column)}{value}"
        else:
            body = f".*{_tag(term.column)}{_WITHIN_CELL}{value}"
        lookaheads.append(f"(?!{body})" if term.negated else f"(?={body})")
    return f"^{''.join(lookaheads)}" if lookaheads else ""


class ModelFilterProxy(QSortFilterProxyModel):
    """Filters with `set_filter_text()`; passes sort requests to the ModelTableModel, which keeps its rows in order."""

    filter_error_changed = Signal(str)
    """The filter text's problem in words, or "" once it has none."""

    def __init__(self, source: ModelTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._filter = ParsedFilter()
        self._text = ""
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(0)
        self.setDynamicSortFilter(True)  # re-filters rows on dataChanged; with no sort column it never sorts
        self.setSourceModel(source)

    def setSourceModel(self, sourceModel: QAbstractItemModel) -> None:
        if not isinstance(sourceModel, ModelTableModel):
            raise TypeError(f"ModelFilterProxy filters a ModelTableModel, not {type(sourceModel).__name__}")
        self._source = sourceModel
        super().setSourceModel(sourceModel)

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def filter_error(self) -> str | None:
        return self._filter.problem

    @property
    def terms(self) -> tuple[Term, ...]:
        return self._filter.terms

    def set_filter_text(self, text: str) -> None:
        self._text = text
        parsed = parse_filter(text)
        if parsed == self._filter:
            return
        problem_changed = parsed.problem != self._filter.problem
        self._filter = parsed
        self.setFilterRegularExpression(QRegularExpression(filter_pattern(parsed.terms), _OPTIONS))
        if problem_changed:
            self.filter_error_changed.emit(parsed.problem or "")

    def row_at(self, index: QModelIndex | QPersistentModelIndex) -> ModelRow:
        """The row at an index of this proxy."""
        return self._source.row_at(self.mapToSource(index).row())

    def model_ids(self) -> list[str]:
        """The shown rows' model ids, top to bottom."""
        source, map_to_source = self._source, self.mapToSource
        return [source.row_at(map_to_source(self.index(row, 0)).row()).model_id for row in range(self.rowCount())]

    # Qt

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts (QTableView's header and sortByColumn() land here): this proxy never does, so
        its sortColumn() stays -1 and it shows the rows that pass the filter in the source's order."""
        self._source.sort(column, order)
