"""Three-way comparison of a draft with the model it was based on and the model now; rebasing the draft."""

from __future__ import annotations

import copy
from typing import Any

from engine.config_edit import config_of, update_request_from
from engine.drafts.conflict import FieldState, Side, compare, rebase
from tests.engine.factories import hosted_config, record

BASE = record(hosted_config()).to_api()


def changed(shape: dict[str, Any], **fields: Any) -> dict[str, Any]:
    result = copy.deepcopy(shape)
    result.update(fields)
    return result


def with_env(shape: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    result = copy.deepcopy(shape)
    result["containerConfig"]["environment"] = environment
    return result


def test_field_state_properties() -> None:
    assert FieldState("f", 1, 2, 1).changed_underneath
    assert not FieldState("f", 1, 2, 1).edited
    assert FieldState("f", 1, 2, 3).conflict
    assert not FieldState("f", 1, 2, 2).conflict  # both made the same change
    assert not FieldState("f", 1, 1, 3).conflict
    assert FieldState("f", 1, True, 1).changed_underneath  # type-strict


def test_nothing_changed() -> None:
    comparison = compare(BASE, BASE, config_of(BASE))
    assert comparison.fields == ()
    assert not comparison.model_changed
    assert comparison.base_status == comparison.now_status == "InService"


def test_draft_edits_alone_are_not_a_model_change() -> None:
    comparison = compare(BASE, BASE, changed(config_of(BASE), modelDescription="mine"))
    assert [(s.field, s.edited, s.changed_underneath) for s in comparison.fields] == [("modelDescription", True, False)]
    assert not comparison.model_changed


def test_status_change_alone_is_a_model_change() -> None:
    comparison = compare(BASE, changed(BASE, status="Stopped"), config_of(BASE))
    assert comparison.fields == ()
    assert comparison.model_changed
    assert (comparison.base_status, comparison.now_status) == ("InService", "Stopped")


def test_conflicts_and_independent_changes() -> None:
    now = with_env(changed(BASE, modelDescription="theirs", allowedGroups=["ops"]), {"MAX_TOTAL_TOKENS": "4096"})
    draft = with_env(changed(config_of(BASE), modelDescription="mine", streaming=False), {"MAX_TOTAL_TOKENS": "4096"})
    comparison = compare(BASE, now, draft)
    states = {s.field: s for s in comparison.fields}
    assert set(states) == {"modelDescription", "allowedGroups", "streaming", "containerConfig.environment.OLD_FLAG"}
    assert comparison.model_changed
    assert [s.field for s in comparison.conflicts] == ["modelDescription"]
    removed = states["containerConfig.environment.OLD_FLAG"]
    assert (removed.base, removed.now, removed.draft) == ("1", None, None)
    assert not removed.conflict  # both removed it


def test_volatile_and_api_keys_are_ignored() -> None:
    now = changed(BASE, lastModifiedDate=5, contextWindow=9, modelUrl="http://alb/v1")
    base = changed(BASE, modelUrl="http://alb/v1")
    now["autoScalingConfig"]["scheduling"] = {"nextScheduledAction": {"action": "STOP"}}
    comparison = compare(base, now, config_of(BASE))  # the draft holds no modelUrl: not an edit
    assert comparison.fields == ()
    assert not comparison.model_changed


def test_feature_order_is_no_change() -> None:
    now = changed(BASE, features=list(reversed(BASE["features"])))
    assert not compare(BASE, now, config_of(BASE)).model_changed


def test_rebase_keeps_their_changes_and_puts_mine_on_top() -> None:
    now = with_env(
        changed(BASE, modelDescription="theirs", allowedGroups=["ops"], status="Stopped"),
        {"MAX_TOTAL_TOKENS": "4096", "OLD_FLAG": "1", "THEIRS": "t"},
    )
    draft = with_env(changed(config_of(BASE), modelDescription="mine"), {"MAX_TOTAL_TOKENS": "8192", "MINE": "m"})
    rebased = rebase(BASE, now, draft)
    assert "status" not in rebased
    assert rebased["modelDescription"] == "mine"  # both changed it: the draft wins
    assert rebased["allowedGroups"] == ["ops"]
    assert rebased["containerConfig"]["environment"] == {"MAX_TOTAL_TOKENS": "8192", "THEIRS": "t", "MINE": "m"}
    after = compare(now, now, rebased)
    assert not after.model_changed
    assert update_request_from(now, rebased) == {
        "modelDescription": "mine",
        "containerConfig": {
            "environment": {"MAX_TOTAL_TOKENS": "8192", "MINE": "m", "OLD_FLAG": "LISA_MARKED_FOR_DELETION"}
        },
    }


def test_rebase_with_no_edits_is_now() -> None:
    now = changed(BASE, modelDescription="theirs")
    assert rebase(BASE, now, config_of(BASE)) == config_of(now)


def test_rebase_tolerates_junk_in_the_draft() -> None:
    draft = changed(config_of(BASE), containerConfig="junk")
    rebased = rebase(BASE, BASE, draft)
    assert rebased["containerConfig"] == "junk"


def test_each_field_offers_a_side_and_defaults_to_the_one_a_plain_rebase_keeps() -> None:
    now = with_env(changed(BASE, modelDescription="theirs", allowedGroups=["ops"]), {"OLD_FLAG": "1", "NEW": "t"})
    draft = with_env(changed(config_of(BASE), modelDescription="mine", streaming=False), {"OLD_FLAG": "1"})
    states = {s.field: s for s in compare(BASE, now, draft).fields}
    assert {name: state.default_side for name, state in states.items() if state.choosable} == {
        "modelDescription": Side.MINE,
        "allowedGroups": Side.THEIRS,
        "streaming": Side.MINE,
        "containerConfig.environment.NEW": Side.THEIRS,
    }
    defaults = {name: state.default_side for name, state in states.items() if state.choosable}
    assert rebase(BASE, now, draft, defaults) == rebase(BASE, now, draft)


def test_rebase_takes_theirs_or_mine_per_field() -> None:
    now = with_env(
        changed(BASE, modelDescription="theirs", allowedGroups=["ops"]), {"MAX_TOTAL_TOKENS": "4096", "THEIRS": "t"}
    )
    draft = with_env(
        changed(config_of(BASE), modelDescription="mine", streaming=False),
        {"MAX_TOTAL_TOKENS": "8192", "OLD_FLAG": "1", "MINE": "m"},
    )
    choices = {
        "modelDescription": Side.THEIRS,  # both changed it: keep theirs
        "streaming": Side.THEIRS,  # only I changed it: drop my edit
        "allowedGroups": Side.MINE,  # only they changed it: keep my (the old) value
        "containerConfig.environment.THEIRS": Side.MINE,  # they added it, my draft has none: removed
        "containerConfig.environment.OLD_FLAG": Side.MINE,  # they removed it, my draft kept it
    }
    rebased = rebase(BASE, now, draft, choices)
    assert rebased["modelDescription"] == "theirs"
    assert rebased["streaming"] == BASE["streaming"]
    assert rebased["allowedGroups"] == BASE["allowedGroups"]
    assert rebased["containerConfig"]["environment"] == {"MAX_TOTAL_TOKENS": "8192", "OLD_FLAG": "1", "MINE": "m"}


def test_a_choice_for_a_field_nobody_changed_changes_nothing() -> None:
    now = changed(BASE, modelDescription="theirs")
    assert rebase(BASE, now, config_of(BASE), {"streaming": Side.MINE}) == config_of(now)
