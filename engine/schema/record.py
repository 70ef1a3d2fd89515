"""The models-table item LISA stores per model, read and written back without losing unknown attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.schema.enums import ModelHostingType, ModelStatus
from engine.schema.requests import HOSTED_FIELDS


class ModelRecord(BaseModel):
    """One item of LISA's models table (partition key `model_id`).

    `model_config` is kept as the stored mapping, not a typed object: records written by other LISA
    versions must be readable and writable even where they break today's create rules.
    """

    model_config = ConfigDict(extra="allow", protected_namespaces=(), populate_by_name=True)

    model_id: str
    model_status: ModelStatus
    # Stored as `model_config`, a name pydantic reserves for its own settings, hence the alias.
    config: dict[str, Any] = Field(default_factory=dict, alias="model_config")
    model_description: str | None = None
    last_modified_date: int | None = None
    litellm_id: str | None = None
    model_url: str | None = None
    auto_scaling_group: str | None = None
    cloudformation_stack_name: str | None = None
    cloudformation_stack_arn: str | None = None
    failure_reason: str | None = None
    context_window: int | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ModelRecord:
        return cls.model_validate(dict(item))

    def to_item(self) -> dict[str, Any]:
        """The item as stored: exactly the attributes that were read or set, unknown ones included."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    @property
    def hosting_type(self) -> ModelHostingType:
        return hosting_type_of(self.config)

    @property
    def is_lisa_hosted(self) -> bool:
        return self.hosting_type is ModelHostingType.LISA_HOSTED

    @property
    def shown_failure_reason(self) -> str | None:
        """`failure_reason` when the model is Failed (LISA never removes it: in any other status it is stale)."""
        return self.failure_reason if self.model_status is ModelStatus.FAILED else None

    def to_api(self) -> dict[str, Any]:
        """The model as LISA's API returns it (`to_lisa_model`): the config plus status, URL and context."""
        shape = dict(self.config)
        shape["status"] = self.model_status.value
        if self.model_url is not None:
            shape["modelUrl"] = self.model_url
        if self.context_window is not None:
            shape["contextWindow"] = self.context_window
        return shape


def hosting_type_of(config: Mapping[str, Any]) -> ModelHostingType:
    """LISA-hosted exactly when all five hosted fields are present (as LISA decides), else the stated type."""
    if all(config.get(name) is not None for name in HOSTED_FIELDS):
        return ModelHostingType.LISA_HOSTED
    stated = config.get("hostingType")
    if stated in (ModelHostingType.THIRD_PARTY.value, ModelHostingType.INTERNAL_HOSTED.value):
        return ModelHostingType(stated)
    return ModelHostingType.THIRD_PARTY
