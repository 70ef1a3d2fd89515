"""The window's team-mode backend against the sandbox's LISA API (no AWS access): create and delete run by LISA, a
delete LISA refuses with its 409 text, the context window and the default model through LISA's routes, and what
team mode does not offer."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from engine.errors import InvalidInput, StatusNotAllowed
from engine.jobs.events import JobEvent
from engine.sandbox.catalog import DEFAULT_MODEL_ID
from engine.sandbox.server import Sandbox
from lisa_desktop.team_backend import TeamBackend, open_backend
from ui.backend import JobEnd, JobKind, JobTicket

SONNET_V2 = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


@pytest.fixture
def backend(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamBackend]:
    monkeypatch.setenv("LISA_API_TOKEN", sandbox.lisa_api_admin_token)
    args = argparse.Namespace(
        sandbox=False,
        connection=None,
        endpoint_url=None,
        region=None,
        deployment_prefix=None,
        lisa_api=sandbox.lisa_api_url,
    )
    with open_backend(args) as opened:
        assert isinstance(opened, TeamBackend)
        yield opened


def run(
    backend: TeamBackend,
    kind: JobKind,
    model_id: str,
    payload: Mapping[str, Any] | None = None,
    *,
    ack_restart: bool = False,
) -> tuple[JobTicket, JobEnd, list[JobEvent]]:
    events: list[JobEvent] = []
    ends: list[JobEnd] = []
    done = threading.Event()

    def ended(end: JobEnd) -> None:
        ends.append(end)
        done.set()

    ticket = backend.submit(
        kind, model_id, on_event=events.append, on_end=ended, payload=payload, ack_restart=ack_restart
    )
    assert done.wait(60), "the job did not end"
    return ticket, ends[0], events


def changes(sandbox: Sandbox, start: int) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in sandbox.lisa_api_requests[start:] if r.method != "GET"]


def test_a_third_party_create_and_its_delete_are_run_by_lisa(backend: TeamBackend, sandbox: Sandbox) -> None:
    start = len(sandbox.lisa_api_requests)
    request = {"modelId": "claude-sonnet-v2", "modelName": SONNET_V2, "modelType": "textgen", "streaming": True}
    ticket, end, events = run(backend, JobKind.CREATE, "", request)
    assert ticket.model_id == "claude-sonnet-v2" and ticket.run_by == "LISA" and not ticket.cancellable
    assert (end.outcome, end.final_status) == ("succeeded", "InService"), end
    assert all(event.job_id == ticket.job_id for event in events)
    ticket, end, _ = run(backend, JobKind.DELETE, "claude-sonnet-v2")
    assert (end.outcome, end.final_status) == ("succeeded", None), end
    assert end.message == "LISA deleted claude-sonnet-v2"
    assert changes(sandbox, start) == [("POST", "/models", 200), ("DELETE", "/models/claude-sonnet-v2", 200)]
    assert "claude-sonnet-v2" not in {row.model_id for row in backend.list_rows()}


def test_a_delete_of_a_model_in_use_shows_lisas_409(backend: TeamBackend, sandbox: Sandbox) -> None:
    _, end, _ = run(backend, JobKind.DELETE, "cohere-embed-english-v3")
    assert end.outcome == "refused" and "(409)" in end.message and "is currently in use by" in end.message
    assert backend.model_row("cohere-embed-english-v3").status == "InService"


def test_the_context_window_goes_through_lisas_route(backend: TeamBackend, sandbox: Sandbox) -> None:
    start = len(sandbox.lisa_api_requests)
    with pytest.raises(InvalidInput, match="contextWindow"):
        backend.set_context_window("nova-pro", 0)
    assert changes(sandbox, start) == []
    assert backend.set_context_window("nova-pro", 250_000) == 250_000
    assert changes(sandbox, start) == [("PUT", "/models/nova-pro/context-window", 200)]
    assert backend.model_row("nova-pro").context_window == 250_000


def test_the_default_model_goes_through_lisas_configuration_api_and_marks_the_rows(
    backend: TeamBackend, sandbox: Sandbox
) -> None:
    before = {row.model_id for row in backend.list_rows() if row.is_default}
    assert before == {DEFAULT_MODEL_ID}  # read through GET /configuration: the seeded default
    start = len(sandbox.lisa_api_requests)
    with pytest.raises(StatusNotAllowed, match="only an InService model"):
        backend.set_default_model("llama3-8b-tgi")
    change = backend.set_default_model("nova-pro")
    assert (change.model_id, change.previous, change.written) == ("nova-pro", DEFAULT_MODEL_ID, True)
    assert changes(sandbox, start) == [("PUT", "/configuration/global", 200)]
    assert backend.model_row("nova-pro").is_default and not backend.model_row(DEFAULT_MODEL_ID).is_default
    assert [row.model_id for row in backend.rows_of(["nova-pro", DEFAULT_MODEL_ID]) if row.is_default] == ["nova-pro"]
    assert {row.model_id for row in backend.list_rows() if row.is_default} == {"nova-pro"}
    assert not backend.set_default_model("nova-pro").written
    assert backend.set_default_model(DEFAULT_MODEL_ID).written


def test_what_team_mode_does_not_offer(backend: TeamBackend) -> None:
    assert not backend.journaled and backend.interrupted_jobs() == [] and backend.job_history() == []
    assert backend.takeover_of("Updating") is None and backend.write_refusal() is None


def test_with_aws_access_too_the_jobs_panel_hears_the_live_rollout_and_lisas_execution(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISA_API_TOKEN", sandbox.lisa_api_admin_token)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.secret_key)
    args = argparse.Namespace(
        sandbox=False,
        connection=None,
        endpoint_url=sandbox.endpoint_url,
        region=None,
        deployment_prefix=None,
        lisa_api=sandbox.lisa_api_url,
    )
    with open_backend(args) as opened:
        assert isinstance(opened, TeamBackend) and opened.aws_access
        change = {"containerConfig": {"environment": {"MAX_BATCH_TOKENS": "4096"}}}
        ticket, end, events = run(opened, JobKind.UPDATE, "mistral-7b-instruct", change, ack_restart=True)
    assert ticket.run_by == "LISA" and not ticket.cancellable
    assert (end.outcome, end.final_status) == ("succeeded", "InService"), end
    messages = [event.message for event in events]
    assert any("rollout COMPLETED of revision" in message for message in messages), messages
    assert any("UpdateModel" in message and "execution" in message for message in messages), messages
