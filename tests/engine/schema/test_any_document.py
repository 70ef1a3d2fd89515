"""Any document, JSON or YAML, through what `models validate` does: parsed, checked as a create or update request,
its problems printed. Never a traceback; every rejection names a field (issue #18: 24 of 2,388 generated files
crashed it before)."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ConfigFileError, InvalidInput
from engine.files import parse_document
from engine.schema.validate import parse_request, unknown_field_warnings

DOCUMENTS = 10_000
LISA_KEYS = [
    "modelId",
    "modelName",
    "modelType",
    "modelUrl",
    "streaming",
    "enabled",
    "hostingType",
    "apiKey",
    "instanceType",
    "inferenceContainer",
    "features",
    "allowedGroups",
    "autoScalingConfig",
    "autoScalingInstanceConfig",
    "containerConfig",
    "loadBalancerConfig",
    "metricConfig",
    "minCapacity",
    "maxCapacity",
    "desiredCapacity",
    "environment",
    "image",
    "scheduling",
    "guardrailsConfig",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**31 - 2, max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16)
    | st.sampled_from(["textgen", "embedding", "vllm", "g5.xlarge", "8:00", "InService", "ecr", "\x00", "\ud800"])
)
keys = st.sampled_from(LISA_KEYS) | st.text(max_size=10)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=20,
)


def _text(document: Any, as_yaml: bool) -> str | None:
    try:
        if as_yaml:
            return yaml.safe_dump(document, allow_unicode=True)
        return json.dumps(document)
    except (ValueError, yaml.YAMLError, UnicodeEncodeError):
        return None


@settings(max_examples=DOCUMENTS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans())
def test_any_document_is_valid_or_refused_naming_fields_never_a_traceback(document: Any, as_yaml: bool) -> None:
    text = _text(document, as_yaml)
    if text is None:
        return
    try:
        parsed = parse_document(text, "generated", json_only=not as_yaml)
    except ConfigFileError as error:
        assert str(error).startswith("generated: ")
        str(error).encode("utf-8")
        return
    try:
        request = parse_request(parsed)
    except InvalidInput as invalid:
        assert invalid.problems
        for problem in invalid.problems:
            assert problem.field and problem.rule
            str(problem).encode("utf-8")
        return
    for warning in unknown_field_warnings(request):
        str(warning).encode("utf-8")
    json.dumps(request.dump())
