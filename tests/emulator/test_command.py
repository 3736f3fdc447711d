"""The emulator command, through both of its entry points: `python -m anthropic_batches.emulator`
and `anthropic-batches emulator`. It prints its URL when ready, serves, stops cleanly, and
refuses a bad command line with exit status 2."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body

from anthropic_batches._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS, PROCESSING_WINDOW
from anthropic_batches.cli import main as cli_main
from anthropic_batches.emulator import EmulatorApp
from anthropic_batches.emulator._command import main as emulator_main
from anthropic_batches.emulator._server import key_fingerprint

TIMEOUT = 20.0

#: Each entry point: how to start it as a process, and its name in its usage line.
ENTRY_POINTS = {
    "python -m": (
        [sys.executable, "-m", "anthropic_batches.emulator"],
        "python -m anthropic_batches.emulator",
    ),
    "cli": (
        [sys.executable, "-c", "from anthropic_batches.cli import main; main()", "emulator"],
        "anthropic-batches emulator",
    ),
}
OPTIONS = [
    "--host",
    "--port",
    "--api-key",
    "--process-seconds",
    "--cancel-seconds",
    "--expire-seconds",
    "--seed",
    "--fault-rate",
    "--drop-results-after",
    "--max-body-bytes",
    "--max-requests",
    "--requests-per-minute",
    "--max-queued-requests",
    "--spend-limit-requests",
    "--log-level",
    "--help",
]


def run_in_process(entry: str, *args: str) -> int:
    """Run an entry point in this process; its exit status."""
    with pytest.raises(SystemExit) as info:
        if entry == "cli":
            cli_main(["emulator", *args])
        else:
            emulator_main(list(args))
    code = info.value.code
    return code if isinstance(code, int) else 1


def start(entry: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*ENTRY_POINTS[entry][0], "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stdout = process.stdout
    assert stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stdout.readline()))
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


@pytest.mark.parametrize(
    ("entry", "sig"),
    [("python -m", signal.SIGTERM), ("python -m", signal.SIGINT), ("cli", signal.SIGTERM)],
)
def test_command_serves_and_stops_cleanly(
    served: list[subprocess.Popen[str]], entry: str, sig: signal.Signals
) -> None:
    process, url = start(
        entry, "--process-seconds", "0", "--api-key", "key-a", "--api-key", "key-b"
    )
    served.append(process)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert not url.endswith(":0")  # port 0 became a real port before the URL was printed
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
    assert err.splitlines() == ["stopped"]  # and no call lines at the default log level


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_info_logs_each_call_on_one_line(served: list[subprocess.Popen[str]], entry: str) -> None:
    process, url = start(entry, "--log-level", "info", "--api-key", "key-a")
    served.append(process)
    with httpx.Client(base_url=url, headers=HEADERS, timeout=TIMEOUT) as http:
        assert http.get(BATCHES, headers={"x-api-key": "key-a"}).status_code == 200
        assert http.get(f"{BATCHES}/msgbatch_x", headers={"x-api-key": "key-a"}).status_code == 404
        assert http.get(BATCHES, headers={"x-api-key": "key-b"}).status_code == 401
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    lines = err.splitlines()
    assert lines[-1] == "stopped"
    calls = [line.split(" ", 1)[1] for line in lines[:-1]]  # after the time of day
    a, b = key_fingerprint("key-a"), key_fingerprint("key-b")
    assert calls == [
        f"GET {BATCHES} 200 key {a}",
        f"GET {BATCHES}/msgbatch_x 404 key {a}",
        f"GET {BATCHES} 401 key {b}",
    ]
    assert "key-a" not in err and "key-b" not in err and a != b


def test_command_reports_a_port_in_use(served: list[subprocess.Popen[str]]) -> None:
    process, url = start("python -m")
    served.append(process)
    port = url.rsplit(":", 1)[1]
    second = subprocess.run(
        [*ENTRY_POINTS["python -m"][0], "--port", port],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert second.returncode == 1
    assert second.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    assert "Traceback" not in second.stderr
    process.terminate()
    process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0


def help_of(entry: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """An entry point's help: its usage line, and the rest."""
    assert run_in_process(entry, "--help") == 0
    # Older typer releases start the help with a blank line and draw boxes around it.
    text = capsys.readouterr().out.replace("\u2502", " ")
    usage, _, rest = text.strip().partition("\n")
    return usage.strip(), rest


def test_both_entry_points_show_the_same_help(capsys: pytest.CaptureFixture[str]) -> None:
    module_usage, module_help = help_of("python -m", capsys)
    cli_usage, cli_help = help_of("cli", capsys)
    assert module_usage == "Usage: python -m anthropic_batches.emulator [OPTIONS]"
    assert cli_usage == "Usage: anthropic-batches emulator [OPTIONS]"
    assert module_help == cli_help
    listed = re.findall(r"^\s+(?:-h, )?(--[a-z-]+)", module_help, re.MULTILINE)
    assert listed == OPTIONS
    # Every value is named for what it is, not for its type.
    assert "<" not in module_help and "range" not in module_help
    assert re.search(r"--process-seconds\s+SECONDS", module_help)
    assert re.search(r"--fault-rate\s+FRACTION", module_help)
    flat = " ".join(module_help.split())
    assert f"[default: {MAX_BATCH_REQUESTS}]" in flat
    assert f"[default: {MAX_BATCH_BYTES}]" in flat
    assert f"[default: {PROCESSING_WINDOW.total_seconds()}]" in flat


def test_short_help_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_in_process("python -m", "-h") == 0
    assert "--max-requests" in capsys.readouterr().out


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fault-rate", "1.5"], "'--fault-rate': must be a fraction from 0 to 1, not 1.5"),
        (["--process-seconds", "-1"], "'--process-seconds': must be 0 or more seconds, not -1"),
        (["--expire-seconds", "nan"], "'--expire-seconds': must be 0 or more seconds, not nan"),
        (["--port", "-2"], "'--port': must be a port number from 0 to 65535, not -2"),
        (["--port", "65536"], "'--port': must be a port number from 0 to 65535, not 65536"),
        (["--max-requests", "0"], "'--max-requests': must be 1 or more, not 0"),
        (["--drop-results-after", "-1"], "'--drop-results-after': must be 0 or more, not -1"),
        (["--seed", "x"], "'--seed'"),
        (
            ["--log-level", "loud"],
            "'--log-level': must be one of critical, error, warning, info, debug; not 'loud'",
        ),
        (["--no-such-option"], "No such option: --no-such-option"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(
    entry: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_in_process(entry, *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    usage = ENTRY_POINTS[entry][1]
    assert captured.err.startswith(f"Usage: {usage} [OPTIONS]\n")
    assert f"Try '{usage} -h' for help." in captured.err
    # The message is in a box that wraps it at the terminal's width: read it as one line.
    text = " ".join(captured.err.replace("\u2502", " ").split())
    assert message in text


def test_options_reach_the_emulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[tuple[EmulatorApp, str]] = []

    def serve(
        app: EmulatorApp, sock: socket.socket, log_level: str, on_ready: Callable[[], None]
    ) -> bool:
        served.append((app, log_level))
        on_ready()
        sock.close()
        return True

    monkeypatch.setattr("anthropic_batches.emulator._command.serve_until_stopped", serve)
    argv = ["--api-key", "a", "--api-key", "b", "--process-seconds", "5", "--cancel-seconds", "2"]
    argv += ["--expire-seconds", "60", "--seed", "9", "--fault-rate", "0.25"]
    argv += ["--drop-results-after", "10", "--max-body-bytes", "1000", "--max-requests", "7"]
    argv += ["--log-level", "debug"]
    assert run_in_process("cli", *argv) == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", capsys.readouterr().out)
    [(app, log_level)] = served
    emulator = app.emulator
    assert emulator.api_keys == {"a", "b"}
    assert (emulator.process_seconds, emulator.cancel_seconds) == (5.0, 2.0)
    assert emulator.expire_seconds == 60.0
    assert (emulator.seed, emulator.fault_rate, emulator.drop_results_after) == (9, 0.25, 10)
    assert (emulator.max_body_bytes, emulator.max_requests) == (1000, 7)
    assert log_level == "debug"


def test_defaults_are_the_apis_limits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[EmulatorApp] = []

    def serve(
        app: EmulatorApp, sock: socket.socket, log_level: str, on_ready: Callable[[], None]
    ) -> bool:
        served.append(app)
        sock.close()
        return True

    monkeypatch.setattr("anthropic_batches.emulator._command.serve_until_stopped", serve)
    assert run_in_process("python -m") == 0
    emulator = served[0].emulator
    assert emulator.api_keys == frozenset()  # any key
    assert (emulator.max_requests, emulator.max_body_bytes) == (MAX_BATCH_REQUESTS, MAX_BATCH_BYTES)
    assert emulator.expire_seconds == PROCESSING_WINDOW.total_seconds()
    assert (emulator.fault_rate, emulator.drop_results_after) == (0.0, None)
