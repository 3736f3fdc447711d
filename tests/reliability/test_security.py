"""Security: the key never goes to another origin and never shows in repr, error messages, logs,
the command line's output or its state file; one key never sees another's batches; a body over
the limit is refused without being buffered whole."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability.origins import Origin, origin
from reliability.support import (
    child_env,
    counts_recorded_at_end,
    peak_rss_kib,
    record,
    served_emulator,
    stop,
)

from anthropic_batches import (
    APIConnectionError,
    AsyncClient,
    AsyncJob,
    AuthenticationError,
    BatchesError,
    NotFoundError,
)
from anthropic_batches.emulator import EmulatorServer

KEY = "sk-ant-SECRET-7f3a9c1e5b"
TOKEN = "oauth-SECRET-token-42d1"
BATCH = "msgbatch_01SEC"
STATS = {"origins_checked": 0, "requests_to_other_origins": 0, "credentials_leaked": 0}
_record_counts = counts_recorded_at_end("other_origins", STATS)


def _batch(results_url: str | None) -> bytes:
    return json.dumps(
        {
            "id": BATCH,
            "type": "message_batch",
            "processing_status": "ended",
            "request_counts": {"processing": 0, "succeeded": 2, "errored": 0, "canceled": 0},
            "created_at": "2026-10-21T00:00:00Z",
            "expires_at": "2026-10-22T00:00:00Z",
            "ended_at": "2026-10-21T00:01:00Z",
            "results_url": results_url,
        }
    ).encode()


LINES = b"".join(
    json.dumps({"custom_id": f"r{i}", "result": {"type": "canceled"}}).encode() + b"\n"
    for i in range(2)
)
RESULTS = f"/v1/messages/batches/{BATCH}/results"


def _leaks(seen: Origin, *secrets: str) -> int:
    STATS["origins_checked"] += 1
    STATS["requests_to_other_origins"] += len(seen.seen)
    found = sum(
        1
        for s in seen.seen
        for value in s.headers.values()
        for secret in secrets
        if secret in value
    )
    STATS["credentials_leaked"] += found
    return found


@pytest.fixture
def api() -> Iterator[Origin]:
    with origin() as o:
        yield o


@pytest.fixture
def other() -> Iterator[Origin]:
    with origin() as o:
        yield o


CREDENTIALS = [
    pytest.param({"api_key": KEY}, id="x-api-key"),
    pytest.param({"auth_token": TOKEN}, id="bearer"),
]


@pytest.mark.parametrize("credential", CREDENTIALS)
async def test_results_url_on_another_origin_gets_no_key(
    api: Origin, other: Origin, credential: dict[str, Any]
) -> None:
    api.routes[("GET", f"/v1/messages/batches/{BATCH}")] = (200, {}, _batch(other.url + RESULTS))
    api.routes[("GET", RESULTS)] = (200, {}, LINES)
    other.routes[("GET", RESULTS)] = (200, {}, LINES)
    async with AsyncClient(base_url=api.url, max_retries=0, **credential) as client:
        by_id = [r.custom_id async for r in client.messages.batches.results(BATCH)]
        batch = await client.messages.batches.get(BATCH)
        by_batch = [r.custom_id async for r in client.messages.batches.results(batch)]
    assert by_id == by_batch == ["r0", "r1"]
    assert _leaks(other, KEY, TOKEN) == 0
    assert other.seen == []  # read from the API's own origin instead
    assert [s.path for s in api.seen].count(RESULTS) == 2
    assert all(
        KEY in s.headers.get("x-api-key", "") + s.headers.get("authorization", "")
        or TOKEN in s.headers.get("authorization", "")
        for s in api.seen
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("credential", CREDENTIALS)
async def test_redirect_to_another_host_drops_the_key(
    api: Origin, other: Origin, status: int, credential: dict[str, Any]
) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    api.routes[("GET", f"/v1/messages/batches/{BATCH}")] = (200, {}, _batch(None))
    # another origin twice over: a different port, and the same server under another name
    api.routes[("GET", RESULTS)] = (status, {"location": other.url + "/elsewhere"}, b"")
    other.routes[("GET", "/elsewhere")] = (
        status,
        {"location": f"http://localhost:{port}/back"},
        b"",
    )
    api.routes[("GET", "/back")] = (200, {}, LINES)
    # a same-origin redirect keeps the key (so the checks above can fail)
    api.routes[("POST", "/v1/messages/batches")] = (307, {"location": "/v1/created"}, b"")
    api.routes[("POST", "/v1/created")] = (200, {}, _batch(None))
    async with AsyncClient(base_url=f"http://{host}:{port}", max_retries=0, **credential) as client:
        got = [r.custom_id async for r in client.messages.batches.results(BATCH)]
        request = {
            "custom_id": "a",
            "params": {
                "model": "m",
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "x"}],
            },
        }
        await client.messages.batches.create([request])
    assert got == ["r0", "r1"]
    assert [s.path for s in other.seen] == ["/elsewhere"]
    assert _leaks(other, KEY, TOKEN) == 0
    back = [s for s in api.seen if s.path == "/back"]
    assert len(back) == 1
    assert "x-api-key" not in back[0].headers
    assert "authorization" not in back[0].headers
    created = next(s for s in api.seen if s.path == "/v1/created")
    secret = KEY if "api_key" in credential else f"Bearer {TOKEN}"
    assert secret in (created.headers.get("x-api-key"), created.headers.get("authorization"))


def _texts_of(exc: BaseException) -> str:
    return " ".join([str(exc), repr(exc), "".join(traceback.format_exception(exc))])


async def test_key_never_in_repr_errors_or_logs(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    texts: list[str] = []
    with EmulatorServer(
        api_keys=[KEY], process_seconds=0.2, fault_rate=0.3, drop_results_after=3
    ) as server:
        async with AsyncClient(api_key=KEY, base_url=server.base_url, max_retries=8) as client:
            requests = [
                {
                    "custom_id": f"r{i}",
                    "params": {
                        "model": "m",
                        "max_tokens": 5,
                        "messages": [{"role": "user", "content": "x"}],
                    },
                }
                for i in range(10)
            ]
            job = AsyncJob(
                client,
                requests,
                state_path=tmp_path / "state.json",
                max_requests=4,
                poll_interval=0.05,
            )
            results = [r async for r in job.results()]
            assert len(results) == 10
            stream = client.messages.batches.results(job.batch_ids[0] or "")
            texts += [
                repr(client),
                repr(client._settings),
                repr(job),
                repr(stream),
                repr(results[0]),
            ]
            await stream.aclose()
            with pytest.raises(NotFoundError) as missing:
                await client.messages.batches.get("msgbatch_nope")
            texts.append(_texts_of(missing.value))
            texts.append((tmp_path / "state.json").read_text())
        server.emulator.fault_rate = 0
        async with AsyncClient(api_key=KEY + "-wrong", base_url=server.base_url) as wrong:
            with pytest.raises(AuthenticationError) as refused:
                await wrong.messages.batches.list()
            texts.append(_texts_of(refused.value))
    async with AsyncClient(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=1) as dead:
        with pytest.raises(APIConnectionError) as unreachable:
            await dead.messages.batches.get("msgbatch_x")
        texts.append(_texts_of(unreachable.value))
    with pytest.raises(BatchesError) as no_key:
        AsyncClient(api_key="", auth_token="", base_url="http://127.0.0.1:9")
    texts.append(_texts_of(no_key.value))
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert len(caplog.records) > 20  # the debug logging was on, and said things
    assert KEY not in logged
    for text in texts:
        assert KEY not in text
    record(
        "key_not_in_texts",
        texts_checked=len(texts),
        log_records_checked=len(caplog.records),
        found=0,
    )


def _cli(*args: str, **env: str) -> list[str]:
    return [sys.executable, "-c", "from anthropic_batches.cli import main; main()", *args]


def _requests_file(path: Path, n: int) -> Path:
    lines = [
        json.dumps(
            {
                "custom_id": f"r{i}",
                "params": {
                    "model": "m",
                    "max_tokens": 5,
                    "messages": [{"role": "user", "content": "x"}],
                },
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_key_never_in_cli_output_or_state(tmp_path: Path) -> None:
    src = _requests_file(tmp_path / "in.jsonl", 12)
    out, state = tmp_path / "out.jsonl", tmp_path / "state.json"
    with EmulatorServer(
        api_keys=[KEY], process_seconds=0.2, fault_rate=0.2, drop_results_after=2
    ) as server:
        done = subprocess.run(
            _cli(
                "--debug",
                "run",
                str(src),
                "-o",
                str(out),
                "--state",
                str(state),
                "--max-requests",
                "5",
                "--poll-interval",
                "0.05",
            ),
            env=child_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.base_url),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        wrong = subprocess.run(
            _cli("--debug", "--api-key", KEY + "x", "--base-url", server.base_url, "list"),
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert wrong.returncode == 1
    assert len(out.read_text().splitlines()) == 12
    assert "DEBUG" in done.stderr  # the debug log was on
    for text in (
        done.stdout,
        done.stderr,
        wrong.stdout,
        wrong.stderr,
        state.read_text(),
        out.read_text(),
    ):
        assert KEY not in text


def test_key_never_in_the_resume_hint(tmp_path: Path) -> None:
    """Regression: the hint printed after Ctrl-C repeated the command line, `--api-key` too."""
    src = _requests_file(tmp_path / "in.jsonl", 3)
    state = tmp_path / "state.json"
    with EmulatorServer(process_seconds=60) as server:
        proc = subprocess.Popen(
            _cli(
                "run",
                str(src),
                "-o",
                str(tmp_path / "out.jsonl"),
                "--state",
                str(state),
                "--api-key",
                KEY,
                "--base-url",
                server.base_url,
                "--poll-interval",
                "0.05",
            ),
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and server.emulator.stats.calls["get"] < 2:
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            stop(proc)
    assert proc.returncode == 130, stderr
    assert "resume with:" in stderr
    assert f"--state {state}" in stderr
    assert KEY not in stdout + stderr


async def test_keys_never_see_each_others_batches() -> None:
    other_key = "sk-ant-other-key"
    request = {
        "custom_id": "a",
        "params": {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    }
    checks = 0
    with EmulatorServer(process_seconds=0.1) as server:
        async with (
            AsyncClient(api_key=KEY, base_url=server.base_url) as mine,
            AsyncClient(api_key=other_key, base_url=server.base_url) as theirs,
        ):
            ids = [(await mine.messages.batches.create([request])).id for _ in range(5)]
            await mine.messages.batches.wait(ids[-1], poll_interval=0.05)
            assert [b.id async for b in theirs.messages.batches.iter()] == []
            for batch_id in ids:
                for call in (
                    theirs.messages.batches.get,
                    theirs.messages.batches.cancel,
                    theirs.messages.batches.delete,
                ):
                    with pytest.raises(NotFoundError):
                        await call(batch_id)
                    checks += 1
                with pytest.raises(NotFoundError):
                    [r async for r in theirs.messages.batches.results(batch_id)]
                checks += 1
            assert sorted([b.id async for b in mine.messages.batches.iter()]) == sorted(ids)
    record("keys_apart", batches=len(ids), cross_key_calls=checks, seen_by_other_key=0)


class Body:
    """A request body streamed from a generator: `size` bytes in 1 MiB pieces, counted."""

    PIECE = b'{"requests": ["' + b"x" * (2**20 - 15)

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.size:
            self.sent += len(self.PIECE)
            yield self.PIECE


GB = 10**9


@pytest.mark.parametrize(
    ("max_body", "declared"),
    [
        pytest.param(8_000_000, False, id="8MB-limit-chunked"),
        pytest.param(8_000_000, True, id="8MB-limit-declared"),
        pytest.param(None, False, id="256MB-limit-chunked", marks=pytest.mark.slow),
    ],
)
def test_body_over_the_limit_refused_without_buffering(
    max_body: int | None, declared: bool
) -> None:
    limit = max_body or 256_000_000
    args = ["--max-body-bytes", str(max_body)] if max_body else []
    with served_emulator(*args) as (url, proc):
        with httpx.Client(base_url=url, timeout=120) as http:
            assert (
                http.get(
                    "/v1/messages/batches",
                    headers={"x-api-key": "k", "anthropic-version": "2026-10-21"},
                ).status_code
                == 200
            )
            before = peak_rss_kib(proc.pid)
            body = Body(GB)
            headers = {
                "x-api-key": "k",
                "anthropic-version": "2026-10-21",
                "content-type": "application/json",
            }
            if declared:
                headers["content-length"] = str(GB)
            started = time.monotonic()
            response = http.post("/v1/messages/batches", content=iter(body), headers=headers)
            elapsed = time.monotonic() - started
            peak = peak_rss_kib(proc.pid)
            assert response.status_code == 413
            assert response.json()["error"]["type"] == "request_too_large"
        with httpx.Client(base_url=url, timeout=10) as http:  # still serving
            assert (
                http.get(
                    "/v1/messages/batches",
                    headers={"x-api-key": "k", "anthropic-version": "2026-10-21"},
                ).status_code
                == 200
            )
    growth_mib = (peak - before) / 1024
    assert body.sent < limit + 64 * 2**20  # refused soon after the limit, not at the end
    assert growth_mib < limit / 2**20 * 1.5 + 64  # bounded by the limit, not by the body
    record(
        "body_limit",
        limit_bytes=limit,
        declared_length=declared,
        body_offered_bytes=GB,
        body_streamed_bytes=body.sent,
        emulator_peak_before_mib=round(before / 1024, 1),
        emulator_peak_after_mib=round(peak / 1024, 1),
        growth_mib=round(growth_mib, 1),
        seconds=round(elapsed, 2),
    )
