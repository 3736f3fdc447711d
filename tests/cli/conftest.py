"""Fixtures for the command-line tests: an emulator served on loopback on a clock that moves
5 s at each request (so batches end after a few polls), and a way to run the command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from cli_helpers import KEY, Ran, run_main

from anthropic_batches.emulator import (
    Emulator,
    EmulatorServer,
    ManualClock,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
    default_responder,
)


def scripted(request: ResponderRequest) -> ResponderOutput:
    """`fail-*` requests end errored; the rest get the emulator's default answer."""
    if request.custom_id.startswith("fail"):
        return ResponderError("invalid_request_error", "prompt is too long")
    return default_responder(request)


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC), tick=5)


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, api_keys=[KEY], process_seconds=20, responder=scripted)


@pytest.fixture
def server(emulator: Emulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator) as running:
        yield running


@pytest.fixture
def cli(server: EmulatorServer, capsysbinary: pytest.CaptureFixture[bytes]) -> Callable[..., Ran]:
    """Run the command in-process with the emulator's address and key (after the command,
    to exercise global options given late)."""

    def run(*args: str, auth: bool = True) -> Ran:
        argv = list(args)
        if auth:
            argv += ["--api-key", KEY, "--base-url", server.base_url]
        return run_main(argv, capsysbinary)

    return run
