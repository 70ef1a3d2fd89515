"""Filtering of the model table: the filter box's little language, and a proxy that applies it.

`llama status:InService -hosting:third name:"llama 3"` keeps the rows that match every token: free text matches
any cell's text, `column:value` one column's, a leading `-` or `!` negates. Values match case-insensitively as
substrings, except `status:`, which matches a status from its start (`status:stop` is Stopped or Stopping).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from engine.model_row import ModelRow
from ui.model_table import COLUMNS, SORT_ROLE, Column, ModelTableModel, RowFace, face_of

_ALIASES: Final = {
    **{column.label.lower().replace(" ", ""): column for column in COLUMNS},
    **{column.key: column for column in COLUMNS},
}
_KEY_LIST: Final = ", ".join(column.key for column in COLUMNS)
_TOKEN: Final = re.compile(r'(?P<neg>[-!])?(?:(?P<key>[^\s:"]+):)?(?:"(?P<quoted>[^"]*)(?:"|$)|(?P<bare>\S+))?')
_FILTER_CHANGE_API: Final = hasattr(QSortFilterProxyModel, "endFilterChange")
"""Qt 6.10+, where invalidateRowsFilter() is deprecated; older bindings have only the latter."""


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


def parse_filter(text: str) -> ParsedFilter:
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


FaceTest = Callable[[RowFace], bool]


def _test_of(term: Term) -> FaceTest:
    value, negated = term.value, term.negated
    if term.column is None:
        return lambda face: (value in face.joined) != negated
    column = int(term.column)
    if term.column is Column.STATUS:
        return lambda face: face.folded[column].startswith(value) != negated
    return lambda face: (value in face.folded[column]) != negated


def row_test(terms: Sequence[Term]) -> Callable[[ModelRow], bool] | None:
    """One function that tells whether a row passes every term (None: no terms, every row does). Made once per
    filter text: the proxy calls it for every row at each re-filter, thousands of times in one go."""
    if not terms:
        return None
    tests = [_test_of(term) for term in terms]
    if len(tests) == 1:
        [only] = tests
        return lambda row: only(face_of(row))

    def passes(row: ModelRow) -> bool:
        face = face_of(row)
        return all(test(face) for test in tests)

    return passes


class ModelFilterProxy(QSortFilterProxyModel):
    """Filters with `set_filter_text()`; passes sort requests to the ModelTableModel, which keeps its rows in order."""

    filter_error_changed = Signal(str)
    """The filter text's problem in words, or "" once it has none."""

    def __init__(self, source: ModelTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._filter = ParsedFilter()
        self._text = ""
        self._passes: Callable[[ModelRow], bool] | None = None
        self.setSortRole(SORT_ROLE)
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
        if _FILTER_CHANGE_API:
            self.beginFilterChange()
            self._filter, self._passes = parsed, row_test(parsed.terms)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._filter, self._passes = parsed, row_test(parsed.terms)
            self.invalidateRowsFilter()
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

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        passes = self._passes
        return True if passes is None else passes(self._source.row_at(source_row))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts (QTableView's header and sortByColumn() land here): this proxy never does, so
        its sortColumn() stays -1 and it shows the rows that pass the filter in the source's order."""
        self._source.sort(column, order)
