"""`python -m anthropic_batches.emulator`: prints its URL when ready, serves, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body

from anthropic_batches.emulator import build_parser, emulator_from_args

TIMEOUT = 20.0


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "anthropic_batches.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(TIMEOUT)
    if not line or not line[0]:
        process.kill()
        _, err = process.communicate(timeout=TIMEOUT)
        pytest.fail(f"the emulator printed no URL; stderr:\n{err}")
    return process, line[0].strip()


@pytest.fixture
def served() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=TIMEOUT)  # closes the pipes


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_command_serves_and_stops_cleanly(
    served: list[subprocess.Popen[str]], sig: signal.Signals
) -> None:
    process, url = start("--process-seconds", "0", "--api-key", "key-a", "--api-key", "key-b")
    served.append(process)
    assert url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=url, headers=HEADERS, timeout=TIMEOUT) as http:
        created = http.post(BATCHES, json=make_body(2))
        assert created.status_code == 200
        batch = http.get(f"{BATCHES}/{created.json()['id']}").json()
        assert batch["processing_status"] == "ended"  # --process-seconds 0
        assert batch["results_url"].startswith(url + BATCHES)
        results = http.get(batch["results_url"])
        assert results.status_code == 200 and len(results.text.splitlines()) == 2
        refused = http.get(BATCHES, headers={"x-api-key": "key-c"})
        assert refused.status_code == 401
    process.send_signal(sig)
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    assert out == ""  # exactly one line was printed, the URL
    assert "Traceback" not in err


def test_command_reports_a_port_in_use(served: list[subprocess.Popen[str]]) -> None:
    process, url = start()
    served.append(process)
    port = url.rsplit(":", 1)[1]
    second = subprocess.run(
        [sys.executable, "-m", "anthropic_batches.emulator", "--port", port],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert second.returncode == 1
    assert second.stdout == ""
    assert "cannot listen" in second.stderr
    process.terminate()
    process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0


def test_options_reach_the_emulator() -> None:
    args = build_parser().parse_args(
        [
            "--api-key",
            "a",
            "--api-key",
            "b",
            "--process-seconds",
            "5",
            "--cancel-seconds",
            "2",
            "--expire-seconds",
            "60",
            "--seed",
            "9",
            "--fault-rate",
            "0.25",
            "--drop-results-after",
            "10",
            "--max-body-bytes",
            "1000",
            "--max-requests",
            "7",
        ]
    )
    emulator = emulator_from_args(args)
    assert emulator.api_keys == {"a", "b"}
    assert (emulator.process_seconds, emulator.cancel_seconds) == (5.0, 2.0)
    assert emulator.expire_seconds == 60.0
    assert (emulator.seed, emulator.fault_rate, emulator.drop_results_after) == (9, 0.25, 10)
    assert (emulator.max_body_bytes, emulator.max_requests) == (1000, 7)


@pytest.mark.parametrize(
    "argv",
    [
        ["--fault-rate", "1.5"],
        ["--process-seconds", "-1"],
        ["--port", "-2"],
        ["--max-requests", "0"],
        ["--seed", "x"],
    ],
)
def test_bad_options_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err
