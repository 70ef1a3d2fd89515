"""A LiteLLM-compatible model registry on loopback: the admin routes LISA Serve proxies under `/v2/serve`.

Only what LISA's own LiteLLM client uses (`lambda/models/clients/litellm_client.py`): register (`POST
/model/new`), unregister (`POST /model/delete`) and list (`GET /model/info`) models; create (`POST /guardrails`),
replace (`PUT /guardrails/{id}`), read (`GET /guardrails/{id}[/info]`, `GET /guardrails/list`, `GET
/v2/guardrails/list`) and delete (`DELETE /guardrails/{id}`) guardrails, as LiteLLM's guardrail endpoints answer
them (`litellm/proxy/guardrails/guardrail_endpoints.py`): a guardrail's name is unique (LiteLLM's table has a unique
`guardrail_name`: a second one fails with 500), a missing id is 404 `Guardrail with ID <id> not found`, and each
guardrail carries `created_at` and `updated_at`. Every route checks the header `Authorization: <management key>`
(the bare key, exactly as LISA sends it).
`fail(method, route)` makes a route answer with an error, for tests of what a client does then.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from engine.sandbox.served import SHUTDOWN_POLL_S

SERVE_PATH: Final = "/v2/serve"
"""LISA Serve proxies LiteLLM's admin routes under `<lisaServeRestApiUri>/v2/serve`."""
MAX_BODY_BYTES: Final = 1 << 20
GUARDRAILS_ROUTE: Final = "/guardrails"


@dataclass(frozen=True)
class RegisteredModel:
    """One entry of the registry, as `GET /model/info` lists it."""

    id: str
    model_name: str
    litellm_params: dict[str, Any] = field(default_factory=dict)

    def as_info(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "litellm_params": copy.deepcopy(self.litellm_params),
            "model_info": {"id": self.id},
        }


@dataclass(frozen=True)
class RegisteredGuardrail:
    """One guardrail, as LiteLLM's `/guardrails` routes answer it."""

    id: str
    guardrail_name: str
    litellm_params: dict[str, Any] = field(default_factory=dict)
    guardrail_info: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    def as_info(self) -> dict[str, Any]:
        return {
            "guardrail_id": self.id,
            "guardrail_name": self.guardrail_name,
            "litellm_params": copy.deepcopy(self.litellm_params),
            "guardrail_info": copy.deepcopy(self.guardrail_info),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class GuardrailNameTaken(ValueError):
    """LiteLLM's guardrails table keeps one guardrail per `guardrail_name`."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Unique constraint failed on the fields: (`guardrail_name`): {name}")


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Fault:
    status: HTTPStatus
    passes: int
    """Requests still answered as usual before the fault starts."""
    times: int | None
    """Requests still failed (None: every one)."""

    def next_answer(self) -> HTTPStatus | None:
        if self.passes > 0:
            self.passes -= 1
            return None
        if self.times is None:
            return self.status
        if self.times <= 0:
            return None
        self.times -= 1
        return self.status


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    """socketserver's default backlog of 5 drops connections when a test or a bulk action registers many models
    at once (a dropped SYN costs a client a second, or its request)."""


class LiteLLMRegistry:
    """A thread-safe in-memory model registry served over HTTP on a loopback port.

    `url` is what LISA publishes as `lisaServeRestApiUri`; the admin routes are under `url + "/v2/serve"`.
    `add`/`remove`/`registered` work in-process (seeding, the simulator, tests) without HTTP.
    """

    def __init__(self, management_key: str, host: str = "127.0.0.1", port: int = 0) -> None:
        if not management_key:
            raise ValueError("the management key must not be empty")
        self._key = management_key
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._models: dict[str, RegisteredModel] = {}
        self._guardrails: dict[str, RegisteredGuardrail] = {}
        self._failing: dict[tuple[str, str], _Fault] = {}
        self._max_input_tokens: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> str:
        if self._server is not None:
            return self.url
        server = _Server((self._host, self._port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_S},
            name=f"sandbox-litellm-{port}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LiteLLMRegistry:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """The base URL (LISA's `lisaServeRestApiUri`), e.g. `http://127.0.0.1:PORT`."""
        if self._server is None:
            raise RuntimeError("the LiteLLM registry is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def admin_url(self) -> str:
        """Where LISA's LiteLLM client sends its requests: `url + /v2/serve`."""
        return self.url + SERVE_PATH

    @property
    def management_key(self) -> str:
        return self._key

    # -- in-process access -----------------------------------------------------------------------------

    def add(self, model_name: str, litellm_params: Mapping[str, Any], model_id: str | None = None) -> str:
        """Register a model; returns its id (a new UUID unless one is given)."""
        entry = RegisteredModel(model_id or str(uuid.uuid4()), model_name, copy.deepcopy(dict(litellm_params)))
        with self._lock:
            self._models[entry.id] = entry
        return entry.id

    def knows_model(self, litellm_model: str, max_input_tokens: int) -> None:
        """As LiteLLM's model map: entries whose `litellm_params.model` is `litellm_model` list `max_input_tokens`
        in their `model_info` (what LISA's EnrichContextWindow reads for a model it does not host)."""
        with self._lock:
            self._max_input_tokens[litellm_model] = max_input_tokens

    def model_info(self, entry: RegisteredModel) -> dict[str, Any]:
        """The entry as `GET /model/info` lists it."""
        info = entry.as_info()
        with self._lock:
            tokens = self._max_input_tokens.get(str(entry.litellm_params.get("model", "")))
        if tokens is not None:
            info["model_info"]["max_input_tokens"] = tokens
        return info

    def remove(self, model_id: str) -> bool:
        with self._lock:
            return self._models.pop(model_id, None) is not None

    def registered(self) -> list[RegisteredModel]:
        """A snapshot of every entry, in registration order."""
        with self._lock:
            return list(self._models.values())

    def get(self, model_id: str) -> RegisteredModel | None:
        with self._lock:
            return self._models.get(model_id)

    def ids_for(self, model_name: str) -> list[str]:
        with self._lock:
            return [entry.id for entry in self._models.values() if entry.model_name == model_name]

    def clear(self) -> None:
        with self._lock:
            self._models.clear()

    def add_guardrail(
        self,
        guardrail_name: str,
        litellm_params: Mapping[str, Any],
        guardrail_info: Mapping[str, Any] | None = None,
        guardrail_id: str | None = None,
    ) -> str:
        """Create a guardrail; returns its id (a new UUID unless one is given). GuardrailNameTaken if another
        guardrail has that name."""
        stamp = _stamp()
        entry = RegisteredGuardrail(
            guardrail_id or str(uuid.uuid4()),
            guardrail_name,
            copy.deepcopy(dict(litellm_params)),
            copy.deepcopy(dict(guardrail_info or {})),
            stamp,
            stamp,
        )
        with self._lock:
            if any(g.guardrail_name == guardrail_name for g in self._guardrails.values()):
                raise GuardrailNameTaken(guardrail_name)
            self._guardrails[entry.id] = entry
        return entry.id

    def replace_guardrail(
        self,
        guardrail_id: str,
        guardrail_name: str,
        litellm_params: Mapping[str, Any],
        guardrail_info: Mapping[str, Any] | None = None,
    ) -> RegisteredGuardrail | None:
        """LiteLLM's update: the guardrail replaced as a whole (its id and creation time kept); None if there is
        no guardrail of that id, GuardrailNameTaken if another guardrail has the new name."""
        with self._lock:
            found = self._guardrails.get(guardrail_id)
            if found is None:
                return None
            if any(g.guardrail_name == guardrail_name and g.id != guardrail_id for g in self._guardrails.values()):
                raise GuardrailNameTaken(guardrail_name)
            entry = RegisteredGuardrail(
                guardrail_id,
                guardrail_name,
                copy.deepcopy(dict(litellm_params)),
                copy.deepcopy(dict(guardrail_info or {})),
                found.created_at,
                _stamp(),
            )
            self._guardrails[guardrail_id] = entry
            return entry

    def remove_guardrail(self, guardrail_id: str) -> bool:
        with self._lock:
            return self._guardrails.pop(guardrail_id, None) is not None

    def guardrails(self) -> list[RegisteredGuardrail]:
        """A snapshot of every guardrail, in creation order."""
        with self._lock:
            return list(self._guardrails.values())

    def get_guardrail(self, guardrail_id: str) -> RegisteredGuardrail | None:
        with self._lock:
            return self._guardrails.get(guardrail_id)

    # -- faults ----------------------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        route: str,
        status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR,
        *,
        after: int = 0,
        times: int | None = None,
    ) -> None:
        """Answer `method` requests whose route (after `/v2/serve`) starts with `route` with `status`, until
        `heal()`: all of them, or the `times` after the first `after` (which are answered as usual)."""
        with self._lock:
            self._failing[(method.upper(), route)] = _Fault(status, after, times)

    def heal(self) -> None:
        with self._lock:
            self._failing.clear()

    def failure_for(self, method: str, route: str) -> HTTPStatus | None:
        with self._lock:
            for (failing_method, prefix), fault in self._failing.items():
                if failing_method == method and route.startswith(prefix):
                    return fault.next_answer()
        return None

    def authorized(self, header: str | None) -> bool:
        return header == self._key


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _handler_for(registry: LiteLLMRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(_RegistryHandler):
        pass

    Handler.registry = registry
    return Handler


class _RegistryHandler(BaseHTTPRequestHandler):
    registry: LiteLLMRegistry
    server_version = "LiteLLMSandbox/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no request log on stderr
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            body = self._read_body()
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/")
            if not path.startswith(SERVE_PATH + "/"):
                raise _HttpError(HTTPStatus.NOT_FOUND, f"no route {method} {parts.path}")
            route = path[len(SERVE_PATH) :]
            if not self.registry.authorized(self.headers.get("Authorization")):
                raise _HttpError(HTTPStatus.UNAUTHORIZED, "Authentication Error: invalid management key")
            failure = self.registry.failure_for(method, route)
            if failure is not None:
                raise _HttpError(failure, f"sandbox fault: {method} {route} fails with {int(failure)}")
            status, payload = self._route(method, route, parse_qs(parts.query), body)
        except _HttpError as error:
            status, payload = error.status, {"detail": error.detail}
            self.close_connection = True  # the body may not have been read: do not reuse the connection
        except Exception as error:  # never let a handler thread die silently
            status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, {"detail": f"internal error: {error}"}
            self.close_connection = True
        self._send(status, payload)

    def _route(
        self, method: str, route: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[HTTPStatus, dict[str, Any]]:
        if (method, route) == ("POST", "/model/new"):
            data = _json_object(body)
            name = data.get("model_name")
            params = data.get("litellm_params")
            if not isinstance(name, str) or not name:
                raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, "model_name is required (a non-empty string)")
            if not isinstance(params, dict):
                raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, "litellm_params is required (an object)")
            model_id = self.registry.add(name, params)
            return HTTPStatus.OK, {
                "model_id": model_id,
                "model_name": name,
                "litellm_params": params,
                "model_info": {"id": model_id},
            }
        if (method, route) == ("POST", "/model/delete"):
            data = _json_object(body)
            doomed = data.get("id")
            if not isinstance(doomed, str) or not doomed:
                raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, "id is required (a non-empty string)")
            if not self.registry.remove(doomed):
                raise _HttpError(HTTPStatus.NOT_FOUND, f"Model with id={doomed} not found in db")
            return HTTPStatus.OK, {"message": f"Model: {doomed} deleted successfully"}
        if (method, route) == ("GET", "/model/info"):
            wanted: str | None = (query.get("litellm_model_id") or [""])[0] or None
            entries = [self.registry.model_info(e) for e in self.registry.registered() if wanted in (None, e.id)]
            return HTTPStatus.OK, {"data": entries}
        if (method, route) == ("GET", "/v2" + GUARDRAILS_ROUTE + "/list"):
            listed = [{**g.as_info(), "guardrail_definition_location": "db"} for g in self.registry.guardrails()]
            return HTTPStatus.OK, {"guardrails": listed}
        if route == GUARDRAILS_ROUTE or route.startswith(GUARDRAILS_ROUTE + "/"):
            return self._guardrail_route(method, route[len(GUARDRAILS_ROUTE) :].lstrip("/"), body)
        raise _HttpError(HTTPStatus.NOT_FOUND, f"no route {method} {SERVE_PATH}{route}")

    def _guardrail_route(self, method: str, rest: str, body: bytes) -> tuple[HTTPStatus, dict[str, Any]]:
        if (method, rest) == ("POST", ""):
            name, params, info = _guardrail_spec(body)
            try:
                guardrail_id = self.registry.add_guardrail(name, params, info)
            except GuardrailNameTaken as taken:
                raise _HttpError(HTTPStatus.INTERNAL_SERVER_ERROR, str(taken)) from None
            created = self.registry.get_guardrail(guardrail_id)
            assert created is not None
            return HTTPStatus.OK, created.as_info()
        if method == "PUT" and rest and "/" not in rest:
            name, params, info = _guardrail_spec(body)
            guardrail_id = unquote(rest)
            try:
                replaced = self.registry.replace_guardrail(guardrail_id, name, params, info)
            except GuardrailNameTaken as taken:
                raise _HttpError(HTTPStatus.INTERNAL_SERVER_ERROR, str(taken)) from None
            if replaced is None:
                raise _HttpError(HTTPStatus.NOT_FOUND, f"Guardrail with ID {guardrail_id} not found")
            return HTTPStatus.OK, replaced.as_info()
        if (method, rest) == ("GET", "list"):
            return HTTPStatus.OK, {"guardrails": [g.as_info() for g in self.registry.guardrails()]}
        raw_id = rest.removesuffix("/info")
        if not raw_id or "/" in raw_id:
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no route {method} {SERVE_PATH}{GUARDRAILS_ROUTE}/{rest}")
        guardrail_id = unquote(raw_id)
        found = self.registry.get_guardrail(guardrail_id)
        if method == "GET" and found is not None:
            return HTTPStatus.OK, found.as_info()
        if method == "DELETE" and not rest.endswith("/info") and self.registry.remove_guardrail(guardrail_id):
            assert found is not None
            return HTTPStatus.OK, found.as_info()
        if method in ("GET", "DELETE"):
            raise _HttpError(HTTPStatus.NOT_FOUND, f"Guardrail with ID {guardrail_id} not found")
        raise _HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"no route {method} {SERVE_PATH}{GUARDRAILS_ROUTE}/{rest}")

    def _read_body(self) -> bytes:
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError:
            raise _HttpError(HTTPStatus.BAD_REQUEST, "invalid Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise _HttpError(HTTPStatus.BAD_REQUEST, "request body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: HTTPStatus, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _guardrail_spec(body: bytes) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """`{"guardrail": {"guardrail_name", "litellm_params", "guardrail_info"}}`, as LiteLLM's Create and
    UpdateGuardrailRequest."""
    spec = _json_object(body).get("guardrail")
    if not isinstance(spec, dict):
        raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, "guardrail is required (an object)")
    name, params, info = spec.get("guardrail_name"), spec.get("litellm_params"), spec.get("guardrail_info")
    if not isinstance(name, str) or not name:
        raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, "guardrail.guardrail_name is required")
    if not isinstance(params, dict):
        raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, "guardrail.litellm_params is required (an object)")
    return name, params, info if isinstance(info, dict) else None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _HttpError(HTTPStatus.BAD_REQUEST, f"malformed JSON body: {error}") from None
    if not isinstance(data, dict):
        raise _HttpError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
    return data
