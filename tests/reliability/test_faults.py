"""Faults: a job through the SDK against an emulator that answers 20% of all requests with
429/500/529 and cuts each batch's first results download midway. Every result must arrive
exactly once, no batch may be created twice, and every retry must be one the policy allows."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from reliability.counting import LedgerClient, operation
from reliability.support import peak_rss_kib, record

from anthropic_batches import AsyncJob, SucceededResult
from anthropic_batches.emulator import Emulator, EmulatorServer

FAULT_RATE = 0.2
MAX_RETRIES = 8
RETRYABLE = {429, 500, 529}


def job_requests(n: int) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"req-{i:06d}",
            "params": {
                "model": "claude-haiku-4-5",
                "max_tokens": 16,
                "messages": [{"role": "user", "content": f"question {i}"}],
            },
        }
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("n", "per_batch"),
    [
        pytest.param(3_000, 750, id="3k-fast"),
        pytest.param(100_000, 5_000, id="100k", marks=pytest.mark.slow),
    ],
)
async def test_job_under_faults_delivers_every_result_once(n: int, per_batch: int) -> None:
    requests = job_requests(n)
    wanted = [r["custom_id"] for r in requests]
    emulator = Emulator(
        process_seconds=0.5,
        fault_rate=FAULT_RATE,
        drop_results_after=per_batch // 3,
        seed=20261021,
    )
    started = time.monotonic()
    async with (
        EmulatorServer(emulator) as server,
        LedgerClient(
            api_key="sk-ant-faults", base_url=server.base_url, max_retries=MAX_RETRIES
        ) as client,
    ):
        job = AsyncJob(client, requests, max_requests=per_batch, poll_interval=0.05)
        got = Counter[str]()
        succeeded = 0
        async for result in job.results():
            got[result.custom_id] += 1
            succeeded += isinstance(result.result, SucceededResult)
    elapsed = time.monotonic() - started
    stats = emulator.stats
    parts = len(job.parts)

    # every result exactly once
    duplicates = sum(c - 1 for c in got.values() if c > 1)
    assert duplicates == 0
    assert sorted(got) == wanted
    assert succeeded == n
    # no batch created twice: a faulted create created nothing, and nothing else was retried
    assert parts == -(-n // per_batch) > 1
    assert stats.batches_created == parts
    assert len(set(job.batch_ids)) == parts
    # the faults and the cuts did happen
    injected = sum(stats.faults.values())
    assert set(stats.faults) <= RETRYABLE
    assert injected > 0
    assert 0.05 < injected / stats.requests < 0.4
    assert stats.results_dropped == parts
    assert stats.results_downloads == 2 * parts  # each cut download was resumed once

    # the retry policy: at most MAX_RETRIES retries per call, each after a retryable answer,
    # and every answer the emulator sent was seen by one call
    calls = client.calls
    attempts = [a for c in calls for a in c.answers]
    assert len(attempts) == stats.requests
    assert max(len(c.answers) for c in calls) <= 1 + MAX_RETRIES
    for call in calls:
        *before, last = call.answers
        assert all(a in RETRYABLE for a in before), call
        assert last == 200 or len(call.answers) == 1 + MAX_RETRIES, call
    retries = sum(c.retries for c in calls)
    answered_faults = sum(1 for a in attempts if a in RETRYABLE)
    assert answered_faults == injected
    exhausted = sum(1 for c in calls if c.answers[-1] != 200)
    assert retries == injected - exhausted
    ops = Counter(operation(c) for c in calls)
    assert ops["create"] == parts
    assert ops["results"] == 2 * parts  # the first download and one resume per batch

    record(
        "faults",
        requests=n,
        batches=parts,
        http_requests=stats.requests,
        faults_injected=injected,
        faults_by_status={str(k): v for k, v in sorted(stats.faults.items())},
        downloads_cut=stats.results_dropped,
        sdk_calls=len(calls),
        retries=retries,
        max_retries_in_one_call=max(c.retries for c in calls),
        retry_limit=MAX_RETRIES,
        calls_exhausted=exhausted,
        create_calls=stats.create_calls,
        batches_created=stats.batches_created,
        results_checked=sum(got.values()),
        duplicates=duplicates,
        missing=len(set(wanted) - set(got)),
        test_process_peak_rss_mib=round(peak_rss_kib() / 1024, 1),
        seconds=round(elapsed, 1),
    )
