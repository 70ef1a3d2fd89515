"""One row of the console's model table: plain data, cheap to import, copy, compare and cache on disk.

The window draws rows, never records or AWS responses: a row is what the table, the filter, the action gates
and the details pane need, and nothing that would pull boto3 or pydantic into the GUI's start-up path.

A row's model configuration and live facts are kept as compact JSON text (`config_json`, `live_json`) and parsed
only when `config` or `live` is read (the details pane, Copy as JSON, Export, the wizard): a refresh of 5,000
models then compares strings instead of nested dicts, the rows hold far fewer objects for the garbage collector to
scan, they cross the inventory reader's pipe cheaply, and the snapshot writes the text as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, overload

from engine.secrets import revealed

ROW_FORMAT: Final = 8
"""Bumped whenever the fields change, so an older on-disk snapshot is ignored rather than misread."""

EMPTY_JSON: Final = "{}"


@overload
def json_text(value: Mapping[str, Any]) -> str: ...
@overload
def json_text(value: None) -> None: ...
def json_text(value: Mapping[str, Any] | None) -> str | None:
    """`value` as the compact JSON text a row keeps (None stays None); keys keep their order."""
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


_UNPARSED: Final[Any] = object()


@dataclass(frozen=True, slots=True)
class ModelRow:
    model_id: str
    model_name: str
    hosting: str
    """A ModelHostingType value: lisa_hosted, third_party or internal_hosted."""
    model_type: str
    status: str
    """A ModelStatus value (InService, Stopped, ...)."""
    instance_type: str | None = None
    min_capacity: int | None = None
    desired_capacity: int | None = None
    max_capacity: int | None = None
    """Capacity as the Auto Scaling group has it now; the configured bounds where the group could not be read."""
    running_tasks: int | None = None
    healthy_instances: int | None = None
    streaming: bool = False
    features: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()
    last_modified: int | None = None
    """Epoch milliseconds, as LISA stores `last_modified_date`."""
    failure_reason: str | None = None
    live_error: str | None = None
    """Why some live facts are missing (stack, service or group not found; LiteLLM unreachable)."""
    config_json: str = EMPTY_JSON
    """`config` as JSON text (`json_text()`)."""
    live_json: str | None = None
    """`live` as JSON text, None for third-party models."""
    litellm_registered: bool | None = None
    """Whether LiteLLM has the model's `litellm_id`; None when LiteLLM could not be asked."""
    held_by: str | None = None
    """The desktop job holding the model in a transitional status, as its item names it: `job-… (caller ARN on
    host, since …)`; None when no job holds it."""
    heartbeat: int | None = None
    """Epoch milliseconds of that job's last heartbeat (its last modification for a job of a version without
    leases, as `engine.jobs.lease.hold_of` reads it); None when no job holds the model."""
    unreadable: str | None = None
    """Why this version cannot read the model's stored record (e.g. a status a newer LISA added); None for every
    readable one. Such a row shows the item as stored and offers nothing but copying it."""
    context_window: int | None = None
    """The record's top-level `context_window` (LISA's `contextWindow`), None when it has none."""
    is_default: bool = False
    """Whether the model is LISA's default model (its configuration's `global.defaultModel`)."""
    schedule_json: str | None = None
    """The model's schedule (`autoScalingConfig.scheduling`) in short, as JSON text: `{"timezone": IANA zone,
    "windows": [[day, startTime, stopTime], ...]}` with day `daily` (every day) or a weekday; None without one.
    The window computes the "Next action" from it as time passes, without reading the record again."""
    secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """The secret fields `config` holds masked (`engine.secrets`), by path, for Reveal and an export that asks for
    them: kept in memory only (never stored, never in a repr, hence never in a log)."""
    _config: Any = field(default=_UNPARSED, init=False, repr=False, compare=False)
    _live: Any = field(default=_UNPARSED, init=False, repr=False, compare=False)

    @classmethod
    def of(
        cls, *, config: Mapping[str, Any] | None = None, live: Mapping[str, Any] | None = None, **values: Any
    ) -> ModelRow:
        """A row from its fields, with `config` and `live` given as mappings."""
        return cls(**values, config_json=json_text(config or {}), live_json=json_text(live))

    @property
    def config(self) -> Mapping[str, Any]:
        """The model as LISA's API returns it (`ModelRecord.to_api()`), its secret fields masked: Copy as JSON and
        Export use it.

        Parsed on first use and kept: the same dict every time (do not change it)."""
        parsed = self._config
        if parsed is _UNPARSED:
            parsed = json.loads(self.config_json)
            object.__setattr__(self, "_config", parsed)
        return parsed  # type: ignore[no-any-return]

    def revealed_config(self) -> dict[str, Any]:
        """`config` with its secret fields in clear, as far as this row knows them (a cached row does not)."""
        return revealed(self.config, self.secrets)

    @property
    def live(self) -> Mapping[str, Any] | None:
        """Live ECS/ASG facts for the details pane (LiveState.to_json() shape), None for third-party models."""
        parsed = self._live
        if parsed is _UNPARSED:
            parsed = None if self.live_json is None else json.loads(self.live_json)
            object.__setattr__(self, "_live", parsed)
        return parsed  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[type[ModelRow], tuple[Any, ...]]:
        """Pickled without what it parsed (the inventory reader's pipe carries rows)."""
        return ModelRow, tuple(map(self.__getattribute__, _PICKLED))

    @property
    def lisa_hosted(self) -> bool:
        return self.hosting == "lisa_hosted"

    @property
    def shown_failure_reason(self) -> str | None:
        """`failure_reason` when the model is Failed: LISA writes it only with Failed and never removes it, so on
        a record in any other status it is a stale reason, not why the model is as it is."""
        return self.failure_reason if self.status == "Failed" else None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, as the snapshot stores it: `config` and `live` stay JSON text."""
        data = {name: getattr(self, name) for name in _STORED}
        data["features"] = list(self.features)
        data["allowed_groups"] = list(self.allowed_groups)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelRow:
        values = {key: value for key, value in data.items() if key in _STORED}
        values["features"] = tuple(values.get("features") or ())
        values["allowed_groups"] = tuple(values.get("allowed_groups") or ())
        if not isinstance(values.get("config_json", EMPTY_JSON), str):
            raise TypeError("config_json is not JSON text")
        if not isinstance(values.get("live_json"), str | None):
            raise TypeError("live_json is not JSON text")
        return cls(**values)

    def to_face(self) -> list[Any]:
        """The row without its configuration and live facts, its fields in order, JSON-ready: what the snapshot
        keeps for the first paint (a list, so reading one back is a positional call, not a parse of keys)."""
        return [list(value) if isinstance(value, tuple) else value for value in map(self.__getattribute__, _FACE)]

    @classmethod
    def from_face(cls, values: list[Any]) -> ModelRow:
        """The row `to_face` gave (empty configuration, no live facts); TypeError if `values` cannot be one."""
        if not isinstance(values, list) or len(values) != len(_FACE):
            raise TypeError("not a row's face")
        for position in _TUPLES_IN_FACE:
            values[position] = tuple(values[position] or ())
        make: Callable[..., ModelRow] = cls
        return make(*values[:_DETAILS_AT], EMPTY_JSON, None, *values[_DETAILS_AT:])


_INIT: Final = tuple(f.name for f in fields(ModelRow) if f.init and f.name != "secrets")
_STORED: Final = frozenset(_INIT)
_PICKLED: Final = tuple(f.name for f in fields(ModelRow) if f.init)
_DETAILS_AT: Final = _INIT.index("config_json")
assert _INIT[_DETAILS_AT : _DETAILS_AT + 2] == ("config_json", "live_json")
_FACE: Final = _INIT[:_DETAILS_AT] + _INIT[_DETAILS_AT + 2 :]
_TUPLES_IN_FACE: Final = (_FACE.index("features"), _FACE.index("allowed_groups"))
