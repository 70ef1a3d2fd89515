"""pydantic's validation errors in this product's words: the field's dotted path and the rule it broke."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from engine.schema.base import Loc


def key_path(loc: Loc) -> str:
    """('a', 'b', 0, 'c') → 'a.b[0].c', every part as given (keys the user wrote)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "":
            path += '[""]'
        else:
            path += f".{part}" if path else part
    return path


def field_path(loc: Loc) -> str:
    """A pydantic error's location as `key_path` spells it, less the union branch names pydantic adds."""
    return key_path(
        tuple(
            part
            for part in loc
            if isinstance(part, int)
            or not (part in _UNION_BRANCHES or part.startswith(("function-", "list[", "dict[")))
        )
    )


_UNION_BRANCHES = {"str", "int", "bool", "float", "list[str]"}

_RULES: dict[str, str] = {
    "missing": "is required",
    "string_type": 'must be a string (in YAML, quote values such as "4096")',
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "none_required": "must be empty",
}


def rule_text(detail: ErrorDetails) -> str:
    kind = detail["type"]
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    if kind in _RULES:
        return _RULES[kind]
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else f"needs at least {ctx['min_length']} characters"
    if kind == "enum":
        return f"must be one of {ctx['expected']}"
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    message = detail["msg"]
    return message[0].lower() + message[1:] if message else kind
