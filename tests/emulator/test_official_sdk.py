"""The official `anthropic` Python SDK, both majors, against the served emulator: proof that
the emulator speaks the real API and not only this project's dialect.

2.x is a dev dependency of the venv (it sends `Authorization: Bearer` and the 2026-10-21
version); 1.x (`x-api-key`, 2023-06-01) is installed into `.venv/anthropic-1` by
`scripts/official-sdk-envs`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anthropic_batches.emulator import Emulator, EmulatorServer

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SCENARIO = HERE / "official_sdk_scenario.py"
ANTHROPIC_1 = ROOT / ".venv" / "anthropic-1"
KEY = "sk-ant-official-sdk"


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = Emulator(api_keys=[KEY], process_seconds=0.3, cancel_seconds=0.1)
    with EmulatorServer(emulator) as running:
        yield running


def run_scenario(server: EmulatorServer, pythonpath: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, str(SCENARIO), server.base_url, KEY],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def check(report: dict[str, Any], server: EmulatorServer) -> None:
    assert report["created_status"] == "in_progress"
    assert report["created_processing"] == 2
    assert report["cancel_status"] == "canceling" and report["cancel_initiated"]
    assert report["ended"]
    assert report["counts"] == {
        "processing": 0,
        "succeeded": 1,
        "errored": 1,
        "canceled": 0,
        "expired": 0,
    }
    assert report["results_url"].startswith(server.base_url + "/v1/messages/batches/")
    assert report["results"]["second"] == "error:invalid_request_error"
    assert "Hello, world" in report["results"]["first"]
    assert report["list_order_ok"], report["listed"]
    assert report["deleted"][1] == "message_batch_deleted"
    assert report["after_delete"] == [404, "not_found_error"]
    assert report["bad_request"] == [400, True]


def test_official_sdk_2x(server: EmulatorServer) -> None:
    report = run_scenario(server, None)
    assert report["sdk"].startswith("2.")
    check(report, server)
    assert server.emulator.stats.batches_created == 2


def test_official_sdk_1x(server: EmulatorServer) -> None:
    if not (ANTHROPIC_1 / "anthropic").is_dir():
        pytest.skip(
            f"anthropic 1.x is not installed in {ANTHROPIC_1}: run scripts/official-sdk-envs"
        )
    report = run_scenario(server, str(ANTHROPIC_1))
    assert report["sdk"].startswith("1.")
    check(report, server)
