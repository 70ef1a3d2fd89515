"""Run as a child process by test_wizard: type a draft offline, wait for the autosave, then die by SIGKILL."""

from __future__ import annotations

import os
import signal
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.drafts.store import DraftStore
from tests.waiting import wait_for
from ui.wizard.editors import BoolEditor, ChoiceEditor, GroupsEditor, MultilineEditor, TextEditor
from ui.wizard.form import Mode, WizardForm
from ui.wizard.wizard import AUTOSAVE_MS, ModelWizard

TYPED = {
    "modelId": "offline-model",
    "modelName": "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
    "modelDescription": "typed on a plane",
    "modelUrl": "https://bedrock.example.com",
    "allowedGroups": "admins, ops",
}


def main() -> None:
    app = QApplication([])
    wizard = ModelWizard(WizardForm(Mode.CREATE, {}), drafts=DraftStore())
    wizard.show()
    for path, text in TYPED.items():
        field = wizard.findChild(TextEditor, "field:" + path) or wizard.findChild(GroupsEditor, "field:" + path)
        if field is not None:
            QTest.keyClicks(field.line, text)
        else:
            description = wizard.findChild(MultilineEditor, "field:" + path)
            assert description is not None, path
            QTest.keyClicks(description.text, text)
    model_type = wizard.findChild(ChoiceEditor, "field:modelType")
    assert model_type is not None
    model_type.combo.setCurrentIndex(model_type.combo.findText("textgen"))
    model_type.combo.activated.emit(model_type.combo.currentIndex())
    tool_calls = wizard.findChild(BoolEditor, "field:features[toolCalls]")
    assert tool_calls is not None
    tool_calls.box.click()
    store = DraftStore()

    def saved_after_the_last_edit() -> bool:
        app.processEvents()
        drafts = store.list()
        return bool(drafts) and "toolCalls" in {feature["name"] for feature in drafts[0].config.get("features") or ()}

    # The autosave comes AUTOSAVE_MS after the last edit (the click above): wait for it, not for a fixed time.
    wait_for(saved_after_the_last_edit, timeout=(AUTOSAVE_MS / 1000) * 10, interval=0.02, what="the autosave")
    print("typed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no atexit: only what was already saved survives


if __name__ == "__main__":
    sys.exit(main())
