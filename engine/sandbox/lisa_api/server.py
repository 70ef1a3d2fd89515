"""LISA's models REST API on a loopback port, as API Gateway stage `sandbox` serves it: `<url>/models`,
`<url>/models/{id}`, ... with `url` = `http://127.0.0.1:<port>/sandbox`.

API Gateway's answers come first: a path outside the API's resources (or a method a resource does not have) is 403
`Missing Authentication Token`; a request without an `Authorization` header is 401 `Unauthorized` (the authorizer's
identity source is missing); a token LISA's authorizer denies is 403 with API Gateway's explicit-deny message. Then
the FastAPI app's routes (`handlers.ModelRoutes`, `schedules.ScheduleRoutes`), or the configuration Lambdas
(`configuration.ConfigurationRoutes`: `GET /configuration`, `PUT /configuration/{configScope}`). Every request
received is kept, in order, in `requests`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from engine.sandbox.lisa_api.authorizer import Authorizer, Identity, bearer_token
from engine.sandbox.lisa_api.configuration import ConfigurationRoutes
from engine.sandbox.lisa_api.handlers import Answer, HttpError, ModelRoutes
from engine.sandbox.lisa_api.schedules import ScheduleRoutes
from engine.sandbox.served import ServedInThread

log = logging.getLogger(__name__)

STAGE: Final = "sandbox"
"""The API Gateway stage: the first segment of the deployment's prefix `/sandbox/lisa`."""
MAX_BODY_BYTES: Final = 1 << 20
DENIED: Final = {"Message": "User is not authorized to access this resource with an explicit deny"}
UNAUTHORIZED: Final = {"message": "Unauthorized"}
NO_ROUTE: Final = {"message": "Missing Authentication Token"}
_ID: Final = r"(?P<id>[^/]+)"
_CONFIGURATION: Final = re.compile(r"/configuration(?:/(?P<scope>[^/]+))?")


@dataclass(frozen=True)
class ApiRequest:
    """One request the API received and what it answered."""

    method: str
    path: str
    status: int
    username: str | None
    body: Any


Handler = Callable[[Identity, dict[str, str], bytes], Answer]


class LisaApiServer:
    def __init__(
        self,
        models: ModelRoutes,
        schedules: ScheduleRoutes,
        configuration: ConfigurationRoutes,
        authorizer: Authorizer,
        host: str,
    ) -> None:
        self.models = models
        self.schedules = schedules
        self.configuration = configuration
        self.authorizer = authorizer
        self.requests: list[ApiRequest] = []
        self._lock = threading.Lock()
        self._routes = _routes(models, schedules)
        self._host = host
        self._server = _Server((host, 0), _handler_for(self))
        self._served = ServedInThread(self._server, f"sandbox-lisa-api-{self._server.server_port}")

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}/{STAGE}"

    def start(self) -> None:
        self._served.start()

    def stop(self) -> None:
        self._served.stop()

    def received(self) -> list[ApiRequest]:
        with self._lock:
            return list(self.requests)

    def handle(self, method: str, target: str, authorization: str | None, raw: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = parts.path
        resource = path[len(STAGE) + 1 :] if path.startswith(f"/{STAGE}/") else ""
        configuration = _CONFIGURATION.fullmatch(resource)
        identity: Identity | None = None
        try:
            if configuration is not None:
                if method != ("PUT" if configuration.group("scope") else "GET"):
                    raise HttpError(403, NO_ROUTE)
            elif not (resource == "/models" or resource.startswith("/models/")):
                raise HttpError(403, NO_ROUTE)
            if resource == "/models" and method not in ("GET", "POST"):
                raise HttpError(403, NO_ROUTE)
            if authorization is None:
                raise HttpError(401, UNAUTHORIZED)
            identity = self.authorizer.identify(bearer_token(authorization))
            if identity is None:
                raise HttpError(403, DENIED)
            if configuration is None:
                status, body = self._dispatch(method, resource[len("/models") :], identity, raw)
            elif method == "GET":
                status, body = self.configuration.get_configuration(identity, _query_parameters(parts.query))
            else:
                status, body = self.configuration.update_configuration(identity, raw)
        except HttpError as error:
            status, body = error.status, error.body
        except Exception as error:  # the Lambda's generic handler
            log.exception("sandbox LISA API: %s %s failed", method, path)
            status, body = 500, {"detail": f"Internal server error: {error}"}
        with self._lock:
            self.requests.append(
                ApiRequest(method, resource or path, status, identity.username if identity else None, _parsed(raw))
            )
        return status, body

    def _dispatch(self, method: str, rest: str, identity: Identity, raw: bytes) -> Answer:
        known_path = False
        for pattern, handlers in self._routes:
            found = pattern.fullmatch(rest)
            if found is None:
                continue
            known_path = True
            handler = handlers.get(method)
            if handler is not None:
                params = {key: unquote(value) for key, value in found.groupdict().items()}
                return handler(identity, params, raw)
        if known_path:
            raise HttpError(405, {"detail": "Method Not Allowed"})
        raise HttpError(404, {"detail": "Not Found"})


def _routes(models: ModelRoutes, schedules: ScheduleRoutes) -> list[tuple[re.Pattern[str], dict[str, Handler]]]:
    schedule: dict[str, Handler] = {
        "POST": lambda who, p, raw: schedules.update_schedule(who, p["id"], raw),
        "PUT": lambda who, p, raw: schedules.update_schedule(who, p["id"], raw),
        "GET": lambda who, p, raw: schedules.get_schedule(who, p["id"]),
        "DELETE": lambda who, p, raw: schedules.delete_schedule(who, p["id"]),
    }
    return [
        (
            re.compile(r"/?"),
            {
                "GET": lambda who, p, raw: models.list_models(who),
                "POST": lambda who, p, raw: models.create_model(who, raw),
            },
        ),
        (re.compile(r"/metadata/instances"), {"GET": lambda who, p, raw: (200, _instance_types())}),
        (
            re.compile(f"/{_ID}"),
            {
                "GET": lambda who, p, raw: models.get_model(who, p["id"]),
                "PUT": lambda who, p, raw: models.update_model(who, p["id"], raw),
                "DELETE": lambda who, p, raw: models.delete_model(who, p["id"]),
            },
        ),
        (
            re.compile(f"/{_ID}/context-window"),
            {"PUT": lambda who, p, raw: models.update_context_window(who, p["id"], raw)},
        ),
        (re.compile(f"/{_ID}/schedule"), schedule),
        (re.compile(f"/{_ID}/schedule/status"), {"GET": lambda who, p, raw: schedules.schedule_status(who, p["id"])}),
    ]


def _query_parameters(query: str) -> dict[str, str] | None:
    """API Gateway's `queryStringParameters`: None without a query string, else each name's last value."""
    if not query:
        return None
    return {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _instance_types() -> list[str]:
    import botocore.session

    return list(botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType").enum)  # type: ignore[attr-defined]


def _parsed(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", "replace")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def _handler_for(api: LisaApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_ApiHandler):
        pass

    Handler.api = api
    return Handler


class _ApiHandler(BaseHTTPRequestHandler):
    api: LisaApiServer
    server_version = "LisaApiSandbox/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the API keeps its own request log
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            status, body = 413, {"message": "Request Too Long"}
            self.close_connection = True
        else:
            raw = self.rfile.read(length) if length else b""
            status, body = self.api.handle(method, self.path, self.headers.get("Authorization"), raw)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
