"""The Base page's features (LISA's, with its overview texts, offered to textgen models) and allowed groups
(chips, as LISA's token input): typed from the keyboard, validated, kept in drafts, and stored in LISA's shape."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from engine.drafts.store import DraftStore
from engine.schema.stored import stored_config
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.ui.conftest import WindowFactory
from tests.ui.test_main_window import select
from tests.ui.wizard.test_wizard import api_shape, open_wizard
from tests.ui.wizard.test_wizard_on_sandbox import go_to, submit_and_wait_closed, submit_button, wait_for_job
from tests.ui.wizard.test_wizard_on_sandbox import open_wizard as open_window_wizard
from tests.ui.wizard.typing import choose, editor, type_text
from ui.wizard import features
from ui.wizard.editors import BoolEditor, GroupsEditor
from ui.wizard.form import Mode, WizardForm
from ui.wizard.specs import PageId
from ui.wizard.tag_editor import PUBLIC
from ui.wizard.wizard import PAGE_IDS, ModelWizard

GROUPS = "allowedGroups"


def groups_of(wizard: ModelWizard) -> GroupsEditor:
    found = editor(wizard, GROUPS)
    assert isinstance(found, GroupsEditor)
    return found


def chips(wizard: ModelWizard) -> list[str]:
    return [chip.label.text() for chip in groups_of(wizard).tags._chips]


def focus(qtbot: QtBot, wizard: ModelWizard, widget) -> None:  # type: ignore[no-untyped-def]
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def tick(qtbot: QtBot, wizard: ModelWizard, name: str) -> None:
    """As from the keyboard: focus the feature's checkbox and press Space."""
    box = editor(wizard, f"features[{name}]")
    assert isinstance(box, BoolEditor)
    focus(qtbot, wizard, box.box)
    qtbot.keyClick(box.box, Qt.Key.Key_Space)


def shown_changes(wizard: ModelWizard) -> dict[str, tuple[str, str]]:
    table = wizard.review.changes
    return {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())
    }


def test_groups_are_added_and_removed_as_chips_from_the_keyboard_alone(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {}))
    groups = groups_of(wizard)
    public = groups.tags.public
    assert public.isVisible() and PUBLIC in public.text()
    assert groups.line.placeholderText() == "Enter group name"
    focus(qtbot, wizard, groups.line)

    qtbot.keyClicks(groups.line, "admins")
    qtbot.keyClick(groups.line, Qt.Key.Key_Return)
    assert wizard.currentId() == PAGE_IDS[PageId.BASE]  # Enter adds the group; it does not press Next
    qtbot.keyClicks(groups.line, "ops,data-science")
    qtbot.keyClick(groups.line, Qt.Key.Key_Enter)
    assert chips(wizard) == ["admins", "ops", "data-science"]
    assert groups.line.text() == "" and not public.isVisible()
    assert wizard.form.value(GROUPS) == ["admins", "ops", "data-science"]

    summarization = editor(wizard, "features[summarization]")
    assert isinstance(summarization, BoolEditor)
    focus(qtbot, wizard, summarization.box)
    qtbot.keyClick(summarization.box, Qt.Key.Key_Tab)  # past the (read-only) summarization overview
    assert QApplication.focusWidget().accessibleName() == "Remove admins"  # type: ignore[union-attr]
    for _chip in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is groups.line

    qtbot.keyClick(groups.line, Qt.Key.Key_Backspace)  # nothing typed: the last chip goes
    assert chips(wizard) == ["admins", "ops"]

    # Shift+Tab from the entry reaches the last chip's ×; Space removes it and the focus returns to the entry.
    qtbot.keyClick(groups.line, Qt.Key.Key_Backtab)
    dismiss = QApplication.focusWidget()
    assert dismiss is not None and dismiss.accessibleName() == "Remove ops"
    qtbot.keyClick(dismiss, Qt.Key.Key_Space)
    assert chips(wizard) == ["admins"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is groups.line)
    qtbot.keyClick(groups.line, Qt.Key.Key_Backtab)
    dismiss = QApplication.focusWidget()
    assert dismiss is not None and dismiss.accessibleName() == "Remove admins"
    qtbot.keyClick(dismiss, Qt.Key.Key_Delete)
    assert chips(wizard) == [] and public.isVisible()
    assert wizard.form.value(GROUPS) == []
    assert wizard.form.create_request()[GROUPS] == []  # empty: every user (public), as LISA sends it


def test_a_group_given_twice_is_refused_with_a_message_naming_the_field(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {"modelId": "dup-groups", "modelName": "x/y"}))
    groups = groups_of(wizard)
    row = wizard.page_of(PageId.BASE).rows[GROUPS]
    focus(qtbot, wizard, groups.line)
    qtbot.keyClicks(groups.line, "admins")
    qtbot.keyClick(groups.line, Qt.Key.Key_Return)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert next_button.isEnabled(), wizard.validation.by_field

    qtbot.keyClicks(groups.line, "admins")
    qtbot.keyClick(groups.line, Qt.Key.Key_Return)
    assert chips(wizard) == ["admins"] and groups.line.text() == "admins"  # refused, left where it was typed
    assert row.message.isVisible() and "already in the list" in row.message.text()
    assert not next_button.isEnabled()
    assert any(problem.startswith("Allowed groups: ") for problem in wizard.validation.general)
    assert wizard.form.value(GROUPS) == ["admins"]

    qtbot.keyClicks(groups.line, ",")  # a comma refuses it too
    assert chips(wizard) == ["admins"] and row.message.isVisible()

    groups.line.selectAll()
    qtbot.keyClick(groups.line, Qt.Key.Key_Backspace)
    assert not row.message.isVisible() and next_button.isEnabled()


def test_features_are_lisas_with_their_overview_and_offered_to_textgen_models_only(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {"modelId": "feat", "modelName": "x/y"}))
    page = wizard.page_of(PageId.BASE)
    for name, overview in features.OVERVIEWS.items():
        row = page.rows[f"features[{name}]"]
        assert row.editor.isEnabled() and row.note.text() == overview
    tick(qtbot, wizard, "toolCalls")
    tick(qtbot, wizard, "summarization")
    summarization = page.rows["features[summarization]"]
    assert features.SUMMARIZATION_WARNING in summarization.note.text()
    type_text(qtbot, wizard, "features[summarization].overview", "Long reports")
    assert wizard.form.create_request()["features"] == [
        {"name": "toolCalls", "overview": ""},
        {"name": "summarization", "overview": "Long reports"},
    ]

    choose(wizard, "modelType", "embedding")
    for name in features.OVERVIEWS:
        row = page.rows[f"features[{name}]"]
        assert not row.editor.isEnabled() and row.lock_reason == features.NOT_OFFERED
    assert wizard.form.create_request()["features"] == []
    choose(wizard, "modelType", "textgen")  # what was ticked is still there
    assert [item["name"] for item in wizard.form.create_request()["features"]] == ["toolCalls", "summarization"]


def test_an_embedding_models_features_are_read_only_in_an_update(qtbot: QtBot) -> None:
    base = api_shape("titan-embed-v2")
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, stored_config(base), base=base))
    page = wizard.page_of(PageId.BASE)
    for name in features.OVERVIEWS:
        row = page.rows[f"features[{name}]"]
        assert not row.editor.isEnabled() and f"Read-only: {features.NOT_OFFERED}" == row.note.text()
    assert page.rows[GROUPS].editor.isEnabled()


def test_features_and_groups_survive_a_draft(qtbot: QtBot) -> None:
    store = DraftStore()
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {"modelId": "drafted", "modelName": "x/y"}), store)
    tick(qtbot, wizard, "reasoning")
    tick(qtbot, wizard, "imageInput")
    groups = groups_of(wizard)
    focus(qtbot, wizard, groups.line)
    qtbot.keyClicks(groups.line, "research,ml")
    draft = wizard.save_draft()
    assert draft is not None
    wizard.close()

    [saved] = store.list()
    assert saved.config["features"] == [{"name": "reasoning", "overview": ""}, {"name": "imageInput", "overview": ""}]
    assert saved.config[GROUPS] == ["research", "ml"]
    reopened = open_wizard(qtbot, WizardForm(Mode.CREATE, saved.config), store)
    assert chips(reopened) == ["research", "ml"]
    for name in ("reasoning", "imageInput"):
        assert editor(reopened, f"features[{name}]").value() is True
    assert editor(reopened, "features[toolCalls]").value() is False
    assert reopened.form.create_request()["features"] == saved.config["features"]


def test_create_with_two_features_and_two_groups_stores_them_in_lisas_shape(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    window = make_window(backend)
    window.commands.create.trigger()
    wizard = open_window_wizard(window, qtbot)
    type_text(qtbot, wizard, "modelId", "haiku-with-groups")
    type_text(qtbot, wizard, "modelName", "bedrock/anthropic.claude-3-haiku-20240307-v1:0")
    type_text(qtbot, wizard, "modelUrl", "https://bedrock-runtime.us-east-1.amazonaws.com")
    tick(qtbot, wizard, "toolCalls")
    tick(qtbot, wizard, "summarization")
    type_text(qtbot, wizard, "features[summarization].overview", "Meeting notes")
    groups = groups_of(wizard)
    focus(qtbot, wizard, groups.line)
    for group in ("research", "lisa-admins"):
        qtbot.keyClicks(groups.line, group)
        qtbot.keyClick(groups.line, Qt.Key.Key_Return)
    go_to(wizard, PageId.REVIEW)
    shown = shown_changes(wizard)
    assert shown["Allowed groups"][1] == '["research", "lisa-admins"]'
    assert shown["Features"][1] == "Tool calls, Summarization"
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, "haiku-with-groups")
    assert outcome.startswith("Succeeded"), outcome

    stored = backend.aws.models.get("haiku-with-groups").config
    assert stored["features"] == [
        {"name": "toolCalls", "overview": ""},
        {"name": "summarization", "overview": "Meeting notes"},
    ]
    assert stored["allowedGroups"] == ["research", "lisa-admins"]


def test_update_removing_a_group_and_changing_features_shows_the_changes_and_stores_them(
    make_window: WindowFactory, backend: DeploymentBackend, qtbot: QtBot
) -> None:
    before = backend.aws.models.get("claude-3-5-sonnet").config
    assert before["allowedGroups"] == ["engineering", "research", "lisa-admins"]
    window = make_window(backend)
    select(window, "claude-3-5-sonnet")
    window.commands.update.trigger()
    wizard = open_window_wizard(window, qtbot)
    assert chips(wizard) == ["engineering", "research", "lisa-admins"]  # the model's current groups, loaded
    for item in before["features"]:
        assert editor(wizard, f"features[{item['name']}]").value() is True
    row = wizard.page_of(PageId.BASE).rows[GROUPS]
    assert row.impact.isVisible() and row.lock_reason is None

    research = next(chip for chip in groups_of(wizard).tags._chips if chip.name == "research")
    focus(qtbot, wizard, research.dismiss)
    qtbot.keyClick(research.dismiss, Qt.Key.Key_Return)
    assert chips(wizard) == ["engineering", "lisa-admins"]
    tick(qtbot, wizard, "imageInput")  # off
    tick(qtbot, wizard, "reasoning")  # on
    go_to(wizard, PageId.REVIEW)
    shown = shown_changes(wizard)
    assert shown["Allowed groups"] == ('["engineering", "research", "lisa-admins"]', '["engineering", "lisa-admins"]')
    assert shown["Image input"] == ("true", "false")
    assert shown["Reasoning"] == ("false", "true")
    new_features = [
        {"name": "summarization", "overview": "Long documents, up to the 200k-token context."},
        {"name": "toolCalls", "overview": ""},
        {"name": "reasoning", "overview": ""},
    ]
    assert wizard.validation.request == {"allowedGroups": ["engineering", "lisa-admins"], "features": new_features}
    assert submit_button(wizard).isEnabled(), wizard.review.submit_note.text()
    submit_and_wait_closed(wizard, qtbot)
    outcome = wait_for_job(window, qtbot, "claude-3-5-sonnet")
    assert outcome.startswith("Succeeded"), outcome
    after = backend.aws.models.get("claude-3-5-sonnet").config
    assert after["allowedGroups"] == ["engineering", "lisa-admins"]
    assert after["features"] == new_features


def test_an_embedding_model_does_not_stream_as_lisas_form_switches_it_off(qtbot: QtBot) -> None:
    """LISA's form turns streaming off and disables it for an embedding, image or video model (on again for
    textgen), and shows their features off: nothing is refused, Next stays enabled."""
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, {"modelId": "embedder", "modelName": "x/y"}))
    page = wizard.page_of(PageId.BASE)
    streaming = page.rows["streaming"]
    box = editor(wizard, "streaming")
    assert isinstance(box, BoolEditor)
    tick(qtbot, wizard, "toolCalls")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert box.value() is True and box.isEnabled() and next_button.isEnabled()

    choose(wizard, "modelType", "embedding")
    assert box.value() is False and not box.isEnabled()
    assert streaming.note.text() == "Read-only: LISA's form turns streaming off for embedding models"
    assert not streaming.message.isVisible() and "streaming" not in wizard.validation.by_field
    assert next_button.isEnabled(), wizard.validation.by_field
    assert wizard.form.create_request()["streaming"] is False
    assert editor(wizard, "features[toolCalls]").value() is False  # not sent: shown off

    choose(wizard, "modelType", "imagegen")
    assert box.value() is False and not box.isEnabled() and "imagegen" in streaming.note.text()
    choose(wizard, "modelType", "textgen")
    assert box.value() is True and box.isEnabled()
    assert editor(wizard, "features[toolCalls]").value() is True  # kept for textgen
    assert wizard.form.create_request()["streaming"] is True


def test_a_draft_of_an_embedding_model_that_streams_opens_with_streaming_off(qtbot: QtBot) -> None:
    config = {"modelId": "old-draft", "modelName": "x/y", "modelType": "embedding", "streaming": True}
    wizard = open_wizard(qtbot, WizardForm(Mode.CREATE, config))
    assert editor(wizard, "streaming").value() is False and not editor(wizard, "streaming").isEnabled()
    assert wizard.validation.request is not None and wizard.validation.request["streaming"] is False


def test_an_embedding_models_streaming_is_read_only_in_an_update(qtbot: QtBot) -> None:
    base = api_shape("titan-embed-v2")
    wizard = open_wizard(qtbot, WizardForm(Mode.UPDATE, stored_config(base), base=base))
    row = wizard.page_of(PageId.BASE).rows["streaming"]
    assert not row.editor.isEnabled() and row.editor.value() is False
    assert row.lock_reason == "LISA's form turns streaming off for embedding models"
