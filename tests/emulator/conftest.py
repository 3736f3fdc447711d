"""Fixtures for the emulator's own tests: an emulator on a manual clock and raw httpx clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from emulator.support import BASE, HEADERS, Body, make_body

from anthropic_batches.emulator import Emulator, ManualClock, create_app


@pytest.fixture
def body() -> Body:
    """Build a create body: `body(n, prefix, **params)`."""
    return make_body


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """A raw httpx client calling the emulator's app in-process (httpx.ASGITransport)."""
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=HEADERS) as client:
        yield client
