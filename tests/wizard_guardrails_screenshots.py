"""The wizard's Guardrails page: a create with two guardrails, one refused (its identifier typed, then cleared);
an update of the sandbox's guarded model with one of its two guardrails marked for removal; and that update's
review. Drawn once by tests.dialog_screenshots (the wizard has a size of its own)."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from engine.aws.guardrails import Guardrail
from engine.sandbox.catalog import catalog_by_id
from engine.sandbox.rag_and_guardrails import GUARDED_MODEL, GUARDRAILS
from tests.screenshots import save
from ui.wizard.form import Mode, WizardForm
from ui.wizard.guardrail_box import GuardrailBox
from ui.wizard.specs import PageId
from ui.wizard.wizard import PAGE_IDS, ModelWizard


def render_guardrails(parent: QWidget, out: Path) -> None:
    wizard = ModelWizard(
        WizardForm(
            Mode.CREATE,
            {
                "modelId": "claude-3-haiku",
                "modelName": "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
                "modelUrl": "https://bedrock-runtime.us-east-1.amazonaws.com",
            },
        ),
        parent=parent,
    )
    wizard.show()
    _show_page(wizard, PageId.GUARDRAILS)
    page = wizard.guardrails_page
    page.add.click()
    _fill(_last(wizard), "pii-filter", "gr-7k2m9x4p1q8z", "3", description="Masks personal data in prompts")
    page.add.click()
    refused = _last(wizard)
    _fill(refused, "harmful-content", "gr-5d1w8c3v6b0n", "", groups="marketing, support")
    refused.identifier.setText("")
    refused.identifier.textEdited.emit("")  # typed, then cleared: refused at the field
    QApplication.processEvents()
    save(wizard, out, "wizard-guardrails-create")
    wizard.close()

    model = catalog_by_id()[GUARDED_MODEL]
    base = {**copy.deepcopy(model.config), "status": model.status.value}
    form = WizardForm(Mode.UPDATE, {key: value for key, value in base.items() if key != "status"}, base=base)
    update = ModelWizard(form, parent=parent)
    update.show()
    update.set_existing_guardrails(
        [
            Guardrail(
                str(uuid.uuid5(uuid.NAMESPACE_URL, f"lisa-sandbox:guardrail:{seed.name}-{seed.model_id}")),
                seed.model_id,
                seed.name,
                seed.identifier,
                seed.version,
                seed.mode,
                seed.description,
                seed.allowed_groups,
            )
            for seed in GUARDRAILS
        ]
    )
    _show_page(update, PageId.GUARDRAILS)
    [harmful] = [box for key, box in update.guardrails_page.boxes.items() if key == "guardrail-harmful-content"]
    harmful.remove.click()
    QApplication.processEvents()
    save(update, out, "wizard-guardrails-update")
    _show_page(update, PageId.REVIEW)
    QApplication.processEvents()
    save(update, out, "wizard-guardrails-review")
    update.close()


def _show_page(wizard: ModelWizard, page: PageId) -> None:
    while wizard.currentId() != PAGE_IDS[page]:
        wizard.next()


def _last(wizard: ModelWizard) -> GuardrailBox:
    return list(wizard.guardrails_page.boxes.values())[-1]


def _fill(
    box: GuardrailBox, name: str, identifier: str, version: str, *, description: str = "", groups: str = ""
) -> None:
    for line, text in (
        (box.name, name),
        (box.identifier, identifier),
        (box.version, version),
        (box.groups.line, groups),
    ):
        if text:
            line.setText(text)
            line.textEdited.emit(text)
    if description:
        box.description.setPlainText(description)
