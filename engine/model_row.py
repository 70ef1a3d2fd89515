"""One row of the console's model table: plain data, cheap to import, copy, compare and cache on disk.

The window draws rows, never records or AWS responses: a row is what the table, the filter, the action gates
and the details pane need, and nothing that would pull boto3 or pydantic into the GUI's start-up path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

ROW_FORMAT: Final = 2
"""Bumped whenever the fields change, so an older on-disk snapshot is ignored rather than misread."""


@dataclass(frozen=True)
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
    config: Mapping[str, Any] = field(default_factory=dict, compare=True)
    """The model as LISA's API returns it (`ModelRecord.to_api()`): Copy as JSON and Export use it."""
    live: Mapping[str, Any] | None = None
    """Live ECS/ASG facts for the details pane (LiveState.to_json() shape), None for third-party models."""
    litellm_registered: bool | None = None
    """Whether LiteLLM has the model's `litellm_id`; None when LiteLLM could not be asked."""

    @property
    def lisa_hosted(self) -> bool:
        return self.hosting == "lisa_hosted"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (a shallow copy: `config` and `live` are plain data already; asdict's deep copy made saving
        5,000 rows take seconds)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["features"] = list(self.features)
        data["allowed_groups"] = list(self.allowed_groups)
        data["config"] = dict(self.config)
        data["live"] = dict(self.live) if self.live is not None else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelRow:
        known = cls.__dataclass_fields__
        values = {key: value for key, value in data.items() if key in known}
        values["features"] = tuple(values.get("features") or ())
        values["allowed_groups"] = tuple(values.get("allowed_groups") or ())
        return cls(**values)
