"""The inventory read in a helper process: Scan, ECS, Auto Scaling and LiteLLM reads, parsing and row building run
there, and only the rows that changed since the last answer come back.

Parsing thousands of records and AWS responses on a thread would hold the window's GIL for tens of milliseconds
at a time; in a process of its own it holds nothing of the window's. The helper is started with multiprocessing's
`spawn` method (a fresh interpreter: no Qt state is forked; it also works in the PyInstaller bundle, whose entry
point calls `multiprocessing.freeze_support()`), lives as long as the deployment is open and is restarted if it
dies. Credentials never reach its command line or environment: each request carries the frozen credentials of the
window's session (renewed there, by boto3, as they expire) through the pipe.

The window keeps the rows it was given last; the helper remembers what it sent, so a refresh where nothing
changed sends model ids only, and the window gets back the very row objects it already holds.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Final

from engine.aws.discovery import DeploymentInfo
from engine.errors import LisaDesktopError
from engine.model_row import ModelRow

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from engine.aws.clients import AwsClients
    from engine.aws.guardrails import Guardrail
    from engine.aws.inventory import Inventory

log = logging.getLogger(__name__)

CHUNK_ROWS: Final = 200
"""Rows per message: each message is unpickled by one C call, which holds the window's GIL while it runs."""
ANSWER_TIMEOUT_S: Final = 600.0
"""Longest a read may take before the helper is taken for hung, stopped and started again."""
START_TIMEOUT_S: Final = 60.0


class ReaderFailed(LisaDesktopError):
    """The helper process failed in a way its own error could not tell (it died, hung, or raised something that
    cannot cross the pipe)."""


@dataclass(frozen=True)
class ReaderConfig:
    """Everything the helper needs to read one deployment; compared on every request, so new credentials (boto3
    renews them as they expire) or another deployment make it build new clients."""

    deployment: DeploymentInfo | None
    """None only to discover it."""
    region: str
    endpoint_url: str | None
    max_attempts: int
    version: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, clients: AwsClients, deployment: DeploymentInfo | None) -> ReaderConfig:
        """The configuration that reads `deployment` as `clients` would; resolving the credentials may call AWS
        (an SSO or assume-role refresh): call it off the GUI thread."""
        credentials = clients.frozen_credentials()
        return cls(
            deployment,
            clients.region,
            clients.endpoint_url,
            clients.max_attempts,
            clients.version,
            credentials.access_key or "",
            credentials.secret_key or "",
            credentials.token,
        )


@dataclass(frozen=True)
class ReadStats:
    calls: Mapping[str, int]
    """AWS calls the read made, by operation name."""
    seconds: float
    """How long the helper took (the window's wait less the pipe)."""
    rows_sent: int
    """Rows that crossed the pipe (the others were unchanged)."""


class InventoryReader:
    """The window's side: one helper process, one request at a time (callers on several threads wait their turn).
    Blocking: call it off the GUI thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._known: dict[str, ModelRow] = {}
        self._in_step = False
        """Whether the helper's memory of what it sent equals `_known` (false after any failure)."""
        self._deployment: DeploymentInfo | None = None
        """The deployment `_known` holds rows of."""
        self.last_stats: ReadStats | None = None

    def start(self) -> None:
        """Start the helper now (it takes a moment to import boto3), so the first read does not wait for it."""
        with self._lock:
            self._ensure_started()

    def listing(self, config: ReaderConfig) -> list[ModelRow]:
        """Every model's row, sorted by model id (unreadable items included, marked)."""
        return self._rows(("list", config), replace=True)

    def some(self, config: ReaderConfig, model_ids: Iterable[str]) -> list[ModelRow]:
        """The rows of those of `model_ids` that exist, sorted by model id."""
        return self._rows(("some", config, sorted(set(model_ids))), replace=False)

    def discover(self, config: ReaderConfig, prefix: str, expected_account: str | None) -> DeploymentInfo:
        """`discover_deployment()`, done by the helper (its SSM and Secrets Manager clients are made there)."""
        return self._call(("discover", config, prefix, expected_account))  # type: ignore[no-any-return]

    def row(self, config: ReaderConfig, model_id: str) -> ModelRow:
        """One model's row with its service described (the details pane); ModelNotFound when there is none."""
        return self._call(("one", config, model_id))  # type: ignore[no-any-return]

    def write_refusal(self, config: ReaderConfig) -> str | None:
        """`ModelsTable.write_refusal()`, asked by the helper (whose DynamoDB client is made already)."""
        return self._call(("write_refusal", config))  # type: ignore[no-any-return]

    def guardrails(self, config: ReaderConfig, model_id: str) -> list[Guardrail]:
        """`GuardrailsTable.of_model()`, read by the helper: the details pane and the update wizard ask it of the
        window's selected model, and the window then needs no DynamoDB client (nor its service model) of its own."""
        return self._call(("guardrails", config, model_id))  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            self._stop()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    # -- the pipe --------------------------------------------------------------------------------------------

    def _rows(self, request: tuple[Any, ...], *, replace: bool) -> list[ModelRow]:
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._exchange_rows(request, replace)
                except (EOFError, OSError, ReaderFailed) as error:
                    self._in_step = False
                    if attempt == 2 or isinstance(error, ReaderFailed):
                        raise ReaderFailed(f"the inventory reader failed: {error}") from error
                    log.warning("the inventory reader stopped (%s); starting it again", error)
                    self._stop()
                except BaseException:
                    self._in_step = False
                    raise
        raise AssertionError("unreachable")

    def _exchange_rows(self, request: tuple[Any, ...], replace: bool) -> list[ModelRow]:
        deployment = request[1].deployment
        if deployment is None:
            raise ReaderFailed("the deployment to read is not known yet")
        if deployment != self._deployment:  # another deployment: nothing known is of use
            self._known, self._in_step, self._deployment = {}, False, deployment
        conn = self._ensure_started()
        conn.send((*request, self._in_step))
        changed: list[ModelRow] = []
        while True:
            kind, payload = self._receive(conn)
            if kind == "rows":
                changed.extend(payload)
                continue
            unchanged, gone, stats = payload
            break
        known = self._known
        missing = [model_id for model_id in unchanged if model_id not in known]
        if missing:
            raise ReaderFailed(f"the reader named rows it never sent: {missing[:3]}")
        rows = changed + [known[model_id] for model_id in unchanged]
        rows.sort(key=lambda row: row.model_id)
        if replace:
            self._known = {row.model_id: row for row in rows}
        else:
            for model_id in gone:
                self._known.pop(model_id, None)
            self._known.update((row.model_id, row) for row in changed)
        self._in_step = True
        self.last_stats = stats
        return rows

    def _call(self, request: tuple[Any, ...]) -> Any:
        with self._lock:
            for attempt in (1, 2):
                try:
                    conn = self._ensure_started()
                    conn.send(request)
                    return self._receive(conn)[1]
                except (EOFError, OSError) as error:
                    self._stop()
                    if attempt == 2:
                        raise ReaderFailed(f"the inventory reader failed: {error}") from error
                    log.warning("the inventory reader stopped (%s); starting it again", error)
        raise AssertionError("unreachable")

    def _receive(self, conn: Connection) -> tuple[str, Any]:
        if not conn.poll(ANSWER_TIMEOUT_S):
            self._stop()
            raise ReaderFailed(f"the inventory reader gave no answer in {ANSWER_TIMEOUT_S:.0f} s")
        kind, payload = conn.recv()
        if kind == "error":
            raise _rebuilt(payload)
        return kind, payload

    def _ensure_started(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs,), name="lisa-inventory-reader", daemon=True)
        process.start()
        theirs.close()
        self._process, self._conn, self._in_step = process, ours, False
        return ours

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        self._in_step = False
        if conn is not None:
            conn.close()  # the helper reads end-of-file and exits
        if process is not None:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


_SHARED_LOCK = threading.Lock()
_SHARED: InventoryReader | None = None


def shared_reader() -> InventoryReader:
    """The process's one reader, for every deployment opened without a reader of its own (the window's, the
    tests'): one helper process however many deployments are opened one after another. Closed at exit."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = InventoryReader()
            atexit.register(_SHARED.close)
        return _SHARED


# -- the helper's side ------------------------------------------------------------------------------------------


class _Helper:
    def __init__(self) -> None:
        self.config: ReaderConfig | None = None
        self.inventory: Inventory | None = None
        self.calls: Counter[str] = Counter()
        self.sent: dict[str, ModelRow] = {}
        self.clients: AwsClients | None = None
        self.credentials: tuple[object, ...] = ()

    def clients_for(self, config: ReaderConfig) -> AwsClients:
        credentials = (config.access_key, config.secret_key, config.token, config.region, config.endpoint_url)
        if self.clients is None or credentials != self.credentials:
            from engine.aws.clients import AwsClients
            from engine.aws.sessions import new_session

            session = new_session(
                aws_access_key_id=config.access_key,
                aws_secret_access_key=config.secret_key,
                aws_session_token=config.token,
                region_name=config.region,
            )
            self.clients = AwsClients(
                session,
                version=config.version,
                endpoint_url=config.endpoint_url,
                region_name=config.region,
                max_attempts=config.max_attempts,
                on_call=self._count,
            )
            self.credentials = credentials
        return self.clients

    def inventory_for(self, config: ReaderConfig) -> Inventory:
        if config.deployment is None:
            raise ReaderFailed("the deployment to read is not known yet")
        if self.inventory is None or config != self.config:
            from engine.aws.inventory import Inventory

            old = self.inventory
            self.inventory = Inventory(self.clients_for(config), config.deployment)
            if old is not None and config.deployment == getattr(self.config, "deployment", None):
                self.inventory.stacks.import_cache(old.stacks.export_cache())  # new credentials, same stacks
                self.inventory.configuration.remember(old.configuration)
            else:
                self.sent = {}
            self.config = config
        return self.inventory

    def answer(self, conn: Connection, request: tuple[Any, ...]) -> None:
        from engine.aws.models_table import UnreadableRecord
        from engine.aws.rows import row_of, unreadable_row

        kind, config, *rest = request
        if kind == "discover":
            from engine.aws.discovery import discover_deployment

            prefix, expected_account = rest
            conn.send(
                ("value", discover_deployment(self.clients_for(config), prefix, expected_account=expected_account))
            )
            return
        inventory = self.inventory_for(config)
        if kind == "one":
            read = inventory.get_readable(rest[0])
            default = inventory.default_model  # as the last listing read it
            value: object = unreadable_row(read) if isinstance(read, UnreadableRecord) else row_of(read, default)
        elif kind == "write_refusal":
            value = inventory.models_table.write_refusal()
        elif kind == "guardrails":
            from engine.aws.guardrails import GuardrailsTable

            table = GuardrailsTable(self.clients_for(config), inventory.deployment.guardrails_table_name)
            value = table.of_model(rest[0])
        else:
            raise ReaderFailed(f"the inventory reader was asked for {kind!r}")
        conn.send(("value", value))

    def _count(self, operation: str) -> None:
        self.calls[operation] += 1

    def rows(self, conn: Connection, request: tuple[Any, ...]) -> None:
        from engine.aws.rows import row_of, unreadable_row

        kind, config, *rest = request
        in_step: bool = rest.pop()
        inventory = self.inventory_for(config)
        self.calls.clear()
        started = time.perf_counter()
        if kind == "list":
            listing = inventory.listing(detail=False)
            asked: list[str] | None = None
        else:
            asked = rest[0]
            listing = inventory.some_listing(asked)
        default = listing.default_model
        rows = [*(row_of(view, default) for view in listing.views), *map(unreadable_row, listing.unreadable)]
        sent = self.sent if in_step else {}
        changed = [row for row in rows if sent.get(row.model_id) != row]
        unchanged = [row.model_id for row in rows if sent.get(row.model_id) == row]
        found = {row.model_id for row in rows}
        gone = [model_id for model_id in asked if model_id not in found] if asked is not None else []
        for first in range(0, len(changed), CHUNK_ROWS):
            conn.send(("rows", changed[first : first + CHUNK_ROWS]))
        stats = ReadStats(dict(self.calls), time.perf_counter() - started, len(changed))
        conn.send(("done", (unchanged, gone, stats)))
        if kind == "list" or not in_step:
            self.sent = {row.model_id: row for row in rows}
        else:
            for model_id in gone:
                self.sent.pop(model_id, None)
            self.sent.update((row.model_id, row) for row in changed)


def serve(conn: Connection) -> None:
    """The helper's main loop: answer requests until the window closes its end of the pipe."""
    logging.basicConfig(level=logging.WARNING, format="lisa-inventory-reader %(levelname)s %(name)s: %(message)s")
    # Imported now, while the window opens the deployment, not when the first read is asked for.
    import engine.aws.inventory
    import engine.aws.rows  # noqa: F401

    helper = _Helper()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if request[0] in ("list", "some"):
                helper.rows(conn, request)
            else:
                helper.answer(conn, request)
        except Exception as error:  # every failure goes back to the window, which shows it
            helper.sent = {}
            try:
                conn.send(("error", _portable(error)))
            except (EOFError, OSError):
                return


def _portable(error: BaseException) -> tuple[str, str, tuple[Any, ...], dict[str, Any]]:
    """`error` as (module, class name, args, attributes), which `_rebuilt` turns back into the same exception,
    whatever its `__init__` takes; a ReaderFailed with its text when it cannot be carried."""
    import pickle

    cls = type(error)
    carried = (cls.__module__, cls.__qualname__, error.args, dict(vars(error)))
    try:
        pickle.dumps(carried)
        _rebuilt(carried)
    except Exception:
        return (ReaderFailed.__module__, ReaderFailed.__qualname__, (f"{cls.__name__}: {error}",), {})
    return carried


def _rebuilt(carried: tuple[str, str, tuple[Any, ...], dict[str, Any]]) -> BaseException:
    module, name, args, attributes = carried
    cls: Any = importlib.import_module(module)
    for part in name.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return ReaderFailed(f"{name}: {args}")
    error: BaseException = cls.__new__(cls)
    error.args = args
    vars(error).update(attributes)
    return error
