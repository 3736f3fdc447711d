"""Ctrl-C (SIGINT) during `run`: a consistent state, a resume hint, cancel only if asked."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cli_helpers import KEY, Ran, request, write_requests
from rich.console import Console

from anthropic_batches import AsyncClient, Client
from anthropic_batches.cli._common import Settings
from anthropic_batches.cli._interrupt import GuardedJob, InterruptGuard
from anthropic_batches.emulator import Emulator, EmulatorServer, ManualClock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def interrupted_run(
    server: EmulatorServer, tmp_path: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(5)])
    out, state = tmp_path / "out.jsonl", tmp_path / "out.jsonl.state.json"
    argv = [sys.executable, "-c", "from anthropic_batches.cli import main; main()", "run"]
    argv += [str(src), "-o", str(out), "--max-requests", "2", "--poll-interval", "0.05"]
    argv += ["--api-key", KEY, "--base-url", server.base_url, *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    ids: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists():
            ids = [p["batch_id"] for p in json.loads(state.read_text())["parts"]]
            if all(ids):
                break
        time.sleep(0.05)
    time.sleep(0.2)  # into the wait
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=20)
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr), ids


def test_ctrl_c_leaves_batches_running_and_a_resumable_state(
    server: EmulatorServer,
    emulator: Emulator,
    clock: ManualClock,
    cli: Callable[..., Ran],
    tmp_path: Path,
) -> None:
    emulator.process_seconds = 50_000
    done, ids = interrupted_run(server, tmp_path)
    assert done.returncode == 130, done.stderr
    assert len(ids) == 3
    assert "keep running and are billed" in done.stderr
    assert "resume with:" in done.stderr
    assert "Traceback" not in done.stderr
    with Client(api_key=KEY, base_url=server.base_url) as client:
        assert {client.messages.batches.get(i).processing_status for i in ids} == {"in_progress"}
    assert emulator.stats.create_calls == 3
    clock.advance(60_000)
    again = cli(
        "run",
        str(tmp_path / "in.jsonl"),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--max-requests",
        "2",
        "--poll-interval",
        "0.01",
    )
    assert again.code == 0, again.err
    assert emulator.stats.create_calls == 3
    assert "Results: 5 succeeded" in again.err


def test_ctrl_c_with_cancel_on_interrupt_cancels_the_batches(
    server: EmulatorServer, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.process_seconds = 50_000
    done, ids = interrupted_run(server, tmp_path, "--cancel-on-interrupt")
    assert done.returncode == 130, done.stderr
    assert "canceled 3 batch(es)" in done.stderr
    with Client(api_key=KEY, base_url=server.base_url) as client:
        statuses = {client.messages.batches.get(i).processing_status for i in ids}
    assert statuses <= {"canceling", "ended"}


def test_ctrl_c_during_a_workers_create_stops_once_its_batch_is_recorded(
    server: EmulatorServer, emulator: Emulator, tmp_path: Path
) -> None:
    # `run --store`'s creates happen inside `work()`: the job itself defers the interrupt.
    state = tmp_path / "job.state.json"

    async def interrupt(request: httpx.Request) -> None:
        if request.method == "POST":  # the create is being sent
            os.kill(os.getpid(), signal.SIGINT)

    async def work(console: Console) -> str | None:
        http = httpx.AsyncClient(event_hooks={"request": [interrupt]})
        client = AsyncClient(api_key=KEY, base_url=server.base_url, http_client=http)
        async with http, client:
            job = GuardedJob(client, [request("a"), request("b")], state_path=state)
            with InterruptGuard(Settings(console=console)):
                try:
                    await job.submit_part(0)
                    await asyncio.sleep(30)  # the deferred interrupt lands here
                except asyncio.CancelledError:
                    return job.state.parts[0].batch_id
        return None

    console = Console(file=io.StringIO())
    batch_id = asyncio.run(work(console))
    assert batch_id is not None and emulator.stats.create_calls == 1
    assert json.loads(state.read_text())["parts"][0]["batch_id"] == batch_id
    told = console.file.getvalue()  # type: ignore[attr-defined]
    assert "interrupt: recording the batch being created, then stopping" in told
