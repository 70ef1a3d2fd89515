"""The wizard's Base page scrolled to the features and allowed groups: filled (two features, the summarization
overview and its warning, three group chips), with a group given twice (refused, the message at the field), and
for an embedding model (streaming switched off and read-only, no features, as LISA's form). The wizard has a size
of its own: drawn once, by tests.dialog_screenshots, or alone over a plain 1280×800 window:

QT_QPA_PLATFORM=offscreen python -m tests.wizard_base_screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from tests.screenshots import run_offscreen, save
from ui.background import Background
from ui.wizard.editors import BoolEditor, ChoiceEditor, GroupsEditor, TextEditor
from ui.wizard.form import Mode, WizardForm
from ui.wizard.specs import PageId
from ui.wizard.wizard import ModelWizard


def render_features_and_groups(parent: QWidget, out: Path) -> None:
    wizard = ModelWizard(WizardForm(Mode.CREATE, {}), parent=parent)
    wizard.show()
    for path, text in (
        ("modelId", "claude-3-haiku"),
        ("modelName", "bedrock/anthropic.claude-3-haiku-20240307-v1:0"),
        ("modelUrl", "https://bedrock-runtime.us-east-1.amazonaws.com"),
    ):
        _type(wizard, path, text)
    for name in ("toolCalls", "summarization"):
        box = _find(wizard, BoolEditor, f"features[{name}]")
        box.box.click()
    _type(wizard, "features[summarization].overview", "Meeting notes and long reports, as bullet points")
    groups = _find(wizard, GroupsEditor, "allowedGroups")
    for group in ("research", "lisa-admins", "support-tier-2"):
        groups.tags.add(group)
    groups.tags.changed.emit()
    page = wizard.page_of(PageId.BASE)
    scroll = page.findChild(QScrollArea)
    assert scroll is not None
    _scroll_to(scroll, page.rows["allowedGroups"])
    save(wizard, out, "wizard-base-features-groups")

    groups.line.setText("research")
    groups.line.textEdited.emit("research")
    groups.line.add_requested.emit()  # as Enter: refused, the message shown at the field
    _scroll_to(scroll, page.rows["allowedGroups"])
    save(wizard, out, "wizard-base-group-twice")

    groups.line.setText("")
    groups.line.textEdited.emit("")  # the repeated group cleared: the embedding picture shows only what its type does
    model_type = _find(wizard, ChoiceEditor, "modelType").combo
    model_type.setCurrentIndex(model_type.findText("embedding"))
    model_type.activated.emit(model_type.currentIndex())  # no streaming, no features for an embedding model
    _scroll_to_top(scroll, page.rows["modelType"])  # the type chosen, then streaming and the features it turned off
    save(wizard, out, "wizard-base-features-embedding")
    wizard.close()


def _scroll_to(scroll: QScrollArea, widget: QWidget) -> None:
    for _pass in range(3):  # a row grows (a message): each layout up the tree settles in turn
        QApplication.processEvents()
    scroll.ensureWidgetVisible(widget, 0, 60)
    QApplication.processEvents()


def _scroll_to_top(scroll: QScrollArea, widget: QWidget) -> None:
    """`widget` at the top of the page's visible part."""
    QApplication.processEvents()
    content = scroll.widget()
    assert content is not None
    scroll.verticalScrollBar().setValue(widget.mapTo(content, QPoint(0, 0)).y() - 8)
    QApplication.processEvents()


def _find(wizard: ModelWizard, kind: type, path: str):  # type: ignore[no-untyped-def]
    found = wizard.findChild(kind, "field:" + path)
    assert found is not None, path
    return found


def _type(wizard: ModelWizard, path: str, text: str) -> None:
    field = _find(wizard, TextEditor, path)
    field.line.setText(text)
    field.line.textEdited.emit(text)


async def render(out: Path, _background: Background) -> None:
    window = QWidget()
    window.resize(1280, 800)
    window.show()
    render_features_and_groups(window, out)
    window.close()


if __name__ == "__main__":
    run_offscreen(render, __doc__)
