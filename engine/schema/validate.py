"""Strict entry points: check a create/update request and report every problem by field and rule."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError

from engine.errors import InvalidInput, Problem
from engine.schema.base import LisaShape, RuleViolations, unknown_in_data
from engine.schema.problems import field_path, key_path, rule_text
from engine.schema.requests import (
    CreateModelRequest,
    UpdateModelRequest,
    check_create_rules,
    check_update_rules,
)

Shape = TypeVar("Shape", bound=LisaShape)


class RequestKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"


def detect_kind(data: object) -> RequestKind:
    """A create request names its model (modelId); an update request never does."""
    if isinstance(data, dict) and "modelId" in data:
        return RequestKind.CREATE
    return RequestKind.UPDATE


def parse_create(data: object) -> CreateModelRequest:
    return _parse(CreateModelRequest, data)


def parse_update(data: object) -> UpdateModelRequest:
    return _parse(UpdateModelRequest, data)


def parse_request(data: object, kind: RequestKind | None = None) -> CreateModelRequest | UpdateModelRequest:
    kind = kind or detect_kind(data)
    return parse_create(data) if kind is RequestKind.CREATE else parse_update(data)


def _parse(shape: type[Shape], data: object) -> Shape:
    """Validate `data` as `shape`; raise InvalidInput (and only that) listing every problem."""
    subject = shape.__name__
    if not isinstance(data, dict):
        raise InvalidInput([Problem(subject, f"must be a mapping of fields, not {_kind_of(data)}")], subject)
    try:
        parsed = shape.model_validate(data)
    except ValidationError as error:
        problems = set(_problems(error, subject))
        problems.update(_cross_field_problems(shape, data, subject))
        # warnings, as in a valid request (LISA's API ignores them), named here too: one may be the typo behind a
        # problem
        warnings = {_unknown_field(loc, subject) for loc in unknown_in_data(shape, data)}
        raise InvalidInput(sorted(problems), subject, warnings=sorted(warnings)) from None
    return parsed


def unknown_field_warnings(request: LisaShape) -> list[Problem]:
    """The keys of a parsed request that are not part of LISA's shape: LISA's API ignores them, so do we (they are
    not sent), but each is named so that a typo does not go unseen."""
    subject = type(request).__name__
    return sorted(_unknown_field(loc, subject) for loc in request.unknown_fields())


def _unknown_field(loc: tuple[str | int, ...], subject: str) -> Problem:
    return Problem(key_path(loc), f"unknown field (not part of LISA's {subject}): ignored, not sent")


def _problems(error: ValidationError, subject: str) -> list[Problem]:
    return [Problem(field_path(detail["loc"]) or subject, rule_text(detail)) for detail in error.errors()]


def _cross_field_problems(shape: type[LisaShape], data: dict[str, Any], subject: str) -> list[Problem]:
    """Pydantic skips model-level rules once a field fails; run them on the raw input so all are reported."""
    checks = {CreateModelRequest: check_create_rules, UpdateModelRequest: check_update_rules}
    check = checks.get(shape)
    if check is None:
        return []
    violations = RuleViolations(subject)
    check(violations, data)
    try:
        violations.raise_any()
    except ValidationError as error:
        return _problems(error, subject)
    return []


def _kind_of(data: object) -> str:
    if data is None:
        return "nothing (empty document)"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "text"
    return f"a {type(data).__name__}"
