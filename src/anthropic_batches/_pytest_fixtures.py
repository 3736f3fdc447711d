"""The fixtures of the `anthropic_batches.testing` pytest plugin (see that module).

Registered by the plugin when pytest configures itself; only `pytest` (and pytest-asyncio, when
it is installed) is imported here, the emulator and the clients are imported by the fixtures
that use them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from anthropic_batches import AsyncClient, Client
    from anthropic_batches.emulator import Emulator, EmulatorApp, EmulatorServer, ManualClock

__all__ = [
    "API_KEY",
    "IN_PROCESS_URL",
    "MARKER",
    "batches_async_client",
    "batches_async_server_client",
    "batches_client",
    "batches_clock",
    "batches_emulator",
    "batches_emulator_app",
    "batches_emulator_server",
    "batches_server_client",
]

#: The API key the fixture clients send (unless the emulator is given its own keys).
API_KEY = "sk-ant-emulator-test"
#: The base URL of the in-process clients (never resolved: no socket is opened).
IN_PROCESS_URL = "http://batches-emulator.test"
#: The marker that configures the emulator of a test.
MARKER = "batches_emulator"

_F = TypeVar("_F", bound=Callable[..., Any])


def _async_fixture(function: _F) -> _F:
    """An async fixture that runs in either mode of pytest-asyncio, or under anyio.

    pytest-asyncio runs plain `pytest.fixture` coroutines only in its `auto` mode; in `strict`
    mode, its default, they must be declared with `pytest_asyncio.fixture`, which works in both
    (https://pytest-asyncio.readthedocs.io/en/stable/concepts.html#test-discovery-modes).
    Without pytest-asyncio, anyio's plugin runs a plain async fixture for the tests it runs.
    """
    try:
        import pytest_asyncio
    except ImportError:
        return cast("_F", pytest.fixture(function))
    return cast("_F", pytest_asyncio.fixture(function))


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
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise TypeError(f"@pytest.mark.{MARKER} takes keyword arguments only")
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


@_async_fixture
async def batches_async_server_client(
    batches_emulator_server: EmulatorServer,
) -> AsyncIterator[AsyncClient]:
    """An `AsyncClient` talking to `batches_emulator_server` over loopback."""
    from anthropic_batches import AsyncClient

    async with AsyncClient(
        api_key=_key(batches_emulator_server.emulator), base_url=batches_emulator_server.base_url
    ) as client:
        yield client
