"""The pydantic base every LISA shape uses, and the way cross-field rules report the field they are about."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]


class LisaShape(BaseModel):
    """A LISA API object. Unknown keys are kept while parsing (a newer LISA may add some), reported as warnings,
    and left out of `dump()`."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, use_enum_values=False)

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
