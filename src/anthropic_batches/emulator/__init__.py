"""A local, stateful emulator of the Anthropic Message Batches API.

Install with the `emulator` extra (`pip install "anthropic-batches[emulator]"`). Importing
`anthropic_batches` never imports this package.

- `create_app(...)`: the ASGI application, backed by an `Emulator` (state and settings).
- `Emulator(clock=ManualClock(), ...)`: time, keys, processing speed, faults, the responder.
- `EmulatorServer(...)`: the app served over loopback from a background thread.
- `EmulatorTransport` / `AsyncEmulatorTransport`: httpx transports that call the app
  in-process, without a socket.

From the command line: `python -m anthropic_batches.emulator --help`.
"""

from __future__ import annotations

from . import _extra  # noqa: F401 (first: without the extra, a one-line message)
from ._app import EmulatorApp, create_app
from ._clock import Clock, ManualClock, WallClock
from ._responder import (
    Responder,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
    default_responder,
)
from ._server import EmulatorServer
from ._store import Emulator, EmulatorStats
from ._transport import AsyncEmulatorTransport, EmulatorTransport

__all__ = [
    "AsyncEmulatorTransport",
    "Clock",
    "Emulator",
    "EmulatorApp",
    "EmulatorServer",
    "EmulatorStats",
    "EmulatorTransport",
    "ManualClock",
    "Responder",
    "ResponderError",
    "ResponderOutput",
    "ResponderRequest",
    "WallClock",
    "create_app",
    "default_responder",
]
