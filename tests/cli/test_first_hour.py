"""What a new user meets first on the command line: missing extras, a closed pipe, a wrong
address or version, the help text, and messages that speak in flags rather than Python."""

from __future__ import annotations

import itertools
import json
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from cli_helpers import KEY, Ran, request, write_requests

from anthropic_batches import (
    APIConnectionError,
    BatchResult,
    Client,
    SucceededResult,
    read_requests,
)
from anthropic_batches._facts import OLD_API_VERSION
from anthropic_batches.cli._common import connection_problem, seconds_text
from anthropic_batches.cli._demo import known_model
from anthropic_batches.emulator import Emulator, EmulatorServer

ROOT = Path(__file__).resolve().parents[2]

#: Makes the modules named in BLOCK_MODULES impossible to import, as if not installed.
BLOCKER = """
import os, sys
from importlib.abc import MetaPathFinder

BLOCKED = set(os.environ["BLOCK_MODULES"].split(","))


class Blocker(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
"""

CLI = "from anthropic_batches.cli import main; main()"


def without(
    tmp_path: Path, blocked: str, *argv: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python argv...` with the `blocked` modules missing."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(BLOCKER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    env["BLOCK_MODULES"] = blocked
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.parametrize("missing", ["typer", "rich"])
def test_the_command_without_the_cli_extra_names_the_extra(tmp_path: Path, missing: str) -> None:
    ran = without(tmp_path, missing, "-c", CLI, "list")
    assert ran.returncode == 2
    assert ran.stderr.splitlines() == [
        'error: the command line needs the cli extra: pip install "anthropic-batches[cli]" '
        f"(no module named {missing!r})"
    ]


def test_the_emulator_without_its_extra_names_the_extra(tmp_path: Path) -> None:
    hint = 'pip install "anthropic-batches[emulator]"'
    for missing in ("starlette", "typer"):
        ran = without(tmp_path, missing, "-m", "anthropic_batches.emulator", "--port", "0")
        assert ran.returncode == 2
        assert len(ran.stderr.splitlines()) == 1, ran.stderr
        assert hint in ran.stderr and repr(missing) in ran.stderr

    imported = without(tmp_path, "starlette", "-c", "import anthropic_batches.emulator")
    assert f"ModuleNotFoundError: the emulator needs the emulator extra: {hint}" in imported.stderr
    # The package itself needs none of the extras.
    plain = without(tmp_path, "starlette,uvicorn,typer,rich", "-c", "import anthropic_batches")
    assert plain.returncode == 0, plain.stderr


@pytest.fixture
def big_batch(server: EmulatorServer, emulator: Emulator) -> str:
    """An ended batch with 3,000 results."""
    emulator.process_seconds = 0
    with Client(api_key=KEY, base_url=server.base_url) as client:
        batch = client.messages.batches.create([request(f"r{i}") for i in range(3000)])
        return client.messages.batches.wait(batch.id, poll_interval=0.01).id


def piped_into_head(server: EmulatorServer, *argv: str) -> tuple[int, str, list[str]]:
    """Run the command with its stdout read for two lines and then closed, as `| head -n 2`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    args = [sys.executable, "-c", CLI, *argv, "--api-key", KEY, "--base-url", server.base_url]
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=30)
    return code, err, lines


def test_results_into_a_closed_pipe_end_quietly(server: EmulatorServer, big_batch: str) -> None:
    code, err, lines = piped_into_head(server, "results", big_batch)
    assert code == 0
    assert err == ""
    results = [BatchResult.model_validate_json(line) for line in lines]
    assert all(isinstance(r.result, SucceededResult) for r in results)


def test_run_into_a_closed_pipe_ends_quietly(
    server: EmulatorServer, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.process_seconds = 0
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(2000)])
    code, err, lines = piped_into_head(
        server, "run", str(src), "-o", "-", "--poll-interval", "0.05", "-q"
    )
    assert code == 0
    assert err == "", err
    assert len(lines) == 2


def test_no_key_one_message_in_flags(cli: Callable[..., Ran]) -> None:
    ran = cli("list", auth=False)
    assert ran.code == 2
    assert ran.err.strip() == "error: no API key: pass --api-key KEY or set ANTHROPIC_API_KEY"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--api-version", "2020-01-01"], "2020-01-01 is not one the API serves"),
        (["--base-url", "127.0.0.1:8123"], "(e.g. http://127.0.0.1:8123)"),
        (["--base-url", "ftp://x"], "not an http:// or https:// address (e.g. http://x)"),
    ],
)
def test_a_bad_version_or_address_is_a_usage_error(
    cli: Callable[..., Ran], args: list[str], expected: str
) -> None:
    ran = cli(*args, "--api-key", KEY, "list", auth=False)
    assert ran.code == 2
    assert expected in ran.err


def test_a_connection_error_names_the_address(cli: Callable[..., Ran]) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    ran = cli("--api-key", KEY, "--base-url", url, "list", auth=False)
    assert ran.code == 1
    expected = f"error: cannot reach the API at {url}: nothing is listening there"
    assert ran.err.startswith(expected)


def chained(*errors: BaseException) -> APIConnectionError:
    """The SDK's connection error, raised from `errors[0]`, itself from `errors[1]`, ..."""
    for outer, inner in itertools.pairwise(errors):
        outer.__cause__ = inner
    exc = APIConnectionError("Connection error.")
    exc.__cause__ = errors[0] if errors else None
    return exc


@pytest.mark.parametrize(
    ("exc", "why"),
    [
        (
            chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")),
            "its host name does not resolve (DNS)",
        ),
        (
            chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "verify failed")),
            "the TLS handshake failed",
        ),
        (chained(httpx.ConnectError("All connection attempts failed")), "nothing is listening"),
        (chained(httpx.RemoteProtocolError("x")), "closed before an answer came"),
        (chained(RuntimeError("odd")), "RuntimeError: odd"),
    ],
)
def test_a_connection_error_says_what_went_wrong(exc: APIConnectionError, why: str) -> None:
    message = connection_problem(exc, "https://api.example")
    assert message.startswith("cannot reach the API at https://api.example: ")
    assert why in message


def test_timeout_rounded_with_a_resume_command(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    emulator.process_seconds = 50_000
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    out = tmp_path / "out.jsonl"
    ran = cli("run", str(src), "-o", str(out), "--timeout", "0.3", "--poll-interval", "0.01")
    assert ran.code == 4
    lines = ran.err.splitlines()
    timed_out = next(line for line in lines if "did not end" in line)
    assert timed_out.endswith("did not end within the --timeout of 0.3 s")
    at = lines.index(f"the state is saved in {out}.state.json; resume with:")
    resume = lines[at + 1].strip()
    assert resume.startswith(f"anthropic-batches run {src} -o {out}")
    assert KEY not in ran.err
    assert lines[at + 2] == "(with your API key: --api-key or ANTHROPIC_API_KEY)"


def test_seconds_are_rounded_for_people() -> None:
    assert [seconds_text(s) for s in (1.99996, 0.3, 0.04, 59.7, 3600.2)] == [
        "2 s",
        "0.3 s",
        "0 s",
        "60 s",
        "3600 s",
    ]


def test_file_problems_speak_in_flags_and_name_the_field_once(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    src = write_requests(
        tmp_path / "in.jsonl", [request("a", temperature=0.5), request("b", max_tokens=0)]
    )
    for command in ("submit", "run"):
        ran = cli(command, str(src), *(["-o", str(tmp_path / "out.jsonl")] * (command == "run")))
        assert ran.code == 3, (command, ran.err)
        check_flag_words(ran, src)


def check_flag_words(ran: Ran, src: Path) -> None:
    assert f"{src}:1: params.temperature: not accepted under --api-version" in ran.err
    assert f"--api-version {OLD_API_VERSION} still accepts it" in ran.err
    assert f"{src}:2: params.max_tokens: must be at least 1" in ran.err
    assert "api_version=" not in ran.err
    assert "Extra inputs" not in ran.err


def test_a_binary_file_is_said_once(cli: Callable[..., Ran], tmp_path: Path) -> None:
    src = tmp_path / "photo.jsonl"
    src.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    ran = cli("submit", str(src))
    assert ran.code == 3
    assert ran.err.count("not a text file") == 1
    assert "UTF-8" in ran.err and "line" not in ran.err.split("not a text file")[0][-20:]
    assert len(ran.err.strip().splitlines()) == 2  # the count, then the one problem


COMMANDS = [
    "run",
    "estimate",
    "submit",
    "status",
    "wait",
    "results",
    "list",
    "cancel",
    "delete",
    "jobs",
    "demo",
]


def command_lines(help_text: str) -> list[str]:
    """The lines of the help's list of commands that start a command's entry: under
    "Commands:" as plain text, or in the "Commands" box older typer releases draw."""
    if "Commands:" in help_text:
        return help_text.split("Commands:")[1].split("\n\n")[0].strip().splitlines()
    box = help_text.split("\u2500 Commands ")[1].split("\u2570")[0].splitlines()[1:]
    rows = [line.strip().strip("\u2502").rstrip() for line in box]
    return [row.strip() for row in rows if row[:2].strip()]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_reads_like_a_person_wrote_it(cli: Callable[..., Ran], command: str | None) -> None:
    ran = cli(*([command] if command else []), "--help", auth=False)
    assert ran.code == 0
    for code_like in ("<", ">", "{", "}", "list[", "range", "x>="):
        assert code_like not in ran.out, (code_like, ran.out)
    assert cli(*([command] if command else []), "-h", auth=False).out == ran.out
    if command is None:  # each command's summary whole, not cut short with "..."
        listed = command_lines(ran.out)
        assert len(listed) == len(COMMANDS) + 1  # and the emulator
        assert not [line for line in listed if line.endswith("...")]


def test_demo_says_why_requests_fail_and_names_the_results_once(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    out = tmp_path / "demo.jsonl"
    ran = cli("demo", "-o", str(out), auth=False)
    assert ran.code == 0, ran.err
    sample = files("anthropic_batches") / "data" / "sample_requests.jsonl"
    unknown = sum(
        not known_model(json.loads(line)["params"]["model"])
        for line in sample.read_text(encoding="utf-8").splitlines()
    )
    assert f"not_found_error x{unknown}" in ran.err
    assert f"does not exist in {unknown} requests, on purpose" in ran.err
    assert ran.err.count(str(out)) == 1


def test_the_readme_real_api_job_has_only_valid_requests() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if "anthropic-batches run " in line)
    path = ROOT / command.split("anthropic-batches run ", 1)[1].split()[0]
    requests = list(read_requests(path))  # checked as the command checks it
    assert requests
    assert all(known_model(r["params"]["model"]) for r in requests)
