"""`json.loads` and `json.dumps` for large documents, a member at a time so other threads keep running.

`json.loads` is one C call: it holds the GIL for the whole text, about 20 ms per megabyte here, and the window's
GUI thread waits that long for its next paint or timer (`json.dumps` likewise). A listing such as LiteLLM's
`/model/info` for thousands of models is several megabytes. `loads_in_pieces` gives the same result, but decodes
the members of the top-level object or array, and of the containers directly inside it, one by one: the
interpreter can switch threads between any two of them, so the GIL is held for one model's entry at a time.
`dump_in_pieces` writes what `json.dumps` would, encoding that way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

WHOLE_BELOW: Final = 64 * 1024
"""Texts shorter than this are decoded in one call (a millisecond or two)."""
SPREAD_DEPTH: Final = 2
"""By default the top level and the containers directly inside it are decoded member by member."""

_DECODER: Final = json.JSONDecoder()
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Compact, non-ASCII kept: what `dump_in_pieces` writes (json.dumps(value, ensure_ascii=False,
separators=(",", ":")))."""
_SPACE: Final = re.compile(r"[ \t\n\r]*")


def loads_in_pieces(text: str | bytes, *, whole_below: int = WHOLE_BELOW, depth: int = SPREAD_DEPTH) -> Any:
    """What `json.loads(text)` returns (ValueError on invalid JSON), without holding the GIL throughout.

    Containers nested less than `depth` deep are decoded member by member, deeper ones whole."""
    if len(text) < whole_below:
        return json.loads(text)
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    value, end = _value(text, _skip(text, 0), depth)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _value(text: str, position: int, depth: int) -> tuple[Any, int]:
    """The value at `position` and where it ends; `depth` more levels are decoded member by member."""
    opener = text[position : position + 1]
    if depth <= 0 or opener not in ("{", "["):
        return _DECODER.raw_decode(text, position)
    if opener == "[":
        return _array(text, position, depth)
    return _object(text, position, depth)


def _next_member(text: str, position: int, closer: str) -> int | None:
    """After a member: where the next one starts, or None when `closer` ends the container here."""
    position = _skip(text, position)
    if text.startswith(",", position):
        return _skip(text, position + 1)
    if text.startswith(closer, position):
        return None
    raise json.JSONDecodeError("Expecting ',' delimiter", text, position)


def _array(text: str, position: int, depth: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    first = _skip(text, position + 1)
    if text.startswith("]", first):
        return items, first + 1
    start: int | None = first
    while start is not None:
        item, position = _value(text, start, depth - 1)
        items.append(item)
        start = _next_member(text, position, "]")
    return items, _skip(text, position) + 1


def _object(text: str, position: int, depth: int) -> tuple[dict[str, Any], int]:
    members: dict[str, Any] = {}
    first = _skip(text, position + 1)
    if text.startswith("}", first):
        return members, first + 1
    start: int | None = first
    while start is not None:
        if not text.startswith('"', start):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, start)
        key, position = _DECODER.raw_decode(text, start)
        position = _skip(text, position)
        if not text.startswith(":", position):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, position)
        members[key], position = _value(text, _skip(text, position + 1), depth - 1)
        start = _next_member(text, position, "}")
    return members, _skip(text, position) + 1


def dump_in_pieces(value: Any, write: Callable[[str], object], *, depth: int = SPREAD_DEPTH) -> None:
    """Write compact JSON of `value` through `write`, containers less than `depth` deep a member at a time."""
    if depth <= 0 or not isinstance(value, dict | list | tuple):
        write(_ENCODER.encode(value))
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            write(_ENCODER.encode(value))  # json's own spelling of other keys (1 → "1", None → "null")
            return
        write("{")
        for number, (key, member) in enumerate(value.items()):
            write(f",{_ENCODER.encode(key)}:" if number else f"{_ENCODER.encode(key)}:")
            dump_in_pieces(member, write, depth=depth - 1)
        write("}")
    else:
        write("[")
        for number, item in enumerate(value):
            if number:
                write(",")
            dump_in_pieces(item, write, depth=depth - 1)
        write("]")


def dumps_in_pieces(value: Any, *, depth: int = SPREAD_DEPTH) -> str:
    parts: list[str] = []
    dump_in_pieces(value, parts.append, depth=depth)
    return "".join(parts)
