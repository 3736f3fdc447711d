"""`run --cache`: a second run of the same job creates no batch and writes the same results
(byte equal apart from `custom_id`); a half-cached job submits only the misses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from cli_helpers import Ran, request, write_requests

from anthropic_batches import estimate_cost
from anthropic_batches.emulator import (
    Emulator,
    ResponderOutput,
    ResponderRequest,
    default_responder,
)


def by_id(path: Path) -> dict[str, bytes]:
    return {json.loads(line)["custom_id"]: line for line in path.read_bytes().splitlines()}


def test_a_second_run_with_the_cache_creates_no_batch_and_writes_the_same_results(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    reqs = [request(f"r{i}", f"question {i}") for i in range(5)] + [request("fail-1")]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    cache = tmp_path / "cache.sqlite"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    args = ["--max-requests", "2", "--poll-interval", "0.01", "--cache", str(cache)]

    ran = cli("run", str(src), "-o", str(first), *args)
    assert ran.code == 0, ran.err
    created = emulator.stats.create_calls
    assert created == 3

    again = cli("run", str(src), "-o", str(second), *args)

    assert again.code == 0, again.err
    # Only the errored request is sent again: errors are never cached.
    assert emulator.stats.create_calls == created + 1
    assert "Cached: 5 succeeded from the cache" in again.err
    assert by_id(second) == by_id(first) | {"fail-1": by_id(second)["fail-1"]}


def test_every_request_cached_creates_no_batch_and_renamed_ids_get_the_same_answer(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    reqs = [request(f"r{i}", f"question {i}") for i in range(3)]
    cache = tmp_path / "cache.sqlite"
    first = tmp_path / "first.jsonl"
    src = write_requests(tmp_path / "in.jsonl", reqs)
    assert (
        cli(
            "run", str(src), "-o", str(first), "--poll-interval", "0.01", "--cache", str(cache)
        ).code
        == 0
    )
    created = emulator.stats.create_calls
    renamed = [{**r, "custom_id": "new-" + r["custom_id"]} for r in reqs]
    src2 = write_requests(tmp_path / "in2.jsonl", renamed)
    second = tmp_path / "second.jsonl"

    ran = cli("run", str(src2), "-o", str(second), "--cache", str(cache))

    assert ran.code == 0, ran.err
    assert emulator.stats.create_calls == created  # no batch at all
    old, new = by_id(first), by_id(second)
    assert sorted(new) == [f"new-r{i}" for i in range(3)]
    for cid, line in old.items():
        assert new["new-" + cid] == line.replace(f'"{cid}"'.encode(), f'"new-{cid}"'.encode(), 1)
    rerun = cli("run", str(src2), "-o", str(second), "--cache", str(cache))
    assert rerun.code == 0, rerun.err
    assert by_id(second) == new and len(second.read_bytes().splitlines()) == 3


def test_a_half_cached_job_submits_only_the_misses(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    answered: list[str] = []

    def recording(request: ResponderRequest) -> ResponderOutput:
        answered.append(request.custom_id)
        return default_responder(request)

    emulator.responder = recording
    reqs = [request(f"r{i}", f"question {i}") for i in range(8)]
    cache = tmp_path / "cache.sqlite"
    half = write_requests(tmp_path / "half.jsonl", reqs[::2])
    args = ["--poll-interval", "0.01", "--max-requests", "3", "--cache", str(cache)]
    assert cli("run", str(half), "-o", str(tmp_path / "half.out"), *args).code == 0
    assert sorted(answered) == ["r0", "r2", "r4", "r6"]
    answered.clear()
    src = write_requests(tmp_path / "all.jsonl", reqs)
    out = tmp_path / "all.out"

    ran = cli("run", str(src), "-o", str(out), *args)

    assert ran.code == 0, ran.err
    assert sorted(answered) == ["r1", "r3", "r5", "r7"]  # the misses only
    assert sorted(by_id(out)) == [f"r{i}" for i in range(8)]
    assert "Cached: 4 succeeded" in ran.err


def test_the_estimate_counts_cached_requests_at_no_cost(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    reqs = [request(f"r{i}", f"question {i}") for i in range(6)]
    cache = tmp_path / "cache.sqlite"
    half = write_requests(tmp_path / "half.jsonl", reqs[:2])
    args = ["--poll-interval", "0.01", "--cache", str(cache)]
    assert cli("run", str(half), "-o", str(tmp_path / "half.out"), *args).code == 0
    src = write_requests(tmp_path / "all.jsonl", reqs)
    misses = write_requests(tmp_path / "misses.jsonl", reqs[2:])

    with_cache = asyncio.run(estimate_cost(None, src, count=False, cache=cache))
    alone = asyncio.run(estimate_cost(None, misses, count=False))

    assert with_cache.cached == 2
    assert with_cache.requests == 4
    assert with_cache.cost_bound == alone.cost_bound
    ran = cli("estimate", str(src), "--no-count", "--cache", str(cache))
    assert ran.code == 0, ran.err
    assert "2 requests are answered by the cache" in ran.err
