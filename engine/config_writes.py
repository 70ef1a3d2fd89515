"""An update's configuration as the smallest set of document paths to write: the keys it changed, not the whole
`model_config`, so that what LISA writes inside it meanwhile (its schedule metadata, above all) stays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

MAX_PATHS: Final = 60
"""Beyond this many changed keys the whole map is written instead: DynamoDB caps an update expression at 4 KB."""

Path = tuple[str, ...]


def changed_paths(old: Any, new: Any, root: Path) -> tuple[dict[Path, Any], list[Path]]:
    """(paths to set with their values, paths to remove) that turn `old` into `new` under `root`.

    Maps present on both sides are compared key by key, so every path set has a parent that exists in `old`;
    anything else (lists, scalars, a map replacing a scalar) is set whole. Too many changes set `root` whole."""
    sets: dict[Path, Any] = {}
    removes: list[Path] = []
    _diff(old, new, root, sets, removes)
    if len(sets) + len(removes) > MAX_PATHS:
        return {root: new}, []
    return sets, removes


def _diff(old: Any, new: Any, at: Path, sets: dict[Path, Any], removes: list[Path]) -> None:
    if old == new and type(old) is type(new):
        return
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        sets[at] = new
        return
    for key, value in new.items():
        if key not in old:
            sets[(*at, str(key))] = value
        else:
            _diff(old[key], value, (*at, str(key)), sets, removes)
    removes.extend((*at, str(key)) for key in old if key not in new)
