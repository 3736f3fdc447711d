"""Fixtures for the SDK tests: an emulator on a manual clock, served over loopback, and clients
wired to it (the async source's `async_client` becomes `client` in the generated sync tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from helpers import KEY, OTHER_KEY

from anthropic_batches import AsyncClient, Client
from anthropic_batches.emulator import (
    Emulator,
    EmulatorServer,
    ManualClock,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
)


def scripted(request: ResponderRequest) -> ResponderOutput:
    """Requests whose custom_id starts with `fail` end errored; others echo their prompt."""
    if request.custom_id.startswith("fail"):
        return ResponderError("invalid_request_error", f"scripted failure of {request.custom_id}")
    return f"answer to {request.custom_id}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, api_keys=[KEY, OTHER_KEY], process_seconds=60, responder=scripted)


@pytest.fixture
def server(emulator: Emulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator) as running:
        yield running


@pytest.fixture
async def async_client(server: EmulatorServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(api_key=KEY, base_url=server.base_url, max_retries=4) as client:
        yield client


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[Client]:
    with Client(api_key=KEY, base_url=server.base_url, max_retries=4) as sync_client:
        yield sync_client
