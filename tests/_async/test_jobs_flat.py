"""Jobs at flat memory: parts are byte ranges of a file, read back when submitted."""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import FAST, KEY
from helpers import job_request as req

from anthropic_batches import AsyncClient, RequestsFileError
from anthropic_batches._async.jobs import AsyncJob
from anthropic_batches._encoding import encode_requests
from anthropic_batches._joins import Missing
from anthropic_batches._split import split_requests
from anthropic_batches._state import JobState
from anthropic_batches.emulator import (
    AsyncEmulatorTransport,
    Emulator,
    ManualClock,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
    create_app,
)


def answer(request: ResponderRequest) -> ResponderOutput:
    if request.custom_id.startswith("fail"):
        return ResponderError("overloaded_error", "Overloaded")
    return {
        "model": request.params["model"],
        "content": [{"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def write(path: Path, requests: list[dict[str, Any]], *, compact: bool = True) -> Path:
    """Compact: as the requests are sent (`encode_json`); else as `json.dumps` writes them."""
    if compact:
        text = "".join(
            json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in requests
        )
    else:
        text = "".join(json.dumps(r) + "\n" for r in requests)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def emulator() -> Emulator:
    clock = ManualClock(datetime.now(UTC), tick=10)
    return Emulator(clock=clock, process_seconds=30, responder=answer)


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[AsyncClient]:
    http = httpx.AsyncClient(transport=AsyncEmulatorTransport(create_app(emulator)))
    async with (
        http,
        AsyncClient(api_key=KEY, base_url="http://emulator.test", http_client=http) as c,
    ):
        yield c


class Request(dict[str, Any]):
    """A request that can be watched: a job must not keep it once it is checked."""


async def test_a_generator_job_keeps_none_of_its_requests(
    client: AsyncClient, tmp_path: Path
) -> None:
    alive: list[weakref.ref[Request]] = []

    def requests() -> Iterator[Request]:
        for i in range(300):
            held = sum(ref() is not None for ref in alive)
            assert held <= 2, f"{held} requests are still held after being checked"
            item = Request(req(f"r{i:03d}"))
            alive.append(weakref.ref(item))
            yield item

    job = AsyncJob(client, requests(), state_path=tmp_path / "s.json", max_requests=100)
    gc.collect()
    assert all(ref() is None for ref in alive)
    assert [len(p) for p in job.parts] == [100, 100, 100]
    # Spooled beside the state file, and read back from there.
    assert job.parts[0].source.path == str(tmp_path / "s.json.requests.jsonl")
    assert [r["custom_id"] for r in job.part_requests(2)][:2] == ["r200", "r201"]


def _split_peak(count: int) -> int:
    tracemalloc.start()
    try:
        parts = split_requests(
            (req(f"r{i:06d}", "x" * 300) for i in range(count)), max_requests=500
        )
        assert sum(len(p) for p in parts) == count
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_splitting_ten_times_more_requests_takes_about_the_same_memory() -> None:
    small, large = _split_peak(2_000), _split_peak(20_000)
    # Holding the requests took about 1 KB each (18 MB more here); what grows now is the
    # per-part bookkeeping and the custom_ids remembered for duplicates (about 150 bytes each).
    assert large - small < 4_000_000, (small, large)


@pytest.mark.parametrize("compact", [True, False])
async def test_a_part_read_back_is_the_body_of_a_one_shot_create(
    client: AsyncClient, tmp_path: Path, compact: bool
) -> None:
    requests = [req(f"r{i}", f"caf\u00e9 {i} \u2028") for i in range(7)]
    path = write(tmp_path / "in.jsonl", requests, compact=compact)
    job = AsyncJob.from_file(client, path, max_requests=3)
    assert [p.verbatim for p in job.parts] == [compact] * 3
    for part in job.parts:
        one_shot = encode_requests(requests[part.start : part.stop], client.api_version)
        body = part.body()
        assert bytes(body) == bytes(one_shot)
        assert body.size == one_shot.size == part.size
    spooled = AsyncJob(client, requests, max_requests=3)
    assert [bytes(p.body()) for p in spooled.parts] == [bytes(p.body()) for p in job.parts]


async def test_blank_lines_and_crlf_are_read_back_too(client: AsyncClient, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(req(f"r{i}"), separators=(",", ":")) for i in range(4)]
    path.write_bytes(("\r\n".join(lines[:2]) + "\n\n\n" + "\n".join(lines[2:]) + "\n").encode())
    job = AsyncJob.from_file(client, path, max_requests=4)
    assert bytes(job.parts[0].body()) == bytes(
        encode_requests([json.loads(x) for x in lines], client.api_version)
    )


async def test_a_file_changed_after_the_check_is_refused_and_nothing_of_the_part_is_sent(
    client: AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    requests = [req(f"r{i}") for i in range(6)]
    path = write(tmp_path / "in.jsonl", requests)
    job = AsyncJob.from_file(client, path, max_requests=3, **FAST)
    await job.submit_part(0)
    requests[4] = req("r4", "hellp")  # same length: only the digest can tell
    write(path, requests)
    with pytest.raises(RequestsFileError, match=r"lines 4-6 \(part 1\) changed") as info:
        await job.submit_part(1)
    assert info.value.problems[0].line == 4
    assert emulator.stats.create_calls == 1
    assert job.batch_ids[1] is None


async def test_resume_reads_the_offsets_and_submits_nothing_twice(
    client: AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    requests = [req(f"r{i}") for i in range(9)]
    path = write(tmp_path / "in.jsonl", requests)
    state = tmp_path / "job.state.json"
    first = AsyncJob.from_file(client, path, state_path=state, max_requests=4, **FAST)
    await first.submit_part(0)
    del first  # stopped here, as by a kill: the state was saved after the create
    saved = json.loads(state.read_text())
    size = len(path.read_bytes()) // 9
    assert [(p["offset"], p["end"]) for p in saved["parts"]] == [
        (0, 4 * size),
        (4 * size, 8 * size),
        (8 * size, 9 * size),
    ]
    assert saved["source"] == str(path)
    again = AsyncJob.from_file(client, path, state_path=state, max_requests=4, **FAST)
    assert again.resumed
    results = [r async for r in again.results()]
    assert sorted(r.custom_id for r in results) == [f"r{i}" for i in range(9)]
    assert emulator.stats.create_calls == 3
    assert JobState.load(state) is not None


async def test_input_order_and_resubmission_come_from_the_file(
    client: AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    ids = ["b", "fail-1", "a", "d", "fail-2", "c", "e"]
    requests = [req(cid) for cid in ids]
    path = write(tmp_path / "in.jsonl", requests, compact=False)
    job = AsyncJob.from_file(client, path, max_requests=3, **FAST)
    ordered = [r async for r in job.results_in_input_order()]
    assert [r.custom_id for r in ordered] == ids
    assert not any(isinstance(r, Missing) for r in ordered)
    assert job.failed_requests() == [requests[1], requests[4]]
    retry = job.resubmit(retryable_only=True)
    assert retry.part_requests(0) == [requests[1], requests[4]]
    await retry.wait()
    assert emulator.stats.create_calls == 4


async def test_a_state_folder_that_cannot_be_written_is_an_error_before_anything_is_sent(
    client: AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    from anthropic_batches._state import JobStateError

    with pytest.raises(JobStateError, match="not writable"):
        AsyncJob(client, [req("a")], state_path=tmp_path / "missing" / "s.json")
    path = write(tmp_path / "in.jsonl", [req("a")])
    with pytest.raises(JobStateError, match="not writable"):
        AsyncJob.from_file(client, path, state_path=tmp_path / "missing" / "s.json")
    assert emulator.stats.requests == 0
