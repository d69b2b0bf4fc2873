"""A stub HTTP server on 127.0.0.1 for tests that only need to see what a client sends.

Never a stand-in for the engine (the integration tests use a real node): it answers what a
test tells it to, so a test can check the request (signature, compression, path) or a
client's handling of one kind of answer.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple


class Request(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


# request -> (status, JSON payload) to answer with
Answer = Callable[[Request], tuple[int, Any]]


@contextlib.contextmanager
def stub_server(answer: Answer) -> Iterator[tuple[str, list[Request]]]:
    """(url, the requests seen so far) of a threaded server that answers every GET, PUT and
    POST."""
    seen: list[Request] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            request = Request(self.command, self.path,
                              {k.lower(): v for k, v in self.headers.items()}, body)
            seen.append(request)
            status, payload = answer(request)
            reply = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_PUT = do_POST

        def log_message(self, *args: Any) -> None:  # the tests' output stays quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
