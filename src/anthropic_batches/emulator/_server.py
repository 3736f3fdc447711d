"""Serving the emulator: the command line (`python -m anthropic_batches.emulator`) and
`EmulatorServer`, a server in a background thread for tests and demos.

Both bind the socket first (so port 0 resolves to a free port before anything is printed),
then serve it with uvicorn, and stop on request (SIGINT/SIGTERM for the command).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from .._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from ._app import EmulatorApp, create_app
from ._store import Emulator

__all__ = ["EmulatorServer", "build_parser", "emulator_from_args", "serve_main"]

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


def _bind(host: str, port: int) -> socket.socket:
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


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _config(app: EmulatorApp, log_level: str) -> uvicorn.Config:
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
        sock = _bind(self.host, self.port)
        ready = threading.Event()
        server = _Server(_config(self.app, self.log_level), ready.set)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="batches-emulator", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        if not ready.wait(timeout):
            self.stop()
            sock.close()
            raise RuntimeError(f"the emulator server did not start within {timeout} s")
        self._url = _url(sock)
        self._socket = sock

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
        self._server = self._thread = None
        self._url = None
        with contextlib.suppress(AttributeError, OSError):
            self._socket.close()

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


# -- the command ------------------------------------------------------------------------------


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text}")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {text}")
        return value

    return parse


def build_parser(prog: str = "python -m anthropic_batches.emulator") -> argparse.ArgumentParser:
    """The command's argument parser (also mounted by `anthropic-batches emulator`)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the Anthropic Message Batches API. Prints the "
        "base URL once it accepts connections; stops on SIGINT or SIGTERM.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    add("--port", type=_count(0), default=0, help="port; 0 picks a free one (default: 0)")
    add(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="accept only this key (repeatable); without it, any non-empty key is accepted",
    )
    add(
        "--process-seconds",
        type=_seconds,
        default=1.0,
        metavar="S",
        help="how long a batch takes to end (default: 1)",
    )
    add(
        "--cancel-seconds",
        type=_seconds,
        default=0.2,
        metavar="S",
        help="how long a batch stays canceling (default: 0.2)",
    )
    add(
        "--expire-seconds",
        type=_seconds,
        default=86400.0,
        metavar="S",
        help="how long a batch has before what is left expires (default: 86400)",
    )
    add("--seed", type=int, default=0, help="seed for ids, results order and faults")
    add(
        "--fault-rate",
        type=_fraction,
        default=0.0,
        metavar="P",
        help="fraction of requests answered with an injected 429/500/529 (default: 0)",
    )
    add(
        "--drop-results-after",
        type=_count(0),
        default=None,
        metavar="N",
        help="cut the first results download of each batch after N lines",
    )
    add(
        "--max-body-bytes",
        type=_count(1),
        default=MAX_BATCH_BYTES,
        metavar="N",
        help=f"largest create body accepted (default: {MAX_BATCH_BYTES})",
    )
    add(
        "--max-requests",
        type=_count(1),
        default=MAX_BATCH_REQUESTS,
        metavar="N",
        help=f"most requests in a batch (default: {MAX_BATCH_REQUESTS})",
    )
    add(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level",
    )
    return parser


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """An `Emulator` (wall clock) configured from parsed command-line options."""
    return Emulator(
        api_keys=args.api_key,
        process_seconds=args.process_seconds,
        cancel_seconds=args.cancel_seconds,
        expire_seconds=args.expire_seconds,
        seed=args.seed,
        fault_rate=args.fault_rate,
        drop_results_after=args.drop_results_after,
        max_body_bytes=args.max_body_bytes,
        max_requests=args.max_requests,
    )


def serve_main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator command: serve until SIGINT or SIGTERM.

    Prints exactly one line to stdout, the base URL, once the server accepts connections.

    Args:
        argv: The command-line arguments (without the program name); `sys.argv[1:]` when
            `None`.

    Returns:
        The exit status: 0 after a clean stop, 1 when the address cannot be bound.
    """
    args = build_parser().parse_args(argv)
    emulator = emulator_from_args(args)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    url = _url(sock)

    def ready() -> None:
        print(url, flush=True)

    server = _Server(_config(create_app(emulator), args.log_level), ready)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0 if server.started else 1
