"""The pydantic base every LISA shape uses, and the way cross-field rules report the field they are about."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls and DEL but tab, line feed and carriage return: AWS APIs refuse them (NUL above all) where the
text ends up (stack parameters, task definitions, tags), and they are invisible in every view."""


def control_character_in(value: object) -> str | None:
    """The first control character in a string, a list's strings or a mapping's keys and values; None if none."""
    if isinstance(value, str):
        found = CONTROL_CHARACTER.search(value)
        return found.group() if found else None
    if isinstance(value, list | tuple):
        return next((c for item in value if (c := control_character_in(item)) is not None), None)
    if isinstance(value, dict):
        return next(
            (c for key, item in value.items() if (c := control_character_in(key) or control_character_in(item))),
            None,
        )
    return None


class LisaShape(BaseModel):
    """A LISA API object. Unknown keys are kept while parsing (a newer LISA may add some), reported as warnings,
    and left out of `dump()`."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, use_enum_values=False)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        found = control_character_in(value)
        if found is not None:
            raise ValueError(f"must not contain control characters (found U+{ord(found):04X})")
        return value

    def dump(self, *, defaults: bool = False) -> dict[str, Any]:
        """The object as LISA's API writes it: only the keys that were given (with `defaults`, every field, unset
        ones at their defaults and None, as LISA's handlers store a request with `model_dump()`), enums as their
        values; keys that are not part of LISA's shape are left out (ignored, as LISA's API ignores them)."""
        data = self.model_dump(mode="json", exclude_unset=not defaults)
        for loc in sorted(self.unknown_fields(), key=len, reverse=True):
            _drop(data, loc)
        return data

    def unknown_fields(self, prefix: Loc = ()) -> Iterator[Loc]:
        """Locations of keys that are not part of LISA's shape, at any depth."""
        for key in self.model_extra or {}:
            yield (*prefix, key)
        for name in self.model_fields_set:
            yield from _unknown_in(getattr(self, name, None), (*prefix, name))


def _drop(data: Any, loc: Loc) -> None:
    for step in loc[:-1]:
        data = _child(data, step)
    if isinstance(data, dict):
        data.pop(loc[-1], None)


def _child(data: Any, step: str | int) -> Any:
    if isinstance(data, dict):
        return data.get(step)
    if isinstance(data, list) and isinstance(step, int) and step < len(data):
        return data[step]
    return None


def _unknown_in(value: object, prefix: Loc) -> Iterator[Loc]:
    if isinstance(value, LisaShape):
        yield from value.unknown_fields(prefix)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_in(item, (*prefix, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unknown_in(item, (*prefix, key))


def unknown_in_data(shape: type[LisaShape], data: object, prefix: Loc = ()) -> Iterator[Loc]:
    """Locations of keys of raw `data` (a request that did not parse) that are not part of `shape`, at any depth
    where the value is a mapping given for a field of a LISA shape (in a list of them too)."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        field = shape.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            yield (*prefix, key)
            continue
        for inner in _shapes_in(field.annotation):
            if isinstance(value, dict):
                yield from unknown_in_data(inner, value, (*prefix, key))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield from unknown_in_data(inner, item, (*prefix, key, index))
            break


def _shapes_in(annotation: object) -> list[type[LisaShape]]:
    """The LISA shapes an annotation names (`X`, `X | None`, `list[X]`)."""
    if isinstance(annotation, type) and issubclass(annotation, LisaShape):
        return [annotation]
    return [shape for arg in get_args(annotation) for shape in _shapes_in(arg)]


class RuleViolations:
    """Collects cross-field rule breaks inside a model validator, then raises them as one ValidationError."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._errors: list[InitErrorDetails] = []

    def add(self, loc: Loc, rule: str, value: object = None) -> None:
        self._errors.append(InitErrorDetails(type=PydanticCustomError("lisa_rule", rule), loc=loc, input=value))

    def raise_any(self) -> None:
        if self._errors:
            raise ValidationError.from_exception_data(self._title, self._errors)
