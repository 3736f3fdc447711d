"""The batch commands, `emulator` and `demo`, and their exit codes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_helpers import KEY, Ran, request, write_requests

from anthropic_batches.cli import hoist_global_options
from anthropic_batches.emulator import Emulator, EmulatorServer, ManualClock


def submit(cli: Callable[..., Ran], tmp_path: Path, n: int = 3, per_batch: int = 2) -> list[str]:
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(n)])
    ran = cli("submit", str(src), "--max-requests", str(per_batch))
    assert ran.code == 0, ran.err
    return ran.out.split()


def test_submit_prints_one_batch_id_per_part(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    ids = submit(cli, tmp_path, n=5, per_batch=2)
    assert len(ids) == 3
    assert all(i.startswith("msgbatch_") for i in ids)
    assert emulator.stats.create_calls == 3


def test_submit_bad_file_exit_3(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps(request("a", max_tokens=0)) + "\n")
    ran = cli("submit", str(src))
    assert ran.code == 3
    assert f"{src}:1: params.max_tokens: must be at least 1" in ran.err
    assert emulator.stats.create_calls == 0


def test_status_wait_results_cancel_delete_list(
    cli: Callable[..., Ran], clock: ManualClock, tmp_path: Path, server: EmulatorServer
) -> None:
    first, second = submit(cli, tmp_path, n=4, per_batch=2)
    ran = cli("status", first)
    assert ran.code == 0
    assert ran.out.startswith(f"{first}  in_progress  processing=2")
    ran = cli("status", first, "--json")
    assert json.loads(ran.out)["id"] == first

    ran = cli("wait", first, second, "--poll-interval", "0.01")
    assert ran.code == 0
    assert [line.split()[:2] for line in ran.out.splitlines()] == [
        [first, "ended"],
        [second, "ended"],
    ]
    ran = cli("results", first)
    assert ran.code == 0
    assert sorted(json.loads(line)["custom_id"] for line in ran.out.splitlines()) == ["r0", "r1"]
    out = tmp_path / "res.jsonl"
    assert cli("results", second, "-o", str(out)).code == 0
    served = httpx.get(
        f"{server.base_url}/v1/messages/batches/{second}/results",
        headers={"x-api-key": KEY, "anthropic-version": "2026-10-21"},
    )
    # Byte for byte the lines the API sent (the order of lines may differ per download).
    assert sorted(out.read_bytes().splitlines()) == sorted(served.content.splitlines())

    ran = cli("list", "--limit", "1")
    assert ran.code == 0
    assert [line.split()[0] for line in ran.out.splitlines()] == [second]

    ran = cli("delete", first)
    assert ran.code == 0
    assert ran.out.strip() == f"deleted {first}"
    ran = cli("status", first)
    assert ran.code == 1
    assert "not_found_error" in ran.err
    assert "Traceback" not in ran.err


def test_cancel_and_delete_in_progress(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    emulator.process_seconds = 50_000
    (batch,) = submit(cli, tmp_path, n=1)
    ran = cli("delete", batch)
    assert ran.code == 1
    assert ran.err.count("\n") == 1
    ran = cli("delete", batch, "--debug")
    assert ran.code == 1
    assert "Traceback" in ran.err
    ran = cli("cancel", batch)
    assert ran.code == 0
    assert ran.out.split()[:2] == [batch, "canceling"]


def test_wait_timeout_exit_4(cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path) -> None:
    emulator.process_seconds = 50_000
    (batch,) = submit(cli, tmp_path, n=1)
    ran = cli("wait", batch, "--timeout", "0.1", "--poll-interval", "0.01")
    assert ran.code == 4
    assert "did not end" in ran.err


def test_usage_errors_exit_2(cli: Callable[..., Ran]) -> None:
    assert cli("run").code == 2
    assert cli("nosuchcommand").code == 2
    assert cli("list", "--limit", "0").code == 2


def test_global_options_before_or_after_the_command() -> None:
    assert hoist_global_options(["list", "--limit", "3", "--api-key", "k", "-q"]) == [
        "--api-key",
        "k",
        "-q",
        "list",
        "--limit",
        "3",
    ]
    assert hoist_global_options(["--api-key", "k", "list", "--base-url=u"]) == [
        "--api-key",
        "k",
        "--base-url=u",
        "list",
    ]
    # The emulator's own --api-key stays with it.
    assert hoist_global_options(["emulator", "--api-key", "k"]) == ["emulator", "--api-key", "k"]


def test_global_options_before_the_command(
    cli: Callable[..., Ran], tmp_path: Path, server: EmulatorServer
) -> None:
    ids = submit(cli, tmp_path, n=1)
    base_url = server.base_url
    ran = cli("--api-key", "sk-ant-cli-test", "--base-url", base_url, "status", ids[0], auth=False)
    assert ran.code == 0
    assert ran.out.startswith(ids[0])


def test_emulator_command_takes_the_emulator_options(cli: Callable[..., Ran]) -> None:
    ran = cli("emulator", "--help", auth=False)
    assert ran.code == 0
    assert "--process-seconds" in ran.out
    assert "--drop-results-after" in ran.out


def test_demo_end_to_end(cli: Callable[..., Ran], tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    ran = cli("demo", "-o", str(out), auth=False)
    assert ran.code == 0, ran.err
    assert "32 succeeded, 4 errored" in ran.err
    assert "not_found_error x4" in ran.err
    assert "Estimated cost: $" in ran.err
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(results) == 36
    assert len({r["custom_id"] for r in results}) == 36


def test_workspace_id_is_sent_on_every_call(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str | None] = []
    original = httpx.AsyncClient.send

    async def send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> httpx.Response:
        sent.append(request.headers.get("anthropic-workspace-id"))
        return await original(self, request, **kw)

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    # A global option, given after the command as well as before it.
    assert cli("list", "--workspace-id", "wrkspc_1").code == 0
    assert cli("--workspace-id", "wrkspc_2", "list").code == 0
    assert sent == ["wrkspc_1", "wrkspc_2"]
    assert re.search(r"--workspace-id\s+ID", cli("--help", auth=False).out)
