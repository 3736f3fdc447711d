"""Small loopback HTTP servers that stand for "another origin": they record every request's
headers and answer from a table of routes (status, headers, body)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Origin:
    """A recording server on 127.0.0.1; `routes[(method, path)] = (status, headers, body)`."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    routes: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = field(default_factory=dict)

    def answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.routes.get(
            (method, path),
            (404, {}, b'{"type":"error","error":{"type":"not_found_error","message":"no"}}'),
        )


@contextmanager
def origin() -> Iterator[Origin]:
    """Serve a recording `Origin` from a thread; stopped on leaving."""
    state = Origin()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?")[0]
            state.seen.append(
                Seen(self.command, path, {k.lower(): v for k, v in self.headers.items()})
            )
            status, headers, body = state.answer(self.command, path)
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
