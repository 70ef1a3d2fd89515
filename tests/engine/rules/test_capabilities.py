"""The capability table: equal to LISA's documented table, and each row behaving as it says in plan()."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from engine.plan import Step, plan
from engine.rules.capabilities import CAPABILITIES, Capability, Category, Impact
from engine.schema.enums import ModelHostingType
from engine.schema.validate import parse_update
from tests.engine.factories import hosted_config, record, third_party_config

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "update-capabilities.md"

OLD_FEATURES = [{"name": "summarization", "overview": "old overview"}, {"name": "toolCalls", "overview": ""}]

# For each row: an update request that changes exactly that capability of the test models.
CHANGE_FOR: dict[str, dict[str, Any]] = {
    "model_description": {"modelDescription": "new description"},
    "allowed_groups": {"allowedGroups": ["admins"]},
    "summarization_capabilities": {
        "features": [{"name": "summarization", "overview": "new overview"}, {"name": "toolCalls", "overview": ""}]
    },
    "streaming": {"streaming": False},
    "tool_calls": {"features": [OLD_FEATURES[0]]},
    "image_input": {"features": [*OLD_FEATURES, {"name": "imageInput", "overview": ""}]},
    "summarization": {"features": [OLD_FEATURES[1]]},
    "reasoning": {"features": [*OLD_FEATURES, {"name": "reasoning", "overview": ""}]},
    "min_capacity": {"autoScalingInstanceConfig": {"minCapacity": 2}},
    "max_capacity": {"autoScalingInstanceConfig": {"maxCapacity": 4}},
    "desired_capacity": {"autoScalingInstanceConfig": {"desiredCapacity": 2}},
    "cooldown": {"autoScalingInstanceConfig": {"cooldown": 300}},
    "default_instance_warmup": {"autoScalingInstanceConfig": {"defaultInstanceWarmup": 120}},
    "environment": {"containerConfig": {"environment": {"NEW_VAR": "1"}}},
    "shared_memory_size": {"containerConfig": {"sharedMemorySize": 4096}},
    "health_check_command": {"containerConfig": {"healthCheckCommand": ["CMD", "curl", "-f", "localhost:8080"]}},
    "health_check_interval": {"containerConfig": {"healthCheckInterval": 20}},
    "health_check_start_period": {"containerConfig": {"healthCheckStartPeriod": 600}},
    "health_check_timeout": {"containerConfig": {"healthCheckTimeout": 9}},
    "health_check_retries": {"containerConfig": {"healthCheckRetries": 5}},
    "start_stop": {"enabled": False},
    "guardrails": {"guardrailsConfig": {"guardrail-pii": {"guardrailName": "pii", "guardrailIdentifier": "gr-1"}}},
}


def reference_rows() -> list[tuple[str, str, bool, bool, str]]:
    rows = []
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[2] in "✓✗" and cells[2]:
            rows.append((cells[0], cells[1], cells[2] == "✓", cells[3] == "✓", cells[4]))
    return rows


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside this checkout")
def test_table_equals_the_documented_table() -> None:
    documented = reference_rows()
    assert len(documented) == 20
    ours = [
        (str(c.category), c.label, c.third_party, c.lisa_hosted, str(c.impact).lower())
        for c in CAPABILITIES
        if c.documented
    ]
    theirs = [
        (category, re.sub(r"\s+", " ", label).capitalize(), third_party, hosted, impact.lower())
        for category, label, third_party, hosted, impact in documented
    ]
    assert [(a, b.capitalize(), c, d, e) for a, b, c, d, e in ours] == theirs


def test_every_row_has_a_change_under_test() -> None:
    assert set(CHANGE_FOR) == {c.key for c in CAPABILITIES}


def test_only_reasoning_and_guardrails_are_undocumented_extensions() -> None:
    assert [c.key for c in CAPABILITIES if not c.documented] == ["reasoning", "guardrails"]


def _capabilities_changed(result: Any) -> set[str]:
    return {change.capability.key for change in result.changes if change.capability and not change.derived}


@pytest.mark.parametrize("row", CAPABILITIES, ids=lambda c: c.key)
def test_row_on_a_lisa_hosted_in_service_model(row: Capability) -> None:
    result = plan(record(hosted_config()), parse_update(CHANGE_FOR[row.key]))
    assert _capabilities_changed(result) == {row.key}
    assert result.ok, result.violations
    assert all(change.impact is row.impact for change in result.changes)
    if row.category is Category.CONTAINER:
        assert result.steps == (Step.INTAKE, Step.ECS, Step.FINALIZE)
        assert result.restarts_containers
        assert result.requires_ack
    elif row.category is Category.AUTO_SCALING:
        assert result.steps == (Step.INTAKE, Step.CAPACITY, Step.FINALIZE)
        assert not result.requires_ack
    elif row.category is Category.LIFECYCLE:
        assert result.steps == (Step.INTAKE, Step.LITELLM_UNREGISTER, Step.CAPACITY, Step.FINALIZE)
        assert result.interrupts_service
        assert row.impact is Impact.SERVICE_INTERRUPTION
    elif row.category is Category.GUARDRAILS:
        assert result.steps == (Step.INTAKE, Step.GUARDRAILS, Step.FINALIZE)
        assert not result.requires_ack
        assert not result.interrupts_service
    else:
        assert result.steps == (Step.METADATA,)
        assert not result.requires_ack
        assert not result.interrupts_service


@pytest.mark.parametrize("row", CAPABILITIES, ids=lambda c: c.key)
def test_row_on_a_third_party_model(row: Capability) -> None:
    result = plan(record(third_party_config()), parse_update(CHANGE_FOR[row.key]))
    assert _capabilities_changed(result) == {row.key}
    assert row.allowed_for(ModelHostingType.THIRD_PARTY) is row.third_party
    if row.third_party:
        assert result.ok, result.violations
        held = row.category is Category.GUARDRAILS
        assert result.steps == ((Step.INTAKE, Step.GUARDRAILS, Step.FINALIZE) if held else (Step.METADATA,))
    else:
        assert not result.ok
        field = row.update_field.split("[")[0]
        assert any(p.field.startswith(field) and row.label in p.rule for p in result.violations)
        assert all("third_party" in p.rule for p in result.violations)
    assert not result.requires_ack


@pytest.mark.parametrize("row", CAPABILITIES, ids=lambda c: c.key)
def test_row_on_an_internal_hosted_model_follows_the_third_party_column(row: Capability) -> None:
    config = third_party_config(hostingType="internal_hosted", modelUrl="http://m.elb.amazonaws.com/v1")
    result = plan(record(config), parse_update(CHANGE_FOR[row.key]))
    assert result.ok is row.third_party
