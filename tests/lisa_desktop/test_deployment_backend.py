"""The window's backend on a real (in-process) sandbox: rows, the write probe, and jobs through `submit`."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.aws.clients import AwsClients
from engine.aws.inventory_process import InventoryReader
from engine.errors import StatusNotAllowed
from engine.jobs.context import JobSettings
from engine.jobs.events import JobEvent
from engine.jobs.journal import CRASH_ENV, CRASH_EXIT_CODE, DATA_DIR_ENV, Journal
from engine.sandbox.server import Sandbox
from lisa_desktop import __version__, keychain
from lisa_desktop.cli import run
from lisa_desktop.connections import ConnectionStore, new_connection
from lisa_desktop.deployment_backend import SANDBOX_LABEL, DeploymentBackend, JournalUnavailable, cache_key_for
from lisa_desktop.target import Target
from tests.engine.jobs.sandbox_world import sandbox_on_skipping_clock
from tests.waiting import wait_for
from ui.backend import JobEnd, JobKind, JobTicket

FAST = JobSettings(ecs_deadline_s=60, capacity_deadline_s=60, poll_initial_s=0.2, poll_max_s=1.0)


def target_on(sandbox: Sandbox) -> Target:
    clients = AwsClients(sandbox.session(), version=__version__, endpoint_url=sandbox.endpoint_url)
    return Target(clients, sandbox.prefix, "sandbox (test)", True, sandbox, cache_key="sandbox")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=1.0, warmup_seconds=0.5) as running:
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


def cli(sandbox: Sandbox, *argv: str) -> tuple[int, str]:
    return run_cli(["--endpoint-url", sandbox.endpoint_url, *argv])


def run_cli(argv: list[str]) -> tuple[int, str]:
    """The CLI in this process, as a user runs it."""
    out = io.StringIO()
    return run(argv, out=out), out.getvalue()


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


def test_a_reader_handed_to_backends_outlives_them(sandbox: Sandbox) -> None:
    """The window starts one inventory reader at start-up and every deployment it opens reads through it."""
    reader = InventoryReader()
    try:
        first = DeploymentBackend(target_on(sandbox), reader=reader)
        assert len(first.list_rows()) >= 14
        pid = reader.pid
        first.close()
        assert reader.pid == pid is not None  # closing the backend left the shared helper running
        second = DeploymentBackend(target_on(sandbox), reader=reader)
        try:
            assert [row.model_id for row in second.list_rows()] == [row.model_id for row in first.list_rows()]
            assert reader.pid == pid
        finally:
            second.close()
    finally:
        reader.close()
    assert reader.pid is None


def test_open_and_close_a_sandbox_from_options() -> None:
    with DeploymentBackend.open(argparse.Namespace(sandbox=True)) as opened:
        sandbox = opened.target.sandbox
        assert sandbox is not None
        assert sandbox.running
        assert opened.label == SANDBOX_LABEL
        assert opened.settings.poll_initial_s < JobSettings().poll_initial_s
    assert not sandbox.running


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


# -- the journal: the key it is kept under, interrupted jobs, the audit log ----------------------------------------


def endpoint_args(sandbox: Sandbox) -> argparse.Namespace:
    return argparse.Namespace(
        sandbox=False, connection=None, endpoint_url=sandbox.endpoint_url, region=None, deployment_prefix=None
    )


def crashed_cli_job(
    sandbox: Sandbox, *argv: str, after_point: int = 3, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`lisa-desktop --endpoint-url <sandbox> ARGV --wait` in a process of its own that exits at once right after
    its job's journal point `after_point`: the job is left unfinished in the journal of LISA_DESKTOP_DATA_DIR, or
    of `data_dir` (another workstation, whose journal this one never reads)."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": sandbox.access_key, "AWS_SECRET_ACCESS_KEY": sandbox.secret_key}
    env[CRASH_ENV] = str(after_point)
    if data_dir is not None:
        env[DATA_DIR_ENV] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "lisa_desktop", "--endpoint-url", sandbox.endpoint_url, *argv, "--wait"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == CRASH_EXIT_CODE, done.stdout + done.stderr
    return done


@pytest.fixture
def fresh_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox of the test's own, reached as `--endpoint-url` reaches it (its keys in the environment)."""
    with sandbox_on_skipping_clock(ambient=False, rollout_seconds=0.5, warmup_seconds=0.3) as running:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", running.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", running.secret_key)
        yield running


def test_jobs_of_an_endpoint_are_journaled_under_the_key_the_cli_recovers(fresh_sandbox: Sandbox) -> None:
    args = endpoint_args(fresh_sandbox)
    with DeploymentBackend.open(args) as opened:
        assert opened.journaled
        assert opened.cache_key == cache_key_for(args)
        job, job_id = submit(opened, JobKind.STOP, "bge-large-en")
        assert job.end().outcome == "succeeded"
        code, out = cli(fresh_sandbox, "models", "stop", "mistral-7b-instruct", "--yes", "--wait")
        assert code == 0, out
        entries = opened.job_history()
    journaled = {job.job_id: job for job in Journal().jobs()}
    assert journaled[job_id].deployment == opened.cache_key
    (by_cli,) = [job for job in journaled.values() if job.model_id == "mistral-7b-instruct"]
    assert by_cli.deployment == opened.cache_key
    assert [(entry.job.model_id, entry.state, entry.job.outcome) for entry in entries] == [
        ("bge-large-en", "ended", "succeeded"),
        ("mistral-7b-instruct", "ended", "succeeded"),
    ]
    assert entries[0].job.points  # with its steps


def test_jobs_of_a_connection_are_journaled_under_the_key_the_cli_recovers(
    fresh_sandbox: Sandbox, memory_keyring: Any
) -> None:
    store = ConnectionStore()
    connection = new_connection(
        name="lab",
        auth="access-key",
        access_key_id=fresh_sandbox.access_key,
        region="us-east-1",
        deployment_prefix=fresh_sandbox.prefix,
        endpoint_url=fresh_sandbox.endpoint_url,
    )
    store.add(connection, make_default=True)
    keychain.store_secret(connection.keychain_account, fresh_sandbox.secret_key)
    args = argparse.Namespace(sandbox=False, connection="lab", endpoint_url=None, region=None, deployment_prefix=None)
    with DeploymentBackend.open(args, store=store) as opened:
        assert opened.cache_key == cache_key_for(args, store) == f"connection:lab|{fresh_sandbox.prefix}|us-east-1"
        job, _ = submit(opened, JobKind.STOP, "bge-large-en")
        assert job.end().outcome == "succeeded"
        code, out = run_cli(["--connection", "lab", "models", "stop", "mistral-7b-instruct", "--yes", "--wait"])
        assert code == 0, out
    assert {job.deployment for job in Journal().jobs()} == {opened.cache_key}


def test_an_in_process_sandbox_journals_its_jobs_in_a_folder_that_goes_with_it() -> None:
    with DeploymentBackend.open(argparse.Namespace(sandbox=True)) as opened:
        assert not opened.journaled
        job, job_id = submit(opened, JobKind.STOP, "bge-large-en")
        assert job.end().outcome == "succeeded"
        assert [entry.job.job_id for entry in opened.job_history("bge-large-en")] == [job_id]
        assert opened.interrupted_jobs() == []
        assert opened.journal is not None
        scratch = opened.journal.path.parent
        assert scratch.exists()
    assert not scratch.exists()
    assert Journal().jobs() == []  # the workstation's journal never saw the sandbox


def test_a_history_read_while_the_sandbox_closes_neither_fails_the_close_nor_leaves_its_folder() -> None:
    """The details pane reads the job history on a worker thread; the window may close the sandbox meanwhile."""
    stop_reading = threading.Event()
    reads: list[int] = []
    with DeploymentBackend.open(argparse.Namespace(sandbox=True)) as opened:
        assert opened.journal is not None
        scratch = opened.journal.path.parent

        def keep_reading() -> None:
            while not stop_reading.is_set():
                reads.append(len(opened.job_history()))

        reader = threading.Thread(target=keep_reading)
        reader.start()
        wait_for(lambda: len(reads) >= 3)
    stop_reading.set()
    reader.join()
    assert not scratch.exists()
    assert opened.job_history() == []


def test_an_interrupted_job_is_found_and_recovered_through_the_backend(fresh_sandbox: Sandbox) -> None:
    crashed_cli_job(fresh_sandbox, "models", "stop", "mistral-7b-instruct", "--yes")
    with DeploymentBackend.open(endpoint_args(fresh_sandbox)) as opened:
        assert opened.model_row("mistral-7b-instruct").status == "Stopping"
        (interrupted,) = opened.interrupted_jobs()
        assert (interrupted.model_id, interrupted.kind) == ("mistral-7b-instruct", JobKind.STOP)
        (entry,) = opened.job_history("mistral-7b-instruct")
        assert entry.state == "interrupted"
        events: list[JobEvent] = []
        (recovered,) = opened.recover_interrupted(events.append)
        assert (recovered.job_id, recovered.action, recovered.final_status) == (
            interrupted.job_id,
            "resumed",
            "Stopped",
        )
        assert recovered.settled
        assert events and {event.job_id for event in events} == {interrupted.job_id}
        assert events[-1].message.startswith("recovered: resumed")
        assert opened.model_row("mistral-7b-instruct").status == "Stopped"
        (entry,) = opened.job_history("mistral-7b-instruct")
        assert entry.state == "recovered"
        assert entry.job.recovered_by
        assert opened.interrupted_jobs() == []
        assert opened.recover_interrupted(events.append) == []


def test_a_journal_that_cannot_be_opened_is_said_and_jobs_still_run(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(DATA_DIR_ENV, str(blocker))
    with DeploymentBackend.open(endpoint_args(fresh_sandbox)) as opened:
        assert opened.journal is None
        with pytest.raises(JournalUnavailable) as raised:
            opened.job_history()
        assert "LISA_DESKTOP_DATA_DIR" in opened.describe_error(raised.value)
        with pytest.raises(JournalUnavailable):
            opened.interrupted_jobs()
        job, _ = submit(opened, JobKind.STOP, "bge-large-en")
        assert job.end().outcome == "succeeded"


def test_a_model_held_by_another_workstations_dead_job_is_taken_over_once_its_lease_has_expired(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    model = "mistral-7b-instruct"
    crashed_cli_job(fresh_sandbox, "models", "stop", model, "--yes", after_point=4, data_dir=tmp_path / "elsewhere")
    with DeploymentBackend.open(endpoint_args(fresh_sandbox)) as opened:
        assert opened.lease_s == 600
        row = opened.model_row(model)
        assert row.status == "Stopping"
        assert row.held_by is not None and row.held_by.startswith("job-") and " on " in row.held_by
        assert row.heartbeat is not None
        assert opened.interrupted_jobs() == []  # this workstation's journal knows nothing of it
        takeover = opened.takeover_of(row.status)
        assert takeover is not None and takeover.kind is JobKind.STOP
        assert takeover.how.startswith("the stop finished")
        assert opened.takeover_of("InService") is None and opened.takeover_of("Failed") is None

        events: list[JobEvent] = []
        with pytest.raises(StatusNotAllowed) as refused:
            opened.take_over(model, events.append)
        assert row.held_by in str(refused.value) and "the lease expires in" in str(refused.value)
        assert events == []

        opened.lease_s = 0
        taken = opened.take_over(model, events.append)
        assert (taken.model_id, taken.kind, taken.action, taken.final_status) == (
            model,
            JobKind.STOP,
            "resumed",
            "Stopped",
        )
        assert taken.job_id != row.held_by.split(" ")[0]
        assert "the lease of job-" in taken.message
        assert {event.job_id for event in events} == {taken.job_id}
        assert events[-1].message.startswith("taken over: resumed")
        after = opened.model_row(model)
        assert (after.status, after.held_by, after.heartbeat) == ("Stopped", None, None)
        (entry,) = opened.job_history(model)  # the takeover, journaled here
        assert entry.job.job_id == taken.job_id and entry.job.recovered_by
        assert entry.job.plan["takeoverOf"] == row.held_by


def test_the_lease_comes_from_the_options(fresh_sandbox: Sandbox) -> None:
    args = endpoint_args(fresh_sandbox)
    args.lease_minutes = 0.5
    with DeploymentBackend.open(args) as opened:
        assert opened.lease_s == 30


def test_a_models_guardrails_are_read_by_the_inventory_helper_not_the_window(sandbox: Sandbox) -> None:
    """The details pane and the update wizard ask for the selected model's guardrails: the helper reads them, so the
    window's process makes no DynamoDB client (nor parses its service model, which held the window's GIL for tens
    of milliseconds during a refresh of 5,000 models)."""
    target = target_on(sandbox)
    window_calls: list[str] = []
    target.clients.add_call_listener(window_calls.append)
    opened = DeploymentBackend(target, settings=FAST)
    try:
        guardrails = opened.model_guardrails("nova-pro")
        assert sorted(guardrail.name for guardrail in guardrails) == ["harmful-content", "pii-filter"]
        assert {guardrail.model_id for guardrail in guardrails} == {"nova-pro"}
        assert opened.model_guardrails("mistral-7b-instruct") == []
    finally:
        opened.close()
    assert "Query" not in window_calls
