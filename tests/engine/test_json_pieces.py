"""loads_in_pieces must agree with json.loads on every document, valid or not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.json_pieces import WHOLE_BELOW, dumps_in_pieces, loads_in_pieces

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, 0, 2]), st.sampled_from(["", " ", "\n\t "]), st.sampled_from([0, 1, 2, 5]))
def test_it_returns_what_json_loads_returns(document: Any, indent: int | None, padding: str, depth: int) -> None:
    text = padding + json.dumps(document, indent=indent) + padding
    assert loads_in_pieces(text, whole_below=0, depth=depth) == json.loads(text)
    assert loads_in_pieces(text.encode(), whole_below=0, depth=depth) == json.loads(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "[1,]",
        "[1 2]",
        '{"a" 1}',
        '{"a": 1,}',
        '{"a": 1 "b": 2}',
        "{1: 2}",
        "[1] [2]",
        '{"a": [1, 2}',
        "[",
        '{"a": {"b": }}',
        "\ufeff[1]",
    ],
)
def test_invalid_text_fails_as_json_loads_fails(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    for depth in (1, 2, 5):
        with pytest.raises(json.JSONDecodeError) as got:
            loads_in_pieces(text, whole_below=0, depth=depth)
        assert got.value.msg == expected.value.msg


def test_a_large_listing_is_decoded_as_json_loads_decodes_it() -> None:
    listing = {
        "data": [
            {
                "model_name": f"model-{n}",
                "litellm_params": {"model": f"openai/m{n}", "api_base": "https://x"},
                "model_info": {"id": str(n)},
            }
            for n in range(3000)
        ]
    }
    body = json.dumps(listing).encode()
    assert len(body) > WHOLE_BELOW
    assert loads_in_pieces(body) == listing


def test_duplicate_keys_keep_the_last_value_as_json_loads_does() -> None:
    text = '{"a": [1], "a": [2]}'
    assert loads_in_pieces(text, whole_below=0) == json.loads(text) == {"a": [2]}


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([0, 1, 2, 5]))
def test_dumps_in_pieces_writes_what_json_dumps_writes(document: Any, depth: int) -> None:
    expected = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    assert dumps_in_pieces(document, depth=depth) == expected


def test_dumps_in_pieces_spells_other_keys_and_tuples_as_json_does() -> None:
    document = {"a": {1: "x", None: "y", False: "z"}, "b": ("t", 2), "c": [{"é": 1.5}]}
    assert dumps_in_pieces(document, depth=3) == json.dumps(document, ensure_ascii=False, separators=(",", ":"))
