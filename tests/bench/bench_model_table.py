"""Benchmark: GUI-thread time of the model table's work for N models (issue #6), with the window's pieces.

Run: .venv/bin/python -m tests.bench.bench_model_table [N]   (default 5000)

Each figure is `ModelTableModel.apply()` (or a sort, or a filter change) on a model behind the window's
ModelFilterProxy and a shown QTableView with sorting enabled, followed by the view's pending layout and a
synchronous `view.viewport().repaint()`: the time the GUI thread is blocked, over several rounds ("before
paint": the action alone, without the view's layout and repaint).
- first insert: N cached rows into the empty, already sorted table (what the first paint waits for);
- refreshes (sorted by Status, a filter typed in): nothing changed (new but equal row objects, as every
  refresh builds them), 1 % changed outside the sort column, 1 % changed in the sort column;
- a header sort change, and a filter change, over N rows.
Goal: each at most 50 ms.
"""

from __future__ import annotations

import copy
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from engine.model_row import ModelRow
from ui.cell_delegate import CellDelegate
from ui.model_filter import ModelFilterProxy
from ui.model_table import Column, ModelTableModel
from ui.status_delegate import StatusDelegate

STATUSES = ("InService", "InService", "InService", "Stopped", "Updating", "Failed")
ROUNDS = 5
FILTER = "-status:Failed bench"

CONFIG = {
    "modelName": "meta-llama/Llama-3.2-3B-Instruct",
    "modelType": "textgen",
    "hostingType": "lisa_hosted",
    "streaming": True,
    "features": [{"name": "toolCalls", "overview": ""}],
    "allowedGroups": ["marketing"],
    "instanceType": "g6.xlarge",
    "inferenceContainer": "vllm",
    "containerConfig": {
        "image": {"baseImage": "vllm/vllm-openai:v0.6.3", "type": "asset"},
        "sharedMemorySize": 2048,
        "healthCheckConfig": {"command": ["CMD-SHELL", "exit 0"], "interval": 10, "startPeriod": 300},
        "environment": {"MAX_TOTAL_TOKENS": "4096"},
    },
    "autoScalingConfig": {
        "blockDeviceVolumeSize": 100,
        "minCapacity": 1,
        "maxCapacity": 3,
        "desiredCapacity": 1,
        "metricConfig": {"albMetricName": "RequestCountPerTarget", "targetValue": 30, "duration": 60},
    },
    "loadBalancerConfig": {"healthCheckConfig": {"path": "/health", "interval": 60, "timeout": 30}},
}


def build_rows(count: int, tasks_changed_every: int = 0, status_changed_every: int = 0) -> list[ModelRow]:
    """Fresh objects with a realistic config each, in a shuffled id order (as LISA's table scan returns them).

    Every `tasks_changed_every`-th row has one more running task; every `status_changed_every`-th is Stopping.
    """
    rows = []
    for number in range(count):
        more_tasks = int(bool(tasks_changed_every) and number % tasks_changed_every == 0)
        stopping = bool(status_changed_every) and number % status_changed_every == 0
        hosted = number % 5 < 3
        model_id = f"bench-{number * 7919 % count:05d}"
        config = copy.deepcopy(CONFIG)
        config["modelId"] = model_id
        rows.append(
            ModelRow.of(
                model_id=model_id,
                model_name=f"org/model-{number % 97}",
                hosting="lisa_hosted" if hosted else "third_party",
                model_type="textgen",
                status="Stopping" if stopping else STATUSES[number % len(STATUSES)],
                instance_type="g6.xlarge" if hosted else None,
                min_capacity=1 if hosted else None,
                desired_capacity=1 if hosted else None,
                max_capacity=3 if hosted else None,
                running_tasks=(1 + more_tasks) if hosted else None,
                healthy_instances=1 if hosted else None,
                streaming=True,
                features=("toolCalls",),
                allowed_groups=("marketing",) if number % 2 else (),
                last_modified=1_790_000_000_000 + number,
                config=config,
                live={"service": {"desired": 1, "running": 1 + more_tasks}} if hosted else None,
            )
        )
    return rows


@dataclass
class Table:
    model: ModelTableModel
    proxy: ModelFilterProxy
    view: QTableView

    def settle(self) -> None:
        """What the GUI thread does before the user sees the result: the view's pending layout, then one paint."""
        QApplication.processEvents()
        self.view.viewport().repaint()

    def quiesce(self) -> None:
        """Settle, then run what that posted (a scroll bar appearing, its paint), so no timed run inherits it."""
        self.settle()
        for _ in range(3):
            QApplication.processEvents()

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()
        QApplication.processEvents()


def new_table(column: Column, order: Qt.SortOrder, filter_text: str = "") -> Table:
    model = ModelTableModel()
    proxy = ModelFilterProxy(model)
    view = QTableView()
    model.setParent(view)
    proxy.setParent(view)
    view.setModel(proxy)
    # The window's delegates, without its turn budget: each timed paint here draws every cell it shows.
    view.setItemDelegate(CellDelegate(view))
    view.setItemDelegateForColumn(Column.STATUS, StatusDelegate(view))
    view.setSortingEnabled(True)
    view.sortByColumn(column, order)
    proxy.set_filter_text(filter_text)
    view.resize(1400, 800)
    view.show()
    table = Table(model, proxy, view)
    table.quiesce()
    return table


@dataclass(frozen=True)
class Timing:
    best: float
    median: float
    best_cpu: float
    best_work: float
    """The action alone, before the view's pending layout and repaint."""


def timed(action: Callable[[], object], setup: Callable[[], object], table: Callable[[], Table]) -> Timing:
    """Milliseconds over ROUNDS runs of `action` then the table's settle(), each after `setup` (not timed).
    CPU time is this process's alone: the fairer figure on a busy machine."""
    walls, cpus, works = [], [], []
    for _ in range(ROUNDS):
        setup()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        works.append((time.perf_counter() - wall) * 1000)
        table().settle()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return Timing(min(walls), statistics.median(walls), min(cpus), min(works))


def line(what: str, timing: Timing) -> str:
    return (
        f"  {what:50} best {timing.best:6.1f} ms  median {timing.median:6.1f} ms  best CPU {timing.best_cpu:6.1f} ms"
        f"  (before paint: best {timing.best_work:5.1f} ms)"
    )


class Bench:
    def __init__(self, count: int) -> None:
        self.base = build_rows(count)
        self.equal = build_rows(count)
        self.tasks_changed = build_rows(count, tasks_changed_every=100)
        self.status_changed = build_rows(count, status_changed_every=100)
        self.table: Table | None = None

    def fresh(self, column: Column, order: Qt.SortOrder, filter_text: str = "", rows: bool = False) -> Table:
        if self.table is not None:
            self.table.close()
        table = self.table = new_table(column, order, filter_text)
        if rows:
            table.model.apply(self.base)
            table.quiesce()
        return table

    def current(self) -> Table:
        assert self.table is not None
        return self.table

    def apply(self, rows: list[ModelRow]) -> None:
        self.current().model.apply(rows)

    def first_insert(self, column: Column, order: Qt.SortOrder) -> None:
        timing = timed(lambda: self.apply(self.base), lambda: self.fresh(column, order), self.current)
        print(line(f"first insert, sorted by {column.label} {order.name[:-5].lower()}", timing))

    def refreshes(self) -> None:
        for label, rows in (
            ("refresh, no change", self.equal),
            ("refresh, 1% changed (running tasks)", self.tasks_changed),
            ("refresh, 1% changed in the sort column (status)", self.status_changed),
        ):
            timing = timed(
                lambda rows=rows: self.apply(rows),  # type: ignore[misc]
                lambda: self.fresh(Column.STATUS, Qt.SortOrder.AscendingOrder, FILTER, rows=True),
                self.current,
            )
            print(line(f"{label}, filtered", timing))

    def header_sorts(self) -> None:
        table = self.fresh(Column.STATUS, Qt.SortOrder.AscendingOrder, rows=True)

        def sort(column: Column, order: Qt.SortOrder) -> None:
            table.view.sortByColumn(column, order)

        def back_to_status() -> None:
            sort(Column.STATUS, Qt.SortOrder.AscendingOrder)
            table.quiesce()

        for column, order in (
            (Column.NAME, Qt.SortOrder.DescendingOrder),
            (Column.RUNNING_TASKS, Qt.SortOrder.AscendingOrder),
            (Column.MODEL_ID, Qt.SortOrder.DescendingOrder),
        ):
            timing = timed(
                lambda column=column, order=order: sort(column, order),  # type: ignore[misc]
                back_to_status,
                self.current,
            )
            print(line(f"header sort Status -> {column.label} {order.name[:-5].lower()}", timing))

    def filter_change(self) -> None:
        table = self.fresh(Column.STATUS, Qt.SortOrder.AscendingOrder, rows=True)
        texts = iter(["status:in", "llama", "-hosting:third", "status:in llama -hosting:third"] * ROUNDS)

        def type_filter() -> None:
            table.proxy.set_filter_text(next(texts))

        def clear() -> None:
            table.proxy.set_filter_text("")
            table.quiesce()

        print(line("filter typed (four filters in turn)", timed(type_filter, clear, self.current)))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app = QApplication.instance() or QApplication([])
    print(f"{count} rows, model + ModelFilterProxy + QTableView, GUI thread, {ROUNDS} rounds:")
    bench = Bench(count)
    bench.first_insert(Column.MODEL_ID, Qt.SortOrder.AscendingOrder)
    bench.first_insert(Column.STATUS, Qt.SortOrder.DescendingOrder)
    bench.refreshes()
    bench.header_sorts()
    bench.filter_change()
    bench.current().close()
    del app


if __name__ == "__main__":
    main()
