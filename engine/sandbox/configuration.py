"""The sandbox's LISA configuration table, as LISA's chat stack makes it (`lib/chat/api/configuration.ts`): key
`configScope` (S) / `versionId` (N), on-demand, AWS-managed encryption, named as CloudFormation names it, holding
the version 0 LISA's `lisa-init-ddb-config` custom resource writes at deploy, then the version LISA's UI adds when
an administrator sets the default model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from engine.aws.configuration_table import SCOPE_ATTRIBUTE, VERSION_ATTRIBUTE, sandbox_table_name
from engine.aws.models_table import to_dynamodb
from engine.model_settings import default_item

if TYPE_CHECKING:
    from engine.sandbox.moto_direct import DirectDynamoDB

DEPLOYED_AT_S: Final = 1735689600
"""When the sandbox's LISA was deployed, as `createdAt` says (fixed: seeds never depend on the wall clock)."""
DEFAULT_SET_AT: Final = "1735693200.5"
DEFAULT_SET_BY: Final = "admin"


def initial_configuration(*, deploy_rag: bool) -> dict[str, Any]:
    """LISA's version 0 of the `global` scope (its custom resource's item), for a deployment without MCP."""
    return {
        VERSION_ATTRIBUTE: 0,
        "changedBy": "System",
        SCOPE_ATTRIBUTE: "global",
        "changeReason": "Initial deployment default config",
        "createdAt": str(DEPLOYED_AT_S),
        "configuration": {
            "enabledComponents": {
                "deleteSessionHistory": True,
                "viewMetaData": True,
                "editKwargs": True,
                "editPromptTemplate": True,
                "editChatHistoryBuffer": True,
                "editNumOfRagDocument": True,
                "uploadRagDocs": deploy_rag,
                "ragSelectionAvailable": deploy_rag,
                "uploadContextDocs": True,
                "documentSummarization": True,
                "showRagLibrary": deploy_rag,
                "showMcpWorkbench": False,
                "showPromptTemplateLibrary": True,
                "mcpConnections": False,
                "bedrockAgents": False,
                "awsSessions": False,
                "modelLibrary": True,
                "encryptSession": False,
                "chatAssistantStacks": False,
                "projectOrganization": False,
            },
            "maxProjectsPerUser": 50,
            "systemBanner": {"isEnabled": False, "text": "", "textColor": "", "backgroundColor": ""},
        },
    }


class SandboxConfiguration:
    def __init__(self, deployment_name: str, prefix: str) -> None:
        stage = prefix.strip("/").split("/")[0]
        self.table_name = sandbox_table_name(deployment_name, stage)

    def publish(self, dynamodb: DirectDynamoDB) -> None:
        """The table and LISA's version 0."""
        dynamodb.create_table(
            TableName=self.table_name,
            KeySchema=[
                {"AttributeName": SCOPE_ATTRIBUTE, "KeyType": "HASH"},
                {"AttributeName": VERSION_ATTRIBUTE, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": SCOPE_ATTRIBUTE, "AttributeType": "S"},
                {"AttributeName": VERSION_ATTRIBUTE, "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )
        dynamodb.put_item(TableName=self.table_name, Item=to_dynamodb(initial_configuration(deploy_rag=True)))

    def seed_default(self, dynamodb: DirectDynamoDB, model_id: str) -> None:
        """Version 1: `model_id` set as the default, as LISA's UI writes it."""
        base = initial_configuration(deploy_rag=True)["configuration"]
        item = {**default_item(base, 1, model_id), "changedBy": DEFAULT_SET_BY, "created_at": DEFAULT_SET_AT}
        dynamodb.put_item(TableName=self.table_name, Item=to_dynamodb(item))
