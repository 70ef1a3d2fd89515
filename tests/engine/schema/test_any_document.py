"""Any document, JSON or YAML, through what `models validate` does: parsed, checked as a create or update request,
its problems printed. Never a traceback; every rejection names a field (issue #18: 24 of 2,388 generated files
crashed it before).

Two sources of documents from one grammar: Hypothesis (which looks for edge cases and shrinks a failure to a small
document) and a seeded plain-random sweep, which costs a tenth as much per document and so covers many more."""

from __future__ import annotations

import json
import random
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ConfigFileError, InvalidInput
from engine.files import parse_document
from engine.schema.validate import parse_request, unknown_field_warnings

HYPOTHESIS_DOCUMENTS = 1_500
SWEPT_DOCUMENTS = 10_000
SWEEP_SEED = 18
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
SPECIAL_SCALARS = ["textgen", "embedding", "vllm", "g5.xlarge", "8:00", "InService", "ecr", "\x00", "\ud800"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**31 - 2, max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16)
    | st.sampled_from(SPECIAL_SCALARS)
)
keys = st.sampled_from(LISA_KEYS) | st.text(max_size=10)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=20,
)


ALPHABETS = [(32, 126), (0, 31), (127, 0xFFFF), (0xD800, 0xDFFF), (0x10000, 0x10FFFF)]
ALPHABET_WEIGHTS = [400, 100, 300, 1, 199]
"""Lone surrogates (the parser refuses any document holding one) about one character in 1,000: at one in 5, half
the documents never got past the parser to the schema."""


def _random_text(rng: random.Random, size: int) -> str:
    """Up to `size` characters, from ASCII, control characters, the rest of the BMP (lone surrogates, rarely) and
    beyond."""
    count = rng.randint(0, size)
    return "".join(chr(rng.randint(*alphabet)) for alphabet in rng.choices(ALPHABETS, ALPHABET_WEIGHTS, k=count))


def _random_scalar(rng: random.Random) -> Any:
    """Each kind of scalar of `scalars`, with the same odds."""
    kind = rng.randrange(7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, 1, -1, rng.randint(-(2**16), 2**16), rng.randint(-(2**70), 2**70)])
    if kind == 3:
        return rng.randint(2**31 - 2, 2**64)
    if kind == 4:
        return rng.choice([0.0, -0.0, 0.5, 1e308, -1e-308, 5e-324, rng.uniform(-1e6, 1e6)])
    if kind == 5:
        return _random_text(rng, 16)
    return rng.choice(SPECIAL_SCALARS)


def random_document(rng: random.Random, leaves: int = 20) -> Any:
    """A document of `documents`' grammar: scalars, lists of up to 4 and mappings of up to 6 (LISA's keys or any
    text), nested, about `leaves` scalars at most."""
    if leaves <= 1 or rng.random() < 0.3:
        return _random_scalar(rng)
    share = max(1, leaves // 3)
    if rng.random() < 0.5:
        return [random_document(rng, share) for _ in range(rng.randint(0, 4))]
    return {
        (rng.choice(LISA_KEYS) if rng.random() < 0.6 else _random_text(rng, 10)): random_document(rng, share)
        for _ in range(rng.randint(0, 6))
    }


def _text(document: Any, as_yaml: bool) -> str | None:
    try:
        if as_yaml:
            return yaml.safe_dump(document, allow_unicode=True)
        return json.dumps(document)
    except (ValueError, yaml.YAMLError, UnicodeEncodeError):
        return None


@settings(max_examples=HYPOTHESIS_DOCUMENTS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans())
def test_any_document_is_valid_or_refused_naming_fields_never_a_traceback(document: Any, as_yaml: bool) -> None:
    check_document(document, as_yaml)


def test_a_sweep_of_random_documents_is_valid_or_refused_naming_fields_never_a_traceback() -> None:
    rng = random.Random(SWEEP_SEED)
    outcomes: dict[str, int] = {"unwritable": 0, "unparsable": 0, "refused": 0, "valid": 0}
    for index in range(SWEPT_DOCUMENTS):
        document = random_document(rng)
        as_yaml = index % 2 == 1
        try:
            outcomes[check_document(document, as_yaml)] += 1
        except Exception as error:
            raise AssertionError(f"document {index} ({'YAML' if as_yaml else 'JSON'}): {document!r}") from error
    # The sweep reaches the parser's refusals, the schema's refusals and valid requests, and most documents reach
    # the schema: it cannot pass by rarely getting past the parser.
    assert outcomes["unparsable"] and outcomes["refused"] and outcomes["valid"], outcomes
    assert outcomes["refused"] + outcomes["valid"] > SWEPT_DOCUMENTS / 2, outcomes
    assert outcomes["refused"] > 2 * outcomes["unparsable"], outcomes


def check_document(document: Any, as_yaml: bool) -> str:
    """What `models validate` does with the document written as YAML or JSON; which way it went."""
    text = _text(document, as_yaml)
    if text is None:
        return "unwritable"
    try:
        parsed = parse_document(text, "generated", json_only=not as_yaml)
    except ConfigFileError as error:
        assert str(error).startswith("generated: ")
        str(error).encode("utf-8")
        return "unparsable"
    try:
        request = parse_request(parsed)
    except InvalidInput as invalid:
        assert invalid.problems
        for problem in invalid.problems:
            assert problem.field and problem.rule
            str(problem).encode("utf-8")
        return "refused"
    for warning in unknown_field_warnings(request):
        str(warning).encode("utf-8")
    json.dumps(request.dump())
    return "valid"
