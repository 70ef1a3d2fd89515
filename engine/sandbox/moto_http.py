"""moto's server app on a loopback port, in a thread of this process.

moto's own `ThreadedMotoServer` serves with socketserver's default half-second shutdown poll and never closes its
socket; a sandbox stopped here is gone in one short poll and frees its port at once.
"""

from __future__ import annotations

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from engine.sandbox.served import ServedInThread


class MotoHttpServer:
    def __init__(self, host: str, port: int = 0) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._served = ServedInThread(self._server, f"sandbox-moto-{self._server.server_port}")

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> None:
        self._served.start()

    def stop(self) -> None:
        self._served.stop()
