"""The window's delete goes through the same validation as the CLI: a model a RAG repository uses is refused,
naming what uses it, and stays as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.sandbox.catalog import catalog_by_id
from engine.sandbox.rag_and_guardrails import RAG_COLLECTION, RAG_EMBEDDING_MODEL, RAG_REPOSITORY
from engine.sandbox.server import Sandbox
from lisa_desktop.deployment_backend import DeploymentBackend
from tests.lisa_desktop.test_deployment_backend import FAST, submit, target_on
from ui.backend import JobKind


@pytest.fixture
def backend() -> Iterator[DeploymentBackend]:
    with Sandbox(ambient=False, models=[catalog_by_id()[RAG_EMBEDDING_MODEL]], lisa_actors=False) as sandbox:
        opened = DeploymentBackend(target_on(sandbox), settings=FAST)
        yield opened
        opened.close()


def test_the_window_refuses_to_delete_a_model_a_rag_repository_uses(backend: DeploymentBackend) -> None:
    before = backend.aws.models.get(RAG_EMBEDDING_MODEL).to_item()
    job, _ = submit(backend, JobKind.DELETE, RAG_EMBEDDING_MODEL)
    end = job.end()
    assert end.outcome == "refused" and not end.ok
    assert f"RAG repository '{RAG_REPOSITORY}'" in end.message
    assert f"collection '{RAG_COLLECTION}'" in end.message
    assert not job.events
    assert backend.aws.models.get(RAG_EMBEDDING_MODEL).to_item() == before
