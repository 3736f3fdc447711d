"""moto's standalone server, recording the requests it answers (method, key, `Range` header,
bytes sent), so a test can see what a read fetched."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


@dataclass(frozen=True)
class Seen:
    """One request the server answered."""

    method: str
    path: str
    range: str | None
    status: int
    sent: int


class RecordingMotoServer(ThreadedMotoServer):
    """moto's threaded server, with a WSGI layer that records each request."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def _record(self, app: Any) -> Callable[..., Iterable[bytes]]:
        def recording(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            status: list[int] = []

            def start(code: str, headers: Any, *args: Any) -> Any:
                status.append(int(code.split()[0]))
                return start_response(code, headers, *args)

            body = list(app(environ, start))
            seen = Seen(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                environ.get("HTTP_RANGE"),
                status[0] if status else 0,
                sum(len(chunk) for chunk in body),
            )
            with self._lock:
                self.seen.append(seen)
            return body

        return recording

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self._ip_address,
            self._port,
            self._record(app),
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    def requests(self, method: str, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == method and s.path == path]
