"""A job's `max_cost` over loopback: parts that would pass the cap are not submitted, the
parts submitted are still waited for and downloaded, and a re-run counts what was committed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import FAST

from anthropic_batches import AsyncClient, AsyncJob, UnpricedModelError
from anthropic_batches._estimates import cost_ceiling
from anthropic_batches._prices import load_prices
from anthropic_batches.emulator import Emulator, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC), tick=10)


def requests(n: int, model: str = "claude-sonnet-4-5") -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"r{i}",
            "params": {
                "model": model,
                "max_tokens": 500,
                "messages": [{"role": "user", "content": f"question {i}"}],
            },
        }
        for i in range(n)
    ]


def bound(reqs: list[dict[str, Any]]) -> float:
    total, unpriced = cost_ceiling((r["params"] for r in reqs), load_prices())
    assert not unpriced
    return total


async def test_the_cap_holds_back_parts_and_a_rerun_with_more_room_finishes(
    async_client: AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    reqs = requests(6)
    first_two = bound(reqs[:4])
    state = tmp_path / "job.state.json"
    job = AsyncJob(async_client, reqs, state_path=state, max_requests=2, max_cost=first_two, **FAST)

    got = [r.custom_id async for r in job.results()]

    assert sorted(got) == ["r0", "r1", "r2", "r3"]
    assert job.budget_stop is not None
    assert job.budget_stop.unsubmitted_parts == 1
    assert job.budget_stop.unsubmitted_requests == 2
    assert job.committed_cost == pytest.approx(first_two)
    assert job.batch_ids[2] is None and not job.finished
    assert emulator.stats.create_calls == 2
    assert job.usage.cost().total <= job.committed_cost  # actual within the bound

    rerun = AsyncJob(
        async_client, reqs, state_path=state, max_requests=2, max_cost=bound(reqs), **FAST
    )
    assert rerun.committed_cost == pytest.approx(first_two)  # earlier runs count
    rest = [r.custom_id async for r in rerun.results()]

    assert sorted(rest) == ["r4", "r5"]
    assert rerun.budget_stop is None and rerun.finished
    assert emulator.stats.create_calls == 3


async def test_a_model_with_no_price_under_a_cap_sends_nothing(
    async_client: AsyncClient, emulator: Emulator
) -> None:
    reqs = requests(2) + requests(1, model="claude-unknown-1")
    reqs[2]["custom_id"] = "x"
    job = AsyncJob(async_client, reqs, max_requests=2, max_cost=1000.0, **FAST)
    with pytest.raises(UnpricedModelError) as info:
        await job.submit()
    assert info.value.models == ("claude-unknown-1",)
    assert emulator.stats.requests == 0


def test_a_negative_cap_is_refused(async_client: AsyncClient) -> None:
    with pytest.raises(ValueError, match="max_cost"):
        AsyncJob(async_client, requests(1), max_cost=-1.0)
