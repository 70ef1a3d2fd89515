"""moto's server app on a loopback port, in a thread of this process; the sandbox's own clients are answered by the
same app without the socket.

moto's own `ThreadedMotoServer` serves with socketserver's default half-second shutdown poll and never closes its
socket; a sandbox stopped here is gone in one short poll and frees its port at once.

The sandbox's own clients (its seeding, its simulator and LISA's actors, its LISA API) live in the process that
serves moto. For them a request crossing the loopback socket only adds work on both sides: a connection per
request, HTTP written and parsed again, a thread per request. `answer_in_process` hands botocore's prepared
request to the same WSGI app instead (botocore's `before-send` event, as moto's own in-process mock does), so
moto, its backends and the sandbox's extensions see the request as they would from the socket.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from flask import Flask
from moto.backends import SERVICE_NAMES
from moto.core.botocore_stubber import MockRawResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from engine.sandbox.served import ServedInThread

_BACKEND_APPS: dict[SERVICE_NAMES, Flask] = {}
_BACKEND_APPS_LOCK = threading.Lock()


def _backend_app(service: SERVICE_NAMES) -> Flask:
    """moto's Flask app for one service, made once in the process and shared by every sandbox's server: the apps
    hold no state of their own (the backends are moto's process-wide ones), and making one compiles every URL rule
    of the service."""
    with _BACKEND_APPS_LOCK:
        app = _BACKEND_APPS.get(service)
        if app is None:
            app = _BACKEND_APPS[service] = create_backend_app(service)
        return app


class _Dispatcher(DomainDispatcherApplication):
    """moto's app, with the service apps shared (`_backend_app`) and remembering which backend serves a host: moto
    finds it again for every request by listing its own package folder (a stat per entry), under the lock that every
    request takes."""

    def __init__(self) -> None:
        super().__init__(_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backends[host]
        except KeyError:
            backend = self._backends[host] = super().get_backend_for_host(host)
            return backend


class MotoHttpServer:
    def __init__(self, host: str, port: int = 0) -> None:
        self.app = _Dispatcher()
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=MotoRequestHandler
        )
        self._served = ServedInThread(self._server, f"sandbox-moto-{self._server.server_port}")

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> None:
        self._served.start()

    def stop(self) -> None:
        self._served.stop()

    def answer_in_process(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        """A `before-send` handler: the app's answer to `request`, as the socket would have carried it."""
        url = urlsplit(request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = [
            (name, value.decode("latin-1") if isinstance(value, bytes) else value)
            for name, value in request.headers.items()
        ]
        environ = EnvironBuilder(
            path=url.path,
            base_url=f"{url.scheme}://{url.netloc}",
            query_string=url.query,
            method=request.method,
            headers=headers,
            data=_body_of(request),
            environ_overrides={"RAW_URI": target, "REQUEST_URI": target},
        ).get_environ()
        chunks, status, response_headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        answered = HTTPHeaders()
        for name, value in response_headers.to_wsgi_list():
            answered[name] = value
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), answered, MockRawResponse(body))


def _body_of(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    read = body.read()
    with contextlib.suppress(AttributeError, OSError):
        body.seek(0)  # botocore may send a streamed body again on a retry
    return read if isinstance(read, bytes) else str(read).encode("utf-8")
