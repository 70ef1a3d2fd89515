"""The job journal: a local SQLite file (WAL) that outlives the process running a job.

Per job: its id, kind, model, deployment, plan, holder, process id and host, outcome; and per step that changes
AWS a *point* written before the call (`intent`) and after it (`done`), with what recovery needs (the revision
registered, the group sizes before, the LiteLLM id, the stack id, ...). `engine.jobs.recovery` reads it to finish a
job whose process is gone; `jobs log` reads it as the audit log. No secret is ever written here: points carry ids,
names and sizes, never a request's API key.

Whether a job's process is alive is told by a lock, not by its process id (which the OS reuses): the process
running a job holds an exclusive `flock` on `<journal dir>/locks/<job id>.lock` until it ends, and the OS drops the
lock when the process dies, however it dies.

Fault injection for tests: with `LISA_DESKTOP_CRASH_AFTER_POINT=N` the process exits at once (`os._exit`, no
clean-up, no `finally`) right after writing its job's N-th point; with `LISA_DESKTOP_CRASH_BEFORE_POINT=N` just
before writing it (before a `done` point: the call went through, its answer is lost); with
`LISA_DESKTOP_FAIL_AFTER_POINT=N` the step raises `InjectedFault` after point N instead.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Final

import platformdirs

from engine.private_files import open_private, private_dir, private_file
from engine.secrets import redacted

APP_DIR_NAME: Final = "lisa-desktop"
DATA_DIR_ENV: Final = "LISA_DESKTOP_DATA_DIR"
FILE_NAME: Final = "jobs.sqlite3"
BUSY_TIMEOUT_S: Final = 10.0
WAL_RETRY_S: Final = 0.02
CRASH_ENV: Final = "LISA_DESKTOP_CRASH_AFTER_POINT"
CRASH_BEFORE_ENV: Final = "LISA_DESKTOP_CRASH_BEFORE_POINT"
"""Exit just before writing point N: before a `done` point, the AWS call went through and its answer is lost."""
FAIL_ENV: Final = "LISA_DESKTOP_FAIL_AFTER_POINT"
CRASH_EXIT_CODE: Final = 86

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model_id TEXT NOT NULL,
    deployment TEXT NOT NULL,
    plan TEXT NOT NULL,
    holder TEXT,
    caller TEXT,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at REAL NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    message TEXT,
    final_status TEXT,
    ended_at REAL,
    recovered_by TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_model ON jobs (model_id, started_at);
CREATE TABLE IF NOT EXISTS points (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    step TEXT NOT NULL,
    phase TEXT NOT NULL,
    data TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (job_id, seq)
);
"""


class JobState(StrEnum):
    RUNNING = "running"
    """Its process is (or was, if it died) carrying it out."""
    ENDED = "ended"
    RECOVERED = "recovered"
    """Its process died; `jobs recover` finished it."""


class Phase(StrEnum):
    INTENT = "intent"
    """Written before an AWS call that changes something."""
    DONE = "done"
    """Written after it returned."""


class InjectedFault(RuntimeError):
    """Raised at a journal point chosen by LISA_DESKTOP_FAIL_AFTER_POINT (tests)."""


@dataclass(frozen=True)
class JournalPoint:
    seq: int
    step: str
    """`intake`, `ecs.register`, `ecs.deploy`, `capacity.resize`, `litellm.register`, `finalize`, ..."""
    phase: Phase
    data: Mapping[str, Any]
    at: float


@dataclass(frozen=True)
class JournalJob:
    job_id: str
    kind: str
    """update, start, stop, create, delete or schedule."""
    model_id: str
    deployment: str
    plan: Mapping[str, Any]
    holder: str | None
    caller: str | None
    pid: int
    host: str
    started_at: float
    state: JobState
    outcome: str | None
    message: str | None
    final_status: str | None
    ended_at: float | None
    recovered_by: str | None
    points: tuple[JournalPoint, ...] = field(default=())

    @property
    def is_unfinished(self) -> bool:
        return self.state is JobState.RUNNING

    def done(self, step: str) -> JournalPoint | None:
        """The last `done` point of `step`, if the job got that far."""
        return next((p for p in reversed(self.points) if p.step == step and p.phase is Phase.DONE), None)

    def intent(self, step: str) -> JournalPoint | None:
        """The last `intent` point of `step`."""
        return next((p for p in reversed(self.points) if p.step == step and p.phase is Phase.INTENT), None)

    def reached(self, step: str) -> bool:
        return any(p.step == step for p in self.points)

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "kind": self.kind,
            "modelId": self.model_id,
            "deployment": self.deployment,
            "state": str(self.state),
            "outcome": self.outcome,
            "message": self.message,
            "finalStatus": self.final_status,
            "caller": self.caller,
            "host": self.host,
            "pid": self.pid,
            "startedAt": _iso(self.started_at),
            "endedAt": _iso(self.ended_at),
            "recoveredBy": self.recovered_by,
            "plan": dict(self.plan),
            "points": [
                {"seq": p.seq, "step": p.step, "phase": str(p.phase), "at": _iso(p.at), "data": dict(p.data)}
                for p in self.points
            ],
        }


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def new_job_id() -> str:
    return f"job-{uuid.uuid4().hex[:12]}"


def default_journal_path() -> Path:
    folder = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)
    return Path(folder) / FILE_NAME


def _int_env(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


def _use_wal(db: sqlite3.Connection) -> None:
    """Put the journal in WAL mode (once; it stays so). The switch takes an exclusive lock, and SQLite answers a
    connection that meets another's lock then "database is locked" at once, without its busy timeout: a journal
    opened by several processes at the same moment is switched by one, and the others retry until it is."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)


class Journal:
    """The journal file. Every call opens its own short-lived connection: the window's worker threads, the CLI
    and a background job process may write at once (WAL: readers never wait; writers wait for each other)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        crash_after_point: int | None = None,
        fail_after_point: int | None = None,
        crash_before_point: int | None = None,
    ) -> None:
        """The fault switches default to LISA_DESKTOP_CRASH_AFTER_POINT, LISA_DESKTOP_FAIL_AFTER_POINT and
        LISA_DESKTOP_CRASH_BEFORE_POINT."""
        self.path = path or default_journal_path()
        self.crash_before_point = crash_before_point if crash_before_point is not None else _int_env(CRASH_BEFORE_ENV)
        self.crash_after_point = crash_after_point if crash_after_point is not None else _int_env(CRASH_ENV)
        self.fail_after_point = fail_after_point if fail_after_point is not None else _int_env(FAIL_ENV)
        private_dir(self.path.parent)
        private_file(self.path)  # before SQLite makes it: its -wal and -shm files take its mode
        self.lock_dir = private_dir(self.path.parent / "locks")
        with self._connect() as db:
            _use_wal(db)
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as db:
            yield db

    # -- writing ---------------------------------------------------------------------------------------------

    def begin(
        self,
        job_id: str,
        kind: str,
        model_id: str,
        deployment: str,
        plan: Mapping[str, Any],
        *,
        caller: str | None = None,
    ) -> JobRecorder:
        """Record a new job as running in this process and take its liveness lock."""
        lock = self._take_lock(job_id)
        with self._connect() as db:
            db.execute(
                "INSERT INTO jobs (job_id, kind, model_id, deployment, plan, caller, pid, host, started_at, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    kind,
                    model_id,
                    deployment,
                    json.dumps(redacted(plan), default=str),
                    caller,
                    os.getpid(),
                    socket.gethostname(),
                    time.time(),
                    JobState.RUNNING.value,
                ),
            )
        return JobRecorder(self, job_id, lock)

    def adopt(self, job_id: str) -> JobRecorder:
        """Continue writing the points of an existing job (recovery), holding its lock in this process."""
        lock = self._take_lock(job_id)
        with self._connect() as db:
            row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM points WHERE job_id = ?", (job_id,)).fetchone()
        return JobRecorder(self, job_id, lock, first_seq=int(row[0]), counts_faults=False)

    def _take_lock(self, job_id: str) -> IO[bytes]:
        handle = os.fdopen(open_private(self.lock_dir / f"{job_id}.lock", "a+"), "a+b")
        if not _try_lock(handle):
            handle.close()
            raise JobStillRunning(job_id)
        return handle

    def _point(self, job_id: str, seq: int, step: str, phase: Phase, data: Mapping[str, Any]) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO points (job_id, seq, step, phase, data, at) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, seq, step, phase.value, json.dumps(redacted(data), default=str), time.time()),
            )

    def set_holder(self, job_id: str, holder: str, caller: str | None) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET holder = ?, caller = COALESCE(?, caller) WHERE job_id = ?", (holder, caller, job_id)
            )

    def set_plan(self, job_id: str, plan: Mapping[str, Any]) -> None:
        with self._connect() as db:
            db.execute("UPDATE jobs SET plan = ? WHERE job_id = ?", (json.dumps(redacted(plan), default=str), job_id))

    def end(
        self,
        job_id: str,
        outcome: str,
        message: str,
        final_status: str | None,
        *,
        recovered_by: str | None = None,
    ) -> None:
        state = JobState.RECOVERED if recovered_by else JobState.ENDED
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET state = ?, outcome = ?, message = ?, final_status = ?, ended_at = ?, "
                "recovered_by = COALESCE(?, recovered_by) WHERE job_id = ?",
                (state.value, outcome, message, final_status, time.time(), recovered_by, job_id),
            )

    # -- reading ---------------------------------------------------------------------------------------------

    def jobs(
        self,
        *,
        deployment: str | None = None,
        model_id: str | None = None,
        unfinished: bool = False,
        with_points: bool = True,
        job_id: str | None = None,
    ) -> list[JournalJob]:
        """Jobs, oldest first, filtered by deployment, model, id and whether they are still marked running."""
        clauses, values = [], []
        if job_id is not None:
            clauses.append("job_id = ?")
            values.append(job_id)
        if deployment is not None:
            clauses.append("deployment = ?")
            values.append(deployment)
        if model_id is not None:
            clauses.append("model_id = ?")
            values.append(model_id)
        if unfinished:
            clauses.append("state = ?")
            values.append(JobState.RUNNING.value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connect() as db:
            rows = db.execute(
                "SELECT job_id, kind, model_id, deployment, plan, holder, caller, pid, host, started_at, state, "
                f"outcome, message, final_status, ended_at, recovered_by FROM jobs{where} ORDER BY started_at",
                values,
            ).fetchall()
            points: dict[str, list[JournalPoint]] = {}
            if with_points and rows:
                for job_id, seq, step, phase, data, at in db.execute(
                    f"SELECT job_id, seq, step, phase, data, at FROM points WHERE job_id IN "
                    f"(SELECT job_id FROM jobs{where}) ORDER BY job_id, seq",
                    values,
                ):
                    points.setdefault(job_id, []).append(JournalPoint(seq, step, Phase(phase), json.loads(data), at))
        return [_job(row, tuple(points.get(row[0], ()))) for row in rows]

    def job(self, job_id: str) -> JournalJob | None:
        return next(iter(self.jobs(job_id=job_id)), None)

    def is_alive(self, job: JournalJob) -> bool:
        """Whether the process running `job` is still alive. Jobs of another host count as alive (their lock is
        not here to test); a lock that can be taken means its process is gone."""
        if job.host != socket.gethostname():
            return True
        path = self.lock_dir / f"{job.job_id}.lock"
        with os.fdopen(open_private(path, "a+"), "a+b") as handle:
            if _try_lock(handle):
                _unlock(handle)
                return False
            return True

    def dead_jobs(self, *, deployment: str | None = None, model_id: str | None = None) -> list[JournalJob]:
        """Unfinished jobs (of this host) whose process is gone: what `jobs recover` finishes."""
        return [
            job
            for job in self.jobs(deployment=deployment, model_id=model_id, unfinished=True)
            if not self.is_alive(job)
        ]


class JobStillRunning(RuntimeError):
    """Another process holds the job's lock."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} is still running in another process")


class JobRecorder:
    """One job's writer: its points, its holder, its end. Thread-safe (a job runs on one worker thread, but a
    cancel or a listener may end it from another)."""

    def __init__(
        self, journal: Journal, job_id: str, lock: IO[bytes], *, first_seq: int = 0, counts_faults: bool = True
    ) -> None:
        self.journal = journal
        self.job_id = job_id
        self._lock_file: IO[bytes] | None = lock
        self._seq = first_seq
        self._written = 0
        self._guard = threading.Lock()
        self._crash_at = journal.crash_after_point if counts_faults else None
        self._fail_at = journal.fail_after_point if counts_faults else None
        self._crash_before = journal.crash_before_point if counts_faults else None
        self.steps: list[str] = []
        """The steps of the points written by this recorder, in order."""
        self.done_steps: list[str] = []
        """The steps of its `done` points."""

    @property
    def points_written(self) -> int:
        return self._written

    def point(self, step: str, phase: Phase, **data: Any) -> None:
        with self._guard:
            if self._crash_before is not None and self._written + 1 == self._crash_before:
                os._exit(CRASH_EXIT_CODE)
            self._seq += 1
            self._written += 1
            written = self._written
            self.steps.append(step)
            if phase is Phase.DONE:
                self.done_steps.append(step)
            self.journal._point(self.job_id, self._seq, step, phase, data)
            if self._crash_at is not None and written == self._crash_at:
                os._exit(CRASH_EXIT_CODE)  # still holding the guard: no other thread writes a point after this one
        if self._fail_at is not None and written == self._fail_at:
            raise InjectedFault(f"fault injected after journal point {written} ({step} {phase})")

    def intent(self, step: str, **data: Any) -> None:
        self.point(step, Phase.INTENT, **data)

    def done(self, step: str, **data: Any) -> None:
        self.point(step, Phase.DONE, **data)

    def set_holder(self, holder: str) -> None:
        self.journal.set_holder(self.job_id, holder, caller_of(holder))

    def set_plan(self, plan: Mapping[str, Any]) -> None:
        self.journal.set_plan(self.job_id, plan)

    def end(self, outcome: str, message: str, final_status: str | None, *, recovered_by: str | None = None) -> None:
        self.journal.end(self.job_id, outcome, message, final_status, recovered_by=recovered_by)
        self.release()

    def leave_unfinished(self, message: str) -> None:
        """The job ended without its last record write landing (AWS could not be reached, say): it stays
        unfinished, so that `jobs recover` finishes it once AWS answers again. Drops the lock."""
        with self.journal._connect() as db:
            db.execute("UPDATE jobs SET message = ? WHERE job_id = ?", (message, self.job_id))
        self.release()

    def release(self) -> None:
        """Drop the liveness lock (the job is over, or handed to another process)."""
        with self._guard:
            handle, self._lock_file = self._lock_file, None
        if handle is not None:
            _unlock(handle)
            handle.close()


def caller_of(holder: str) -> str | None:
    """The caller ARN in a holder text: `job-… (arn:aws:iam::… on host, since …)`."""
    inside = holder.partition("(")[2]
    who = inside.partition(" on ")[0].strip()
    return who if who.startswith("arn:") else None


def _job(row: tuple[Any, ...], points: tuple[JournalPoint, ...]) -> JournalJob:
    (
        job_id,
        kind,
        model_id,
        deployment,
        plan,
        holder,
        caller,
        pid,
        host,
        started_at,
        state,
        outcome,
        message,
        final_status,
        ended_at,
        recovered_by,
    ) = row
    return JournalJob(
        job_id,
        kind,
        model_id,
        deployment,
        json.loads(plan),
        holder,
        caller,
        int(pid),
        host,
        float(started_at),
        JobState(state),
        outcome,
        message,
        final_status,
        ended_at,
        recovered_by,
        points,
    )


if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
