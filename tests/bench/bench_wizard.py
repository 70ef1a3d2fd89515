"""How long one keystroke costs in the wizard: the engine's validation of the whole form, and the whole
revalidation with every page's messages and the review redrawn (all on the GUI thread).

QT_QPA_PLATFORM=offscreen python -m tests.bench.bench_wizard
"""

from __future__ import annotations

import copy
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from engine.sandbox.catalog import catalog_by_id
from engine.schema.stored import stored_config
from ui.wizard.form import Mode, WizardForm
from ui.wizard.wizard import ModelWizard

ROUNDS = 300


def timed(action: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    app = QApplication([])
    model = catalog_by_id()["mistral-7b-instruct"]
    base = {**copy.deepcopy(model.config), "status": model.status.value}
    update = WizardForm(Mode.UPDATE, stored_config(base), base=base)
    update.set_value("autoScalingConfig.minCapacity", 2)
    create = WizardForm(Mode.CREATE, stored_config(base))
    create.set_value("modelId", "bench-model")
    for name, form in (("create (hosted)", create), ("update (plan included)", update)):
        median, p99 = timed(form.validate)
        print(f"validate, {name:24}: median {median:.2f} ms, p99 {p99:.2f} ms")
        wizard = ModelWizard(form)
        wizard.show()
        app.processEvents()
        median, p99 = timed(wizard.revalidate)
        print(f"revalidate + redraw, {name:13}: median {median:.2f} ms, p99 {p99:.2f} ms")
        wizard.close()


if __name__ == "__main__":
    main()
