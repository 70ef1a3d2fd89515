"""The sandbox deployment's guardrails and RAG tables, in LISA's shapes, and what they are seeded with.

* Guardrails (`lib/models/guardrails-table.ts`): PK `guardrailId`, SK `modelId`, GSI `ModelIdIndex` (PK
  `modelId`, SK `guardrailId`), name at SSM `<prefix>/guardrailsTableName`. Each row is written as LISA's
  CreateModel writes it (`GuardrailsTableEntry`), after creating its LiteLLM guardrail `<guardrailName>-<modelId>`
  (`handle_add_guardrails_to_litellm`): the row's `guardrailId` is LiteLLM's id.
* RAG (`lib/rag/ragConstruct.ts`): the repository-config ("vector store") table, PK `repositoryId`, at
  `<prefix>/ragVectorStoreTableName`; the collections table, PK `collectionId`, SK `repositoryId`, GSIs
  `RepositoryIndex`, `StatusIndex`, `CollectionIndex`, at `<prefix>/ragCollectionsTableName`.

`nova-pro` has two guardrails; `cohere-embed-english-v3` is the embedding model of the repository
`engineering-docs` and of its collection `design-notes`, so LISA refuses to delete it. The inactive resources (a
failed repository on `bge-large-en`, an archived collection on `titan-embed-v2`) use no model, as LISA counts.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from boto3.dynamodb.types import TypeSerializer

from engine.sandbox.litellm_registry import LiteLLMRegistry

if TYPE_CHECKING:
    from engine.sandbox.moto_direct import DirectDynamoDB, DirectSsm

GUARDRAILS_PARAMETER: Final = "guardrailsTableName"
RAG_REPOSITORIES_PARAMETER: Final = "ragVectorStoreTableName"
RAG_COLLECTIONS_PARAMETER: Final = "ragCollectionsTableName"
GUARDED_MODEL: Final = "nova-pro"
RAG_EMBEDDING_MODEL: Final = "cohere-embed-english-v3"
RAG_REPOSITORY: Final = "engineering-docs"
RAG_COLLECTION: Final = "design-notes"
_SERIALIZER: Final = TypeSerializer()


@dataclass(frozen=True)
class SeededGuardrail:
    model_id: str
    name: str
    identifier: str
    version: str
    mode: str
    description: str
    allowed_groups: tuple[str, ...] = ()


GUARDRAILS: Final = (
    SeededGuardrail(GUARDED_MODEL, "pii-filter", "gr-7k2m9x4p1q8z", "3", "pre_call", "Masks personal data in prompts"),
    SeededGuardrail(
        GUARDED_MODEL,
        "harmful-content",
        "gr-5d1w8c3v6b0n",
        "DRAFT",
        "post_call",
        "Blocks harmful answers",
        ("marketing",),
    ),
)


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _repository(repository_id: str, model_id: str, status: str, kind: str, **config: Any) -> dict[str, Any]:
    return {
        "repositoryId": repository_id,
        "status": status,
        "config": {
            "repositoryId": repository_id,
            "repositoryName": repository_id.replace("-", " ").title(),
            "embeddingModelId": model_id,
            "type": kind,
            "allowedGroups": [],
            "metadata": {"tags": []},
            "createdBy": "lisa-admin",
            "createdAt": _days_ago(40),
            "updatedAt": _days_ago(12),
            **config,
        },
    }


def _collection(collection_id: str, repository_id: str, model_id: str, status: str) -> dict[str, Any]:
    return {
        "collectionId": collection_id,
        "repositoryId": repository_id,
        "name": collection_id.replace("-", " ").title(),
        "embeddingModel": model_id,
        "status": status,
        "createdBy": "lisa-admin",
        "createdAt": _days_ago(30),
        "updatedAt": _days_ago(9),
        "default": False,
        "allowChunkingOverride": True,
    }


def repositories() -> list[dict[str, Any]]:
    pipeline = {
        "autoRemove": True,
        "chunkingStrategy": {"type": "fixed", "size": 512, "overlap": 51},
        "collectionId": RAG_COLLECTION,
        "s3Bucket": "lisa-sandbox-rag-ingest",
        "s3Prefix": "engineering/",
        "trigger": "event",
    }
    return [
        _repository(RAG_REPOSITORY, RAG_EMBEDDING_MODEL, "CREATE_COMPLETE", "opensearch", pipelines=[pipeline]),
        _repository("legacy-pgvector", "bge-large-en", "CREATE_FAILED", "pgvector"),
    ]


def collections() -> list[dict[str, Any]]:
    return [
        _collection(RAG_COLLECTION, RAG_REPOSITORY, RAG_EMBEDDING_MODEL, "ACTIVE"),
        _collection("old-notes", RAG_REPOSITORY, "titan-embed-v2", "ARCHIVED"),
    ]


class GuardrailsAndRag:
    """Creates the tables and parameters (`publish`), then the rows of the seeded models (`seed`)."""

    def __init__(self, dynamodb: DirectDynamoDB, ssm: DirectSsm, prefix: str, deployment_name: str) -> None:
        self.dynamodb = dynamodb
        self.ssm = ssm
        self.prefix = prefix
        self.guardrails_table = f"{deployment_name}-sandbox-GuardrailsTable"
        self.repositories_table = f"{deployment_name}-sandbox-rag-repository-config"
        self.collections_table = f"{deployment_name}-sandbox-RagCollectionsTable"

    def publish(self) -> None:
        parameters = {
            GUARDRAILS_PARAMETER: self.guardrails_table,
            RAG_REPOSITORIES_PARAMETER: self.repositories_table,
            RAG_COLLECTIONS_PARAMETER: self.collections_table,
        }
        for name, value in parameters.items():
            self.ssm.put_parameter(Name=f"{self.prefix}/{name}", Value=value, Type="String", Overwrite=True)
        self.dynamodb.create_table(
            TableName=self.guardrails_table,
            KeySchema=[
                {"AttributeName": "guardrailId", "KeyType": "HASH"},
                {"AttributeName": "modelId", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "guardrailId", "AttributeType": "S"},
                {"AttributeName": "modelId", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[_index("ModelIdIndex", "modelId", "guardrailId")],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )
        self.dynamodb.create_table(
            TableName=self.repositories_table,
            KeySchema=[{"AttributeName": "repositoryId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "repositoryId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )
        self.dynamodb.create_table(
            TableName=self.collections_table,
            KeySchema=[
                {"AttributeName": "collectionId", "KeyType": "HASH"},
                {"AttributeName": "repositoryId", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("collectionId", "repositoryId", "createdAt", "status")
            ],
            GlobalSecondaryIndexes=[
                _index("RepositoryIndex", "repositoryId", "createdAt"),
                _index("StatusIndex", "repositoryId", "status"),
                _index("CollectionIndex", "collectionId", "createdAt"),
            ],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )

    def seed(self, model_ids: Collection[str], registry: LiteLLMRegistry) -> None:
        """The rows of the seeded models that exist (a sandbox with another catalog gets only theirs)."""
        for guardrail in GUARDRAILS:
            if guardrail.model_id in model_ids:
                self.add_guardrail(guardrail, registry)
        for repository in repositories():
            if repository["config"]["embeddingModelId"] in model_ids:
                self._put(self.repositories_table, repository)
        for collection in collections():
            if collection["embeddingModel"] in model_ids:
                self._put(self.collections_table, collection)

    def add_guardrail(self, guardrail: SeededGuardrail, registry: LiteLLMRegistry) -> str:
        """As LISA's CreateModel: the LiteLLM guardrail, then its row keyed by LiteLLM's id. Returns that id (the
        same in every sandbox: a UUID made from the guardrail's LiteLLM name)."""
        name = f"{guardrail.name}-{guardrail.model_id}"
        litellm_id = registry.add_guardrail(
            name,
            {
                "guardrail": "bedrock",
                "mode": guardrail.mode,
                "guardrailIdentifier": guardrail.identifier,
                "guardrailVersion": guardrail.version,
                "default_on": False,
            },
            {"description": guardrail.description},
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"lisa-sandbox:guardrail:{name}")),
        )
        created = int(time.time() * 1000)
        row = {
            "guardrailId": litellm_id,
            "modelId": guardrail.model_id,
            "guardrailName": guardrail.name,
            "guardrailIdentifier": guardrail.identifier,
            "guardrailVersion": guardrail.version,
            "mode": guardrail.mode,
            "description": guardrail.description,
            "allowedGroups": list(guardrail.allowed_groups),
            "createdDate": created,
            "lastModifiedDate": created,
        }
        self._put(self.guardrails_table, row)
        return litellm_id

    def _put(self, table: str, item: Mapping[str, Any]) -> None:
        self.dynamodb.put_item(TableName=table, Item={k: _SERIALIZER.serialize(v) for k, v in item.items()})


def _index(name: str, partition: str, sort: str) -> Any:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": partition, "KeyType": "HASH"}, {"AttributeName": sort, "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }
