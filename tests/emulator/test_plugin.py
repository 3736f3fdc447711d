"""The pytest plugin's fixtures, as a user of the package gets them (entry point `pytest11`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from anthropic_batches import AsyncClient, Client, ErroredResult, NotFoundError, SucceededResult
from anthropic_batches.emulator import (
    Emulator,
    EmulatorServer,
    ManualClock,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
)

PARAMS = {
    "model": "claude-opus-5",
    "max_tokens": 32,
    "messages": [{"role": "user", "content": "hi"}],
}


def requests(n: int) -> list[dict[str, object]]:
    return [{"custom_id": f"r-{i}", "params": PARAMS} for i in range(n)]


def test_the_plugin_is_registered(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("anthropic_batches")
    assert plugin is not None
    assert plugin.__name__ == "anthropic_batches.testing"


async def test_async_client_in_process(
    batches_async_client: AsyncClient, batches_clock: ManualClock, batches_emulator: Emulator
) -> None:
    batches = batches_async_client.messages.batches
    batch = await batches.create(requests(3))
    assert batch.processing_status == "in_progress"
    batches_clock.advance(1)
    ended = await batches.get(batch.id)
    assert ended.ended and ended.request_counts.succeeded == 3
    async with batches.results(ended) as stream:
        ids = sorted([result.custom_id async for result in stream])
    assert ids == ["r-0", "r-1", "r-2"]
    assert batches_emulator.stats.batches_created == 1


def test_sync_client_in_process(batches_client: Client, batches_clock: ManualClock) -> None:
    batches = batches_client.messages.batches
    batch = batches.create(requests(2))
    canceling = batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    batches_clock.advance(1)
    ended = batches.get(batch.id)
    assert ended.request_counts.canceled == 2
    with batches.results(ended) as stream:
        assert [r.result.type for r in stream] == ["canceled", "canceled"]
    batches.delete(batch.id)
    with pytest.raises(NotFoundError):
        batches.get(batch.id)


def scripted(request: ResponderRequest) -> ResponderOutput:
    if request.custom_id == "r-1":
        return ResponderError("invalid_request_error", "scripted")
    return f"answer {request.custom_id}"


@pytest.mark.batches_emulator(responder=scripted, process_seconds=60, api_keys=["only-key"])
async def test_marker_configures_the_emulator(
    batches_async_client: AsyncClient, batches_clock: ManualClock, batches_emulator: Emulator
) -> None:
    assert batches_emulator.process_seconds == 60
    batches = batches_async_client.messages.batches
    batch = await batches.create(requests(2))
    batches_clock.advance(59)
    assert not (await batches.get(batch.id)).ended
    batches_clock.advance(1)
    ended = await batches.get(batch.id)
    assert (ended.request_counts.succeeded, ended.request_counts.errored) == (1, 1)
    async with batches.results(ended) as stream:
        by_id = {r.custom_id: r.result async for r in stream}
    succeeded, errored = by_id["r-0"], by_id["r-1"]
    assert isinstance(succeeded, SucceededResult) and succeeded.message.text == "answer r-0"
    assert isinstance(errored, ErroredResult) and errored.error.error.message == "scripted"


@pytest.mark.batches_emulator(fault_rate=0.2, drop_results_after=3, seed=5)
async def test_faults_are_retried_through_in_process(
    batches_async_client: AsyncClient, batches_clock: ManualClock, batches_emulator: Emulator
) -> None:
    batches = batches_async_client.messages.batches
    batch = await batches.create(requests(10))
    batches_clock.advance(1)
    ended = await batches.get(batch.id)
    async with batches.results(ended) as stream:
        ids = [r.custom_id async for r in stream]
    assert sorted(ids) == sorted(f"r-{i}" for i in range(10))  # each exactly once
    assert batches_emulator.stats.results_dropped == 1


def test_server_and_sync_client_over_loopback(
    batches_emulator_server: EmulatorServer,
    batches_server_client: Client,
    batches_clock: ManualClock,
) -> None:
    assert batches_emulator_server.base_url.startswith("http://127.0.0.1:")
    batches = batches_server_client.messages.batches
    batch = batches.create(requests(2))
    batches_clock.advance(1)
    ended = batches.get(batch.id)
    assert ended.results_url is not None
    assert ended.results_url.startswith(batches_emulator_server.base_url)
    with batches.results(ended) as stream:
        assert len(list(stream)) == 2


async def test_async_client_over_loopback(
    batches_async_server_client: AsyncClient, batches_clock: ManualClock
) -> None:
    batches = batches_async_server_client.messages.batches
    batch = await batches.create(requests(1))
    batches_clock.advance(1)
    page = await batches.list()
    assert [b.id for b in page] == [batch.id]
    assert page.data[0].ended


def test_a_user_project_gets_the_fixtures(tmp_path: Path) -> None:
    # a project of its own (no conftest, no configuration): the entry point brings the plugin
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_uses_fixtures(batches_client, batches_clock):
                batch = batches_client.messages.batches.create(
                    [{"custom_id": "a", "params": {"model": "m", "max_tokens": 5,
                      "messages": [{"role": "user", "content": "hi"}]}}]
                )
                batches_clock.advance(1)
                assert batches_client.messages.batches.get(batch.id).ended

            @pytest.mark.batches_emulator(5)
            def test_positional_marker(batches_emulator):
                pass
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert "1 passed, 1 error" in done.stdout, done.stdout + done.stderr
    assert "keyword arguments only" in done.stdout


ASYNC_USER_TESTS = """
import pytest

REQUESTS = [{"custom_id": "a", "params": {"model": "m", "max_tokens": 5,
             "messages": [{"role": "user", "content": "hi"}]}}]

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.MARK
async def test_async_server_client(batches_async_server_client, batches_clock):
    batches = batches_async_server_client.messages.batches
    batch = await batches.create(REQUESTS)
    batches_clock.advance(1)
    assert (await batches.get(batch.id)).ended

@pytest.mark.MARK
async def test_async_client(batches_async_client, batches_clock):
    batches = batches_async_client.messages.batches
    batch = await batches.create(REQUESTS)
    batches_clock.advance(1)
    assert [r.custom_id async for r in batches.results(batch.id)] == ["a"]

def test_sync_server_client(batches_server_client, batches_clock):
    batch = batches_server_client.messages.batches.create(REQUESTS)
    batches_clock.advance(1)
    assert batches_server_client.messages.batches.get(batch.id).ended
"""

ASYNCIO = ["-p", "asyncio", "-o", "asyncio_default_fixture_loop_scope=function"]


@pytest.mark.parametrize(
    ("mark", "options"),
    [
        pytest.param("asyncio", [*ASYNCIO, "--asyncio-mode=strict"], id="asyncio-strict"),
        pytest.param("asyncio", [*ASYNCIO, "--asyncio-mode=auto"], id="asyncio-auto"),
        pytest.param("anyio", ["-p", "no:asyncio"], id="anyio-without-pytest-asyncio"),
    ],
)
def test_the_async_fixtures_work_in_every_async_test_runner(
    tmp_path: Path, mark: str, options: list[str]
) -> None:
    # pytest-asyncio's default mode is strict, where it runs only the async fixtures declared
    # as its own; a user's project may also run its async tests with anyio instead
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    (tmp_path / "test_user.py").write_text(ASYNC_USER_TESTS.replace("MARK", mark))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout, done.stdout
