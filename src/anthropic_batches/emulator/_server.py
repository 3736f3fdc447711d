"""Serving the emulator with uvicorn: `EmulatorServer`, a server in a background thread for
tests and demos, and `serve_until_stopped`, which serves in the calling thread (the command).

Both bind the socket first (so port 0 resolves to a free port before anything is printed),
then serve it, and stop on request (SIGINT or SIGTERM for the command).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Generator
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from ._app import EmulatorApp, create_app
from ._store import Emulator

__all__ = ["CallLog", "EmulatorServer", "bind", "key_fingerprint", "serve_until_stopped", "url_of"]

#: One line per call at `info` (the command's `--log-level info`).
call_logger = logging.getLogger("anthropic_batches.emulator.calls")

_DROP_MESSAGE = "ASGI callable returned without completing response."


class _QuietDrops(logging.Filter):
    """Hide uvicorn's report of a body left unfinished: the emulator does it on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DROP_MESSAGE


_QUIET_DROPS = _QuietDrops()


class _Server(uvicorn.Server):
    """A uvicorn server that reports readiness and stops cleanly on signals."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn raises the signal again after shutting down, which would end the process
        # with the signal's status; the command must exit 0, so it handles them itself.
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(sig: int, frame: FrameType | None) -> None:
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        wanted = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, stop) for sig in wanted}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host` and `port` (0: a free port).

    Raises:
        OSError: If the address cannot be used.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP given explicitly: asyncio sets TCP_NODELAY only on sockets whose proto
    # says TCP, and without it every answer waits ~40 ms on delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """The base URL of a bound socket, e.g. `http://127.0.0.1:54321`."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def key_fingerprint(key: str | None) -> str:
    """A short, stable name for a key that does not reveal it: the start of its SHA-256."""
    if not key:
        return "none"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class CallLog:
    """An ASGI wrapper that logs each HTTP call on one line once it is answered: method,
    path, status, and the fingerprint of the key that made it (never the key)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not call_logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        headers = dict(scope.get("headers") or ())
        key = headers.get(b"x-api-key") or headers.get(b"authorization", b"")
        try:
            await self.app(scope, receive, sending)
        finally:
            call_logger.info(
                "%s %s %s key %s",
                scope["method"],
                scope["path"],
                status[0] if status else "-",
                key_fingerprint(key.decode("latin-1").removeprefix("Bearer ")),
            )


def _config(app: Any, log_level: str) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_QUIET_DROPS)
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        log_config=None,
    )


class EmulatorServer:
    """The emulator served over loopback HTTP from a background thread.

    Use it as a context manager (sync or async); `base_url` is valid inside it.

    Args:
        emulator: The state to serve; a new `Emulator(**settings)` when omitted.
        host: The address to listen on (loopback by default).
        port: The port; 0 picks a free one.
        log_level: uvicorn's log level.
        **settings: Settings for a new `Emulator` (only without `emulator`).

    Example:
        ```python
        with EmulatorServer(process_seconds=0.5) as server:
            client = Client(api_key="test", base_url=server.base_url)
            ...
        ```
    """

    def __init__(
        self,
        emulator: Emulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        **settings: Any,
    ) -> None:
        self.app = create_app(emulator, **settings)
        self.emulator = self.app.emulator
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """The server's base URL, e.g. `http://127.0.0.1:54321`.

        Raises:
            RuntimeError: If the server is not running.
        """
        if self._url is None:
            raise RuntimeError("the emulator server is not running; use it as a context manager")
        return self._url

    def start(self, timeout: float = 10.0) -> None:
        """Start serving, and return once the server accepts connections.

        Raises:
            RuntimeError: If it is already running or did not start within `timeout`.
        """
        if self._thread is not None:
            raise RuntimeError("the emulator server is already running")
        sock = bind(self.host, self.port)
        ready = threading.Event()
        server = _Server(_config(self.app, self.log_level), ready.set)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="batches-emulator", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"the emulator server did not start within {timeout} s")
        self._url = url_of(sock)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the server thread to end."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        sock, self._socket = self._socket, None
        self._server = self._thread = None
        self._url = None
        if sock is not None:
            sock.close()

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> EmulatorServer:
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.stop)


def serve_until_stopped(
    app: EmulatorApp, sock: socket.socket, log_level: str, on_ready: Callable[[], None]
) -> bool:
    """Serve `app` on `sock` in this thread until SIGINT or SIGTERM, then close `sock`.

    Args:
        app: The application to serve.
        sock: A listening socket (`bind`).
        log_level: uvicorn's log level.
        on_ready: Called once the server accepts connections.

    Returns:
        Whether the server started.
    """
    server = _Server(_config(CallLog(app), log_level), on_ready)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return server.started
