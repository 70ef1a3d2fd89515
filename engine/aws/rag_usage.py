"""Which RAG repositories, collections and pipelines use a model: LISA refuses to delete such a model (409).

As LISA's delete handler (`handler/delete_model_handler.py` with `repository/vector_store_repo.py` and
`repository/collection_repo.py`) decides it:

* no vector-store table published (SSM `<prefix>/ragVectorStoreTableName`): RAG is not deployed, nothing uses it;
* a repository uses the model when its `config.embeddingModelId` is the model and its `status` is one of
  CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, UPDATE_IN_PROGRESS;
* a collection (table at `<prefix>/ragCollectionsTableName`) when its `embeddingModel` is the model and its
  `status` is ACTIVE (a collection without a status is ACTIVE).

And one case LISA's check leaves out although its ingestion uses it: a pipeline of such an active repository whose
`embeddingModel` is the model (`pipeline_ingest_handlers.py` embeds with it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from engine.aws.clients import AwsClients
from engine.aws.discovery import DeploymentInfo
from engine.aws.errors import error_code

log = logging.getLogger(__name__)

ACTIVE_REPOSITORY_STATUSES: Final = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_IN_PROGRESS"}
)
ACTIVE_COLLECTION_STATUS: Final = "ACTIVE"
TABLE_MISSING: Final = "ResourceNotFoundException"
_DESERIALIZER: Final = TypeDeserializer()


@dataclass(frozen=True)
class RagUsage:
    kind: Literal["repository", "collection", "pipeline"]
    repository_id: str
    name: str = ""
    """The collection's id, or where the pipeline ingests from."""

    def __str__(self) -> str:
        if self.kind == "repository":
            return f"RAG repository '{self.repository_id}'"
        if self.kind == "collection":
            return f"collection '{self.name}' of RAG repository '{self.repository_id}'"
        return f"the pipeline {self.name} of RAG repository '{self.repository_id}'"


def rag_usages(clients: AwsClients, deployment: DeploymentInfo, model_id: str) -> list[RagUsage]:
    """Every active RAG repository, pipeline and collection that uses the model (reads only)."""
    repositories = deployment.rag_repositories_table_name
    if not repositories:
        return []
    usages = list(_repository_usages(clients, repositories, model_id))
    collections = deployment.rag_collections_table_name
    if collections:
        usages += _collection_usages(clients, collections, model_id)
    return usages


def _repository_usages(clients: AwsClients, table: str, model_id: str) -> Iterator[RagUsage]:
    for item in _scan(
        clients,
        table,
        projection="repositoryId, #config.repositoryId, #config.embeddingModelId, #config.pipelines, #status",
        names={"#config": "config", "#status": "status"},
    ):
        stored = item.get("config")
        config: Mapping[str, Any] = stored if isinstance(stored, Mapping) else {}
        if item.get("status") not in ACTIVE_REPOSITORY_STATUSES:
            continue
        repository_id = str(config.get("repositoryId") or item.get("repositoryId") or "?")
        if config.get("embeddingModelId") == model_id:
            yield RagUsage("repository", repository_id)
        pipelines = config.get("pipelines")
        for index, pipeline in enumerate(pipelines if isinstance(pipelines, list) else []):
            if isinstance(pipeline, Mapping) and pipeline.get("embeddingModel") == model_id:
                yield RagUsage("pipeline", repository_id, _pipeline_name(pipeline, index))


def _collection_usages(clients: AwsClients, table: str, model_id: str) -> list[RagUsage]:
    items = _scan(
        clients,
        table,
        projection="collectionId, repositoryId, embeddingModel, #status",
        names={"#status": "status"},
        condition=("embeddingModel = :model", {":model": {"S": model_id}}),
    )
    return [
        RagUsage("collection", str(item.get("repositoryId") or "?"), str(item.get("collectionId") or "?"))
        for item in items
        if item.get("status", ACTIVE_COLLECTION_STATUS) == ACTIVE_COLLECTION_STATUS
    ]


def _pipeline_name(pipeline: Mapping[str, Any], index: int) -> str:
    bucket, prefix = pipeline.get("s3Bucket"), pipeline.get("s3Prefix") or ""
    return f"s3://{bucket}/{prefix}" if bucket else f"#{index + 1}"


def _scan(
    clients: AwsClients,
    table: str,
    *,
    projection: str,
    names: Mapping[str, str],
    condition: tuple[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every item of the table (all pages), in plain values; none when the table does not exist."""
    arguments: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": dict(names),
    }
    if condition is not None:
        arguments["FilterExpression"], arguments["ExpressionAttributeValues"] = condition[0], dict(condition[1])
    items: list[dict[str, Any]] = []
    with clients.errors("dynamodb:Scan", f"table {table}"):
        try:
            for page in clients.dynamodb().get_paginator("scan").paginate(**arguments):
                items += [{k: _DESERIALIZER.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])]
        except ClientError as exc:
            if error_code(exc) != TABLE_MISSING:
                raise
            log.warning("RAG table %s is published but does not exist: nothing in it uses a model", table)
            return []
    return items
