"""A pytest plugin: a local Message Batches API emulator and clients wired to it.

Installed with the `emulator` extra, it is loaded by pytest through an entry point; nothing
needs to be imported. Fixtures (all function-scoped, all prefixed `batches_`):

- `batches_clock`: the `ManualClock` of the emulator; `batches_clock.advance(seconds)`.
- `batches_emulator`: the `Emulator` (state, settings, `stats`).
- `batches_emulator_app`: its ASGI app.
- `batches_async_client`: an `AsyncClient` calling the app in-process (no socket).
- `batches_client`: a `Client` calling the app in-process (no socket).
- `batches_emulator_server`: the app served over loopback (`.base_url`).
- `batches_server_client`: a `Client` talking to `batches_emulator_server` over loopback.
- `batches_async_server_client`: an `AsyncClient` over loopback (an async fixture: needs
  pytest-asyncio or anyio to run the test).

Settings for the emulator come from a marker:

```python
@pytest.mark.batches_emulator(process_seconds=60, fault_rate=0.2, seed=3)
async def test_my_job(batches_async_client, batches_clock):
    batch = await batches_async_client.messages.batches.create(requests)
    batches_clock.advance(60)
    ...
```

The modules behind the fixtures are imported when a fixture is used, so this plugin costs
nothing in test runs that do not use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from anthropic_batches import AsyncClient, Client
    from anthropic_batches.emulator import Emulator, EmulatorApp, EmulatorServer, ManualClock

__all__ = [
    "API_KEY",
    "IN_PROCESS_URL",
    "batches_async_client",
    "batches_async_server_client",
    "batches_client",
    "batches_clock",
    "batches_emulator",
    "batches_emulator_app",
    "batches_emulator_server",
    "batches_server_client",
]

#: The API key the fixture clients send.
API_KEY = "sk-ant-emulator-test"
#: The base URL of the in-process clients (never resolved: no socket is opened).
IN_PROCESS_URL = "http://batches-emulator.test"
_MARKER = "batches_emulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**settings): settings for the batches_emulator fixture's Emulator "
        "(process_seconds, fault_rate, drop_results_after, responder, api_keys, ...)",
    )


@pytest.fixture
def batches_clock() -> ManualClock:
    """The emulator's clock: it moves only when the test calls `advance()`."""
    from anthropic_batches.emulator import ManualClock

    return ManualClock()


@pytest.fixture
def batches_emulator(request: pytest.FixtureRequest, batches_clock: ManualClock) -> Emulator:
    """A fresh `Emulator` on `batches_clock`, configured by `@pytest.mark.batches_emulator`."""
    from anthropic_batches.emulator import Emulator

    settings: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(_MARKER))):
        if marker.args:
            raise TypeError(f"@pytest.mark.{_MARKER} takes keyword arguments only")
        settings.update(marker.kwargs)
    settings.setdefault("clock", batches_clock)
    return Emulator(**settings)


@pytest.fixture
def batches_emulator_app(batches_emulator: Emulator) -> EmulatorApp:
    """The ASGI app serving `batches_emulator`."""
    from anthropic_batches.emulator import create_app

    return create_app(batches_emulator)


def _key(emulator: Emulator) -> str:
    return min(emulator.api_keys) if emulator.api_keys else API_KEY


@pytest.fixture
def batches_async_client(batches_emulator_app: EmulatorApp) -> AsyncClient:
    """An `AsyncClient` that calls the emulator in-process, without a socket."""
    import httpx

    from anthropic_batches import AsyncClient
    from anthropic_batches.emulator import AsyncEmulatorTransport

    http = httpx.AsyncClient(transport=AsyncEmulatorTransport(batches_emulator_app))
    return AsyncClient(
        api_key=_key(batches_emulator_app.emulator), base_url=IN_PROCESS_URL, http_client=http
    )


@pytest.fixture
def batches_client(batches_emulator_app: EmulatorApp) -> Iterator[Client]:
    """A `Client` that calls the emulator in-process, without a socket."""
    import httpx

    from anthropic_batches import Client
    from anthropic_batches.emulator import EmulatorTransport

    with httpx.Client(transport=EmulatorTransport(batches_emulator_app)) as http:
        yield Client(
            api_key=_key(batches_emulator_app.emulator), base_url=IN_PROCESS_URL, http_client=http
        )


@pytest.fixture
def batches_emulator_server(batches_emulator: Emulator) -> Iterator[EmulatorServer]:
    """`batches_emulator` served over loopback HTTP (`.base_url`) from a background thread."""
    from anthropic_batches.emulator import EmulatorServer

    with EmulatorServer(batches_emulator) as server:
        yield server


@pytest.fixture
def batches_server_client(batches_emulator_server: EmulatorServer) -> Iterator[Client]:
    """A `Client` talking to `batches_emulator_server` over loopback."""
    from anthropic_batches import Client

    with Client(
        api_key=_key(batches_emulator_server.emulator), base_url=batches_emulator_server.base_url
    ) as client:
        yield client


@pytest.fixture
async def batches_async_server_client(
    batches_emulator_server: EmulatorServer,
) -> AsyncIterator[AsyncClient]:
    """An `AsyncClient` talking to `batches_emulator_server` over loopback."""
    from anthropic_batches import AsyncClient

    async with AsyncClient(
        api_key=_key(batches_emulator_server.emulator), base_url=batches_emulator_server.base_url
    ) as client:
        yield client
