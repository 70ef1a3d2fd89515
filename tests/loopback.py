"""A plain HTTP server on loopback that answers every request with one fixed response: a web page where an AWS
endpoint was expected, or an AWS error body. Tests point `--endpoint-url` (or a client's endpoint) at it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def answering(status: int, body: bytes, content_type: str) -> Iterator[str]:
    """The server's http:// URL while the context runs."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


NGINX_PAGE = (
    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>body { width: 35em; }</style>\n"
    b"</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>"
    + b"If you see this page, the web server works. "
    * 80
    + b"</p>\n"
    b"</body>\n</html>\n"
)
THROTTLED_BODY = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
