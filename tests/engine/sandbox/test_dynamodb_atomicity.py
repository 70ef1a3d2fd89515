"""DynamoDB's conditional writes are atomic; the sandbox must not let two concurrent ones both pass."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from engine.aws.clients import AwsClients
from engine.aws.discovery import discover_deployment
from engine.aws.errors import StatusChanged
from engine.aws.models_table import ModelsTable
from engine.sandbox.server import Sandbox
from engine.schema.enums import ModelStatus


def test_only_one_of_many_concurrent_conditional_transitions_succeeds() -> None:
    with Sandbox(ambient=False) as sandbox:
        clients = AwsClients(sandbox.session(), version="test", endpoint_url=sandbox.endpoint_url)
        table = ModelsTable(clients, discover_deployment(clients, sandbox.prefix).models_table_name)

        def intake(index: int) -> bool:
            try:
                table.transition_status(
                    "mistral-7b-instruct",
                    ModelStatus.IN_SERVICE,
                    ModelStatus.UPDATING,
                    set_attributes={"lisa_desktop_job": f"job-{index}"},
                )
            except StatusChanged:
                return False
            return True

        for _ in range(20):
            with ThreadPoolExecutor(max_workers=24) as pool:
                won = list(pool.map(intake, range(24)))
            assert won.count(True) == 1
            table.transition_status("mistral-7b-instruct", ModelStatus.UPDATING, ModelStatus.IN_SERVICE)
