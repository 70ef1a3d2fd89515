"""The window's backend on a real (in-process) sandbox: rows, the write probe, and jobs through `submit`."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.jobs.context import JobSettings
from engine.jobs.events import JobEvent
from engine.sandbox.server import Sandbox
from lisa_desktop import __version__
from lisa_desktop.connections import ConnectionStore, new_connection
from lisa_desktop.deployment_backend import SANDBOX_LABEL, DeploymentBackend, cache_key_for
from lisa_desktop.target import Target
from tests.engine.aws.conftest import CallCounter
from ui.backend import JobEnd, JobKind, JobTicket

FAST = JobSettings(ecs_deadline_s=60, capacity_deadline_s=60, poll_initial_s=0.2, poll_max_s=1.0)


def target_on(sandbox: Sandbox) -> Target:
    clients = AwsClients(sandbox.session(), version=__version__, endpoint_url=sandbox.endpoint_url)
    return Target(clients, sandbox.prefix, "sandbox (test)", True, sandbox, cache_key="sandbox")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
        yield running


@pytest.fixture(scope="module")
def backend(sandbox: Sandbox) -> Iterator[DeploymentBackend]:
    opened = DeploymentBackend(target_on(sandbox), settings=FAST)
    yield opened
    opened.close()


@dataclass
class Job:
    events: list[JobEvent] = field(default_factory=list)
    ends: list[JobEnd] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def on_event(self, event: JobEvent) -> None:
        self.events.append(event)

    def on_end(self, end: JobEnd) -> None:
        self.ends.append(end)
        self.threads.append(threading.current_thread().name)
        self.done.set()

    def end(self, timeout: float = 30) -> JobEnd:
        assert self.done.wait(timeout), "the job did not end"
        assert len(self.ends) == 1
        return self.ends[0]


def submit(backend: DeploymentBackend, kind: JobKind, model_id: str, **options: Any) -> tuple[Job, str]:
    job = Job()
    ticket = backend.submit(kind, model_id, on_event=job.on_event, on_end=job.on_end, **options)
    assert (ticket.model_id, ticket.kind) == (model_id, kind)
    return job, ticket.job_id


def test_what_the_window_shows_of_the_sandbox(backend: DeploymentBackend) -> None:
    assert backend.label == SANDBOX_LABEL
    assert backend.is_sandbox
    assert backend.cache_key == "sandbox" == cache_key_for(argparse.Namespace(sandbox=True))
    assert backend.write_refusal() is None


def test_rows_cover_every_seeded_model(backend: DeploymentBackend, sandbox: Sandbox) -> None:
    rows = {row.model_id: row for row in backend.list_rows()}
    assert sorted(rows) == sorted(sandbox.model_ids())
    mistral = rows["mistral-7b-instruct"]
    assert (mistral.status, mistral.hosting, mistral.live_error) == ("InService", "lisa_hosted", None)
    assert mistral.running_tasks == mistral.healthy_instances == mistral.desired_capacity
    assert mistral.running_tasks is not None
    assert mistral.running_tasks > 0
    assert mistral.litellm_registered is True
    assert mistral.live is not None
    assert "events" not in mistral.live  # a settled model is summarised, not described
    updating = rows["gemma-2-9b-it"]
    assert updating.live is not None
    assert updating.live["deployments"][0]["status"] == "PRIMARY"
    assert rows["nova-pro"].live is None
    assert rows["nova-pro"].hosting == "third_party"


def test_rows_of_a_few_models(backend: DeploymentBackend) -> None:
    rows = backend.rows_of(["gemma-2-9b-it", "nova-pro", "no-such-model"])
    assert [row.model_id for row in rows] == ["gemma-2-9b-it", "nova-pro"]
    assert rows[0].status == "Updating"
    assert rows[0].live is not None
    assert "deployments" in rows[0].live


def test_a_stop_job_through_submit(backend: DeploymentBackend) -> None:
    job, job_id = submit(backend, JobKind.STOP, "bge-large-en")
    end = job.end()
    assert (end.job_id, end.model_id, end.kind, end.outcome, end.final_status) == (
        job_id,
        "bge-large-en",
        JobKind.STOP,
        "succeeded",
        "Stopped",
    )
    assert end.ok
    assert job.events
    assert {event.job_id for event in job.events} == {job_id}
    assert job.events[0].step == "validate"
    assert job.threads != [threading.current_thread().name]
    row = backend.model_row("bge-large-en")
    assert row.status == "Stopped"
    assert (row.min_capacity, row.desired_capacity, row.max_capacity) == (0, 0, 0)
    assert row.live is not None
    assert "events" in row.live  # the details pane's read describes the service


def test_a_refused_job_says_why_and_changes_nothing(backend: DeploymentBackend) -> None:
    job, _ = submit(backend, JobKind.STOP, "llama3-8b-tgi")
    end = job.end()
    assert end.outcome == "refused"
    assert "Stopped" in end.message
    assert "InService" in end.message
    assert not end.ok
    assert backend.model_row("llama3-8b-tgi").status == "Stopped"


def test_a_malformed_update_is_refused_without_a_job(backend: DeploymentBackend) -> None:
    job, _ = submit(backend, JobKind.UPDATE, "mistral-7b-instruct", payload={"autoScalingInstanceConfig": "x"})
    end = job.end()
    assert end.outcome == "refused"
    assert "autoScalingInstanceConfig" in end.message
    assert job.events == []
    assert job.threads != [threading.current_thread().name]
    missing, _ = submit(backend, JobKind.CREATE, "new-model")
    assert missing.end().outcome == "refused"


def test_a_cancelled_start_rolls_back(backend: DeploymentBackend) -> None:
    job = Job()
    tickets: list[JobTicket] = []
    submitted = threading.Event()

    def on_event(event: JobEvent) -> None:
        job.on_event(event)
        if event.step == "intake" and submitted.wait(5):
            tickets[0].cancel()

    tickets.append(backend.submit(JobKind.START, "llama3-8b-tgi", on_event=on_event, on_end=job.on_end))
    submitted.set()
    end = job.end()
    assert end.outcome == "cancelled"
    assert backend.model_row("llama3-8b-tgi").status == "Stopped"


def test_open_and_close_a_sandbox_from_options() -> None:
    with DeploymentBackend.open(argparse.Namespace(sandbox=True)) as opened:
        sandbox = opened.target.sandbox
        assert sandbox is not None
        assert sandbox.running
        assert opened.label == SANDBOX_LABEL
        assert opened.settings.poll_initial_s < JobSettings().poll_initial_s
    assert not sandbox.running


def test_the_stack_cache_spares_a_restart_its_stack_reads(backend: DeploymentBackend, sandbox: Sandbox) -> None:
    backend.list_rows()
    exported = backend.export_stack_cache()
    restarted = DeploymentBackend(target_on(sandbox))
    try:
        counter = CallCounter().watch(restarted.aws.clients.cloudformation(), restarted.aws.clients.ecs())
        assert restarted.import_stack_cache(exported) == len(exported["stacks"]) > 5
        restarted.list_rows()
        # only the rolled-back stack of the Failed model: it has no resources, so nothing of it is cached
        assert [p["StackName"] for name, p in counter.params if name == "DescribeStackResources"] == [
            "lisa-broken-model"
        ]
        assert counter.count("DescribeClusters") == 1
    finally:
        restarted.close()


def test_cache_keys_are_known_before_opening(isolated_config_dir: Any) -> None:
    store = ConnectionStore()
    store.add(
        new_connection(name="prod", auth="profile", profile="p", region="eu-west-1", deployment_prefix="/prod/lisa"),
        make_default=True,
    )
    args = argparse.Namespace(sandbox=False, connection=None, endpoint_url=None, region=None, deployment_prefix=None)
    assert cache_key_for(args, store) == "connection:prod|/prod/lisa|eu-west-1"
    args.region = "us-west-2"
    assert cache_key_for(args, store) == "connection:prod|/prod/lisa|us-west-2"
    args.connection = "nope"
    assert cache_key_for(args, store) == ""
