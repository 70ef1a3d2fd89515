"""LISA's model routes (`lambda/models/lambda_functions.py` and `handler/*.py`): the same checks in the same order,
the same status codes and messages. Each handler answers `(status, body)` or raises `HttpError`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel, TypeAdapter, ValidationError

from engine.sandbox.lisa_api.authorizer import Identity
from engine.sandbox.lisa_api.executions import Executions
from engine.sandbox.lisa_api.shapes import (
    CreateModelRequest,
    GuardrailConfig,
    LISAModel,
    UpdateContextWindowRequest,
    UpdateModelRequest,
    lisa_model,
)
from engine.sandbox.lisa_api.store import Tables, now_ms

Shape = TypeVar("Shape", bound=BaseModel)
Parsed = TypeVar("Parsed")
Answer = tuple[int, Any]

CREATE_DENIED: Final = "User does not have permission to create models."
UPDATE_DENIED: Final = "User does not have permission to update models"
DELETE_DENIED: Final = "User does not have permission to delete models"
CONTEXT_WINDOW_DENIED: Final = "User does not have permission to update context window"


class HttpError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def detail(status: int, message: str) -> HttpError:
    return HttpError(status, {"detail": message})


def parse_body(shape: type[Shape], raw: bytes) -> Shape:
    """FastAPI's body parsing: a missing or malformed body, or one that fails the shape, is 422 with pydantic's
    errors located under `body` (`utilities/fastapi_factory.py`)."""
    return parse_body_as(TypeAdapter(shape), raw)


def parse_body_as(adapter: TypeAdapter[Parsed], raw: bytes) -> Parsed:
    """`parse_body` for any type pydantic validates (a discriminated union: LISA's SchedulingConfig)."""
    if not raw.strip():
        raise _unprocessable([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        position = getattr(error, "pos", 0)
        entry = {"type": "json_invalid", "loc": ["body", position], "msg": "JSON decode error", "input": {}}
        raise _unprocessable([{**entry, "ctx": {"error": getattr(error, "msg", str(error))}}]) from None
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        raise _unprocessable([_fastapi_error(e) for e in error.errors(include_url=False)]) from None


def _fastapi_error(error: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": error["type"],
        "loc": ["body", *error["loc"]],
        "msg": error["msg"],
        "input": error.get("input"),
    }
    if "ctx" in error:  # jsonable_encoder turns an exception in ctx into {}
        entry["ctx"] = {k: v if isinstance(v, str | int | float | bool | None) else {} for k, v in error["ctx"].items()}
    return entry


def _unprocessable(errors: list[dict[str, Any]]) -> HttpError:
    return HttpError(422, {"detail": errors, "type": "RequestValidationError"})


def require_admin(identity: Identity, message: str) -> None:
    if not identity.is_admin:
        raise detail(403, message)


def user_has_group_access(user_groups: tuple[str, ...], allowed_groups: list[str]) -> bool:
    return not allowed_groups or bool(set(user_groups) & set(allowed_groups))


def attach_guardrails(model: LISAModel, rows: list[dict[str, Any]]) -> None:
    if rows:
        model.guardrailsConfig = {f"guardrail-{row['guardrailName']}": GuardrailConfig(**row) for row in rows}


def dump(model: LISAModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


@dataclass
class ModelRoutes:
    tables: Tables
    autoscaling: Any
    ssm: Any
    prefix: str
    executions: Executions

    def list_models(self, identity: Identity) -> Answer:
        models = [lisa_model(item) for item in self.tables.scan()]
        by_model: dict[str, list[dict[str, Any]]] = {}
        for row in self.tables.all_guardrails():
            by_model.setdefault(row["modelId"], []).append(row)
        for model in models:
            attach_guardrails(model, by_model.get(model.modelId, []))
        if not identity.is_admin:
            models = [m for m in models if user_has_group_access(identity.groups, m.allowedGroups or [])]
        return 200, {"models": [dump(m) for m in models]}

    def get_model(self, identity: Identity, model_id: str) -> Answer:
        item = self.tables.get(model_id)
        if item is None:
            raise detail(404, f"Model '{model_id}' was not found.")
        model = lisa_model(item)
        attach_guardrails(model, self.tables.guardrails_of(model_id))
        if not identity.is_admin and not user_has_group_access(identity.groups, model.allowedGroups or []):
            raise detail(404, f"Model '{model_id}' was not found.")
        return 200, {"model": dump(model)}

    def create_model(self, identity: Identity, raw: bytes) -> Answer:
        request = parse_body(CreateModelRequest, raw)
        require_admin(identity, CREATE_DENIED)
        if self.tables.get(request.modelId) is not None:
            raise detail(409, f"Model '{request.modelId}' already exists. Please select another name.")
        scaling = request.autoScalingConfig
        if scaling is not None and scaling.minCapacity > scaling.maxCapacity:
            raise detail(400, f"Min capacity cannot exceed ASG max of {scaling.maxCapacity}.")
        config = request.model_dump(mode="json")
        config.pop("guardrailsConfig", None)
        self.tables.put(
            {
                "model_id": request.modelId,
                "model_status": "Creating",
                "model_config": config,
                "model_description": request.modelDescription,
                "last_modified_date": now_ms(),
            }
        )
        self.executions.start("CreateModel", request.model_dump(mode="json"))
        answer = lisa_model({"model_config": request.model_dump(mode="json"), "model_status": "Creating"})
        return 200, {"model": dump(answer)}

    def update_model(self, identity: Identity, model_id: str, raw: bytes) -> Answer:
        request = parse_body(UpdateModelRequest, raw)
        require_admin(identity, UPDATE_DENIED)
        item = self.tables.get(model_id)
        if item is None:
            raise detail(404, f"Model '{model_id}' was not found.")
        self._check_update(item, request)
        self.executions.start("UpdateModel", {"model_id": model_id, "update_payload": request.model_dump(mode="json")})
        model = lisa_model(item)
        attach_guardrails(model, self.tables.guardrails_of(model_id))
        return 200, {"model": dump(model)}

    def _check_update(self, item: dict[str, Any], request: UpdateModelRequest) -> None:
        status = item["model_status"]
        if status not in ("InService", "Stopped"):
            raise detail(400, "Model cannot be updated when it is not in the 'InService' or 'Stopped' states")
        if request.enabled is not None:
            if request.autoScalingInstanceConfig is not None:
                raise detail(400, "Start or Stop operations and AutoScaling changes must happen in separate requests.")
            if request.enabled and status != "Stopped":
                raise detail(400, "Model cannot be enabled when it is not in the 'Stopped' state.")
            if not request.enabled and status != "InService":
                raise detail(400, "Model cannot be stopped when it is not in the 'InService' state.")
        scaling = request.autoScalingInstanceConfig
        if scaling is not None:
            group = item.get("auto_scaling_group", "")
            if not group:
                raise detail(400, "Cannot update AutoScaling Config for model not hosted in LISA infrastructure.")
            live = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
            low, high = live["MinSize"], live["MaxSize"]
            if scaling.desiredCapacity is not None:
                if scaling.maxCapacity is None and scaling.desiredCapacity > high:
                    raise detail(400, f"Desired capacity cannot exceed ASG max of {high}.")
                if scaling.minCapacity is None and scaling.desiredCapacity < low:
                    raise detail(400, f"Desired capacity cannot be less than ASG min of {low}.")
            if scaling.minCapacity is not None and scaling.maxCapacity is None and scaling.minCapacity > high:
                raise detail(400, f"Min capacity cannot exceed ASG max of {high}.")
            if scaling.maxCapacity is not None and scaling.minCapacity is None and scaling.maxCapacity < low:
                raise detail(400, f"Max capacity cannot be less than ASG min of {low}.")
        if request.containerConfig is not None:
            if not item.get("auto_scaling_group", ""):
                raise detail(400, "Cannot update Container Config for model not hosted in LISA infrastructure.")
            if not item.get("model_config", {}).get("containerConfig"):
                raise detail(
                    400, "Cannot update Container Config for model that was not originally configured with a container."
                )

    def delete_model(self, identity: Identity, model_id: str) -> Answer:
        require_admin(identity, DELETE_DENIED)
        item = self.tables.get(model_id)
        if item is None:
            raise detail(404, f"Model '{model_id}' was not found")
        usages = self._usages(model_id)
        if usages:
            raise detail(
                409,
                f"Model '{model_id}' is currently in use by: {', '.join(usages)}. "
                "Please remove the model from all resources before deleting.",
            )
        self.executions.start("DeleteModel", {"modelId": model_id})
        return 200, {"model": dump(lisa_model(item))}

    def _usages(self, model_id: str) -> list[str]:
        """The delete handler's in-use check: active repositories and collections whose embedding model it is."""
        repositories = self._parameter("ragVectorStoreTableName")
        if not repositories:
            return []
        active = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_IN_PROGRESS"}
        usages = [
            f"repository '{(row.get('config') or {}).get('repositoryId', row.get('repositoryId', 'unknown'))}' "
            "(repository)"
            for row in self.tables.scan(repositories)
            if (row.get("config") or {}).get("embeddingModelId") == model_id and row.get("status") in active
        ]
        collections = self._parameter("ragCollectionsTableName")
        if collections:
            usages += [
                f"collection '{row.get('collectionId')}' in repository '{row.get('repositoryId')}'"
                for row in self.tables.scan(collections)
                if row.get("embeddingModel") == model_id and row.get("status", "ACTIVE") == "ACTIVE"
            ]
        return usages

    def _parameter(self, name: str) -> str | None:
        try:
            return str(self.ssm.get_parameter(Name=f"{self.prefix}/{name}")["Parameter"]["Value"])
        except ClientError:
            return None

    def update_context_window(self, identity: Identity, model_id: str, raw: bytes) -> Answer:
        request = parse_body(UpdateContextWindowRequest, raw)
        require_admin(identity, CONTEXT_WINDOW_DENIED)
        item = self.tables.get(model_id)
        if item is None:
            raise detail(404, f"Model {model_id} not found")
        self.tables.update(model_id, {"context_window": request.contextWindow, "last_modified_date": now_ms()})
        item["context_window"] = request.contextWindow
        return 200, {"model": dump(lisa_model(item))}
