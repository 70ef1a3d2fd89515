"""Has the model changed since a draft was based on it? A three-way comparison (base, now, draft) per field,
and a rebase of the draft's own edits onto the model as it is now, keeping "mine" or "theirs" field by field."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from engine.config_edit import (
    API_DECORATIONS,
    config_of,
    leaf_items,
    normal_features,
    remove_leaf,
    same,
    set_leaf,
)

VOLATILE_PATHS: Final = (
    "lastModifiedDate",
    "autoScalingConfig.scheduling.scheduleEnabled",
    "autoScalingConfig.scheduling.scheduleConfigured",
    "autoScalingConfig.scheduling.lastScheduleFailed",
    "autoScalingConfig.scheduling.lastScheduleFailure",
    "autoScalingConfig.scheduling.lastScheduleUpdate",
    "autoScalingConfig.scheduling.nextScheduledAction",
)
"""Leaves LISA's server rewrites by itself (the schedule monitor): never an edit, never a conflict."""


@dataclass(frozen=True)
class FieldState:
    field: str
    """Dotted path (`containerConfig.environment.KEY`); None below means the field is not set on that side."""
    base: Any
    now: Any
    draft: Any

    @property
    def changed_underneath(self) -> bool:
        return not same(self.base, self.now)

    @property
    def edited(self) -> bool:
        return not same(self.draft, self.base)

    @property
    def conflict(self) -> bool:
        return self.changed_underneath and self.edited and not same(self.draft, self.now)

    @property
    def choosable(self) -> bool:
        """The draft and the model now differ here: a rebase keeps one of the two."""
        return not same(self.draft, self.now)

    @property
    def default_side(self) -> Side:
        """What a rebase keeps unless told: the draft's value where the draft edited the field, else the model's."""
        return Side.MINE if self.edited else Side.THEIRS


class Side(StrEnum):
    MINE = "mine"
    """The draft's value (or its removal)."""
    THEIRS = "theirs"
    """The model's value now (or its absence)."""


@dataclass(frozen=True)
class Comparison:
    fields: tuple[FieldState, ...]
    """Only the fields where something differs, in path order."""
    base_status: str | None
    now_status: str | None

    @property
    def model_changed(self) -> bool:
        return self.base_status != self.now_status or any(state.changed_underneath for state in self.fields)

    @property
    def conflicts(self) -> tuple[FieldState, ...]:
        return tuple(state for state in self.fields if state.conflict)


_MISSING: Final[Any] = object()
Path = tuple[str, ...]


def _leaves(config: Mapping[str, Any]) -> dict[Path, Any]:
    shape = config_of(config)
    if "features" in shape:
        shape["features"] = normal_features(shape["features"])
    leaves = leaf_items(shape)
    return {path: value for path, value in leaves.items() if not ".".join(path).startswith(VOLATILE_PATHS)}


def _draft_leaves(base: Mapping[str, Any], draft_config: Mapping[str, Any]) -> dict[Path, Any]:
    """The draft's leaves; an API decoration (modelUrl) the draft does not hold is taken as unedited."""
    leaves = _leaves(draft_config)
    if isinstance(draft_config, Mapping):
        base_leaves = _leaves(base)
        for key in API_DECORATIONS:
            if key not in draft_config and (key,) in base_leaves:
                leaves[(key,)] = base_leaves[(key,)]
    return leaves


def compare(base: Mapping[str, Any], now: Mapping[str, Any], draft_config: Mapping[str, Any]) -> Comparison:
    """Compare the model when the draft was started (`base`), the model now (`now`, both as the API returns
    them, with "status") and the draft's configuration, leaf by leaf."""
    old, current, draft = _leaves(base), _leaves(now), _draft_leaves(base, draft_config)
    states = []
    for path in sorted(old.keys() | current.keys() | draft.keys()):
        values = [side.get(path, _MISSING) for side in (old, current, draft)]
        if all(same(values[0], value) for value in values[1:]):
            continue
        states.append(FieldState(".".join(path), *(None if value is _MISSING else value for value in values)))
    return Comparison(tuple(states), _status(base), _status(now))


def _status(shape: Mapping[str, Any]) -> str | None:
    status = shape.get("status") if isinstance(shape, Mapping) else None
    return None if status is None else str(status)


def rebase(
    base: Mapping[str, Any],
    now: Mapping[str, Any],
    draft_config: Mapping[str, Any],
    choices: Mapping[str, Side] | None = None,
) -> dict[str, Any]:
    """The model's configuration as it is now (`now`, API-only keys removed) with the draft's own edits on top:
    every leaf where the draft differs from `base` is set (or removed, for an environment variable the draft
    removed). `choices` (a `FieldState.field` → side) overrides a field: THEIRS keeps the model's value even where
    the draft edited it, MINE takes the draft's value even where only the model changed. Unchosen, where both
    changed a field the draft's value wins. The draft's new base is `now`."""
    old, current, draft = _leaves(base), _leaves(now), _draft_leaves(base, draft_config)
    given = choices or {}
    chosen = {
        path: Side(given[name])
        for path in old.keys() | current.keys() | draft.keys()
        if (name := ".".join(path)) in given
    }
    result = copy.deepcopy(config_of(now))
    edited = (old.keys() ^ draft.keys()) | {
        path for path in old.keys() & draft.keys() if not same(old[path], draft[path])
    }
    mine = sorted(path for path in edited | chosen.keys() if chosen.get(path, Side.MINE) is Side.MINE)
    for path in mine:
        if path in draft:
            set_leaf(result, path, copy.deepcopy(draft[path]))
        else:
            remove_leaf(result, path)
    return result
