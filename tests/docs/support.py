"""Helpers for the documentation tests: loading example files, serving an ASGI app with
uvicorn on loopback inside the test's event loop, and a paced upstream for the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"

PARAMS: dict[str, Any] = {
    "model": "claude-opus-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Say hello"}],
}


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>.py` as a fresh module (not cached in `sys.modules`)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the module's annotations through it
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an ASGI app (lifespan on) on 127.0.0.1 in the running loop; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    host, port = sock.getsockname()
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", access_log=False, log_config=None
    )
    server = uvicorn.Server(config)
    # Signals stay with pytest: the server is stopped through should_exit.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the app server stopped before it started")
            if time.monotonic() > deadline:
                raise RuntimeError("the app server did not start within 10 s")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


class PacedResults:
    """Wraps the emulator's ASGI app so that results bodies go out a few lines at a time,
    with a pause after each piece, and records what was sent and when.

    It also listens for the downstream connection closing (`http.disconnect` before the body
    was finished) and stops sending then, as a real server would.

    Attributes:
        lines_sent: Result lines sent so far by the current download.
        started_at: `time.monotonic()` when the first piece was sent.
        finished_at: When the end of the body was sent (after the last piece), or `None`.
        disconnected_at: When the downstream side closed before the end, or `None`.
    """

    def __init__(self, app: ASGIApp, *, lines_per_piece: int = 10, pause: float = 0.02) -> None:
        self.app = app
        self.lines_per_piece = lines_per_piece
        self.pause = pause
        self.lines_sent = 0
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.disconnected_at: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/results"):
            await self.app(scope, receive, send)
            return
        gone = asyncio.Event()

        async def listen() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            if self.finished_at is None:
                self.disconnected_at = time.monotonic()
            gone.set()

        async def paced_send(message: Message) -> None:
            if message["type"] != "http.response.body" or gone.is_set():
                if not gone.is_set():
                    await send(message)
                return
            lines = message.get("body", b"").splitlines(keepends=True)
            step = self.lines_per_piece
            for i in range(0, len(lines), step):
                if gone.is_set():
                    return
                if self.started_at is None:
                    self.started_at = time.monotonic()
                piece = b"".join(lines[i : i + step])
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                self.lines_sent += len(lines[i : i + step])
                await asyncio.sleep(self.pause)
            if not message.get("more_body", False):
                # Stamped before the end goes out: the reader may see the end (and look at
                # this) before the server's `send` returns here.
                self.finished_at = time.monotonic()
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        listener = asyncio.create_task(listen())
        try:
            await self.app(scope, receive, paced_send)
        finally:
            if not gone.is_set():
                listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
