"""The wizard's state and rules without widgets: what may be edited, what is wrong, what would be sent."""

from __future__ import annotations

import copy

from engine.rules.capabilities import Impact
from engine.sandbox.catalog import catalog_by_id
from engine.schema.stored import stored_config
from ui.wizard.form import CREATE_ONLY, Mode, WizardForm
from ui.wizard.specs import BY_PATH, hosted_defaults


def api_shape(model_id: str) -> dict:
    model = catalog_by_id()[model_id]
    return {**copy.deepcopy(model.config), "status": model.status.value}


def test_max_below_min_is_reported_at_both_bounds_and_nothing_can_be_sent() -> None:
    form = WizardForm(Mode.CREATE, {"hostingType": "lisa_hosted"})
    form.set_value("autoScalingConfig.minCapacity", 3)
    form.set_value("autoScalingConfig.maxCapacity", 2)
    validation = form.validate()
    assert any("maxCapacity" in rule for rule in validation.by_field["autoScalingConfig.maxCapacity"])
    assert validation.by_field["autoScalingConfig.minCapacity"] == validation.by_field["autoScalingConfig.maxCapacity"]
    assert validation.request is None


def test_a_complete_hosted_create_validates_and_leaves_out_third_party_fields() -> None:
    form = WizardForm(Mode.CREATE, {"hostingType": "lisa_hosted"})
    for path, value in {
        "modelId": "my-model",
        "modelName": "org/my-model",
        "instanceType": "g5.xlarge",
        "inferenceContainer": "vllm",
        "containerConfig.image.baseImage": "vllm/vllm-openai:v0.5.0",
        "apiKey": "left over from a third-party attempt",
    }.items():
        form.set_value(path, value)
    validation = form.validate()
    assert validation.ok, (validation.by_field, validation.general)
    assert validation.request is not None
    assert "apiKey" not in validation.request
    assert validation.request["autoScalingConfig"] == hosted_defaults()["autoScalingConfig"]


def test_switching_a_create_to_third_party_drops_the_hosted_fields_from_the_request() -> None:
    form = WizardForm(Mode.CREATE, {"hostingType": "lisa_hosted", "modelId": "m", "modelName": "n"})
    form.set_value("hostingType", "third_party")
    request = form.create_request()
    assert not {"containerConfig", "autoScalingConfig", "loadBalancerConfig"} & set(request)
    assert form.validate().ok


def test_a_third_party_update_locks_container_and_scaling_fields_with_the_capability_reason() -> None:
    form = WizardForm(Mode.UPDATE, stored_config(api_shape("claude-3-5-sonnet")), base=api_shape("claude-3-5-sonnet"))
    env = form.lock_reason(BY_PATH["containerConfig.environment"])
    assert env == "Environment variables cannot be changed on a third_party model (only lisa_hosted models allow it)"
    assert "Min capacity cannot be changed on a third_party model" in str(
        form.lock_reason(BY_PATH["autoScalingConfig.minCapacity"])
    )
    assert form.lock_reason(BY_PATH["modelId"]) == CREATE_ONLY
    assert form.lock_reason(BY_PATH["modelDescription"]) is None
    assert form.shows(BY_PATH["autoScalingConfig.minCapacity"])


def test_an_update_of_env_and_min_capacity_plans_a_restart_and_marks_removed_variables() -> None:
    base = api_shape("mistral-7b-instruct")
    form = WizardForm(Mode.UPDATE, stored_config(base), base=base)
    env = dict(form.value("containerConfig.environment"))
    env["MAX_TOTAL_TOKENS"] = "8192"
    del env["VLLM_MAX_MODEL_LEN"]
    form.set_value("containerConfig.environment", env)
    form.set_value("autoScalingConfig.minCapacity", 2)
    validation = form.validate()
    assert validation.ok, (validation.by_field, validation.general)
    assert validation.request == {
        "containerConfig": {
            "environment": {"MAX_TOTAL_TOKENS": "8192", "VLLM_MAX_MODEL_LEN": "LISA_MARKED_FOR_DELETION"}
        },
        "autoScalingInstanceConfig": {"minCapacity": 2},
    }
    plan = validation.plan
    assert plan is not None and plan.requires_ack
    fields = {change.field: change.impact for change in plan.changes}
    assert fields["containerConfig.environment.MAX_TOTAL_TOKENS"] is Impact.ECS_RESTART
    assert fields["autoScalingInstanceConfig.minCapacity"] is Impact.NONE


def test_an_update_that_breaks_a_rule_names_the_field_in_configuration_terms() -> None:
    base = api_shape("mistral-7b-instruct")
    form = WizardForm(Mode.UPDATE, stored_config(base), base=base)
    form.set_value("autoScalingConfig.minCapacity", 5)  # max is 3
    validation = form.validate()
    assert "autoScalingConfig.minCapacity" in validation.by_field
    assert validation.request is None


def test_an_unchanged_update_has_nothing_to_send() -> None:
    base = api_shape("mistral-7b-instruct")
    validation = WizardForm(Mode.UPDATE, stored_config(base), base=base).validate()
    assert validation.request is None
    assert validation.general == ["nothing is changed yet: edit a field to make an update"]


def test_problems_a_stored_record_already_had_do_not_block_an_update() -> None:
    base = api_shape("claude-3-5-sonnet")
    base["modelName"] = ""  # written by another LISA version; today's create rules refuse it
    form = WizardForm(Mode.UPDATE, stored_config(base), base=base)
    form.set_value("modelDescription", "new words")
    validation = form.validate()
    assert validation.ok, (validation.by_field, validation.general)
    assert validation.request == {"modelDescription": "new words"}


def test_a_status_that_forbids_updates_is_a_general_problem() -> None:
    base = api_shape("gemma-2-9b-it")  # Updating
    form = WizardForm(Mode.UPDATE, stored_config(base), base=base)
    form.set_value("modelDescription", "x")
    validation = form.validate()
    assert any(problem.startswith("Status:") for problem in validation.general)
    assert not validation.ok


def test_the_summarization_overview_needs_summarization_on() -> None:
    form = WizardForm(Mode.CREATE, {})
    overview = BY_PATH["features[summarization].overview"]
    assert form.lock_reason(overview) is not None
    form.set_value("features[summarization]", True)
    assert form.lock_reason(overview) is None
    form.set_value("features[summarization].overview", "short reports")
    assert form.create_request()["features"] == [{"name": "summarization", "overview": "short reports"}]


def test_raising_min_above_the_stored_desired_notes_that_desired_follows() -> None:
    base = api_shape("mistral-7b-instruct")  # min 1, desired 1, max 3
    form = WizardForm(Mode.UPDATE, stored_config(base), base=base)
    form.set_value("autoScalingConfig.minCapacity", 2)
    validation = form.validate()
    assert validation.ok
    assert validation.notes["autoScalingConfig.desiredCapacity"].startswith("will become 2")
