"""`estimate_cost` against the emulator over loopback: the estimate is checked against what
the same requests then cost when run as a batch."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from helpers import KEY

from anthropic_batches import (
    AsyncClient,
    BatchResult,
    BatchValidationError,
    Estimate,
    ModelPrice,
    PriceFileError,
    RequestsFileError,
    UsageSummary,
)
from anthropic_batches._async.estimate import count_tokens, estimate_cost
from anthropic_batches.emulator import Emulator, ManualClock, ResponderOutput, ResponderRequest

MODELS = ("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1")
WORDS = ("the", "a", "batch", "of", "cost", "tokens", "model", "answer", "prompt", "request")


def full_answer(request: ResponderRequest) -> ResponderOutput:
    """An answer long enough to be cut at `max_tokens`: the output is at its ceiling."""
    return "word " * 100_000


@pytest.fixture(autouse=True)
def _bundled_prices_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_BATCHES_PRICES", raising=False)


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, api_keys=[KEY], process_seconds=60, responder=full_answer)


def make_job(seed: int, n: int, models: tuple[str, ...] = MODELS) -> list[dict[str, Any]]:
    """Requests of mixed sizes (a few words to a few thousand), shapes and models."""
    rng = random.Random(seed)
    job = []
    for i in range(n):
        size = int(rng.lognormvariate(4, 1.3)) + 1
        text = " ".join(rng.choice(WORDS) for _ in range(size))
        messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
        if rng.random() < 0.3:
            messages += [
                {"role": "assistant", "content": [{"type": "text", "text": "noted"}]},
                {"role": "user", "content": [{"type": "text", "text": "and " + text[:500]}]},
            ]
        params: dict[str, Any] = {
            "model": rng.choice(models),
            "max_tokens": rng.choice([16, 64, 300]),
            "messages": messages,
        }
        if rng.random() < 0.3:
            params["system"] = "You are terse. " * rng.randint(1, 40)
        job.append({"custom_id": f"r{i}", "params": params})
    return job


async def actual_usage(
    client: AsyncClient, clock: ManualClock, requests: list[dict[str, Any]]
) -> UsageSummary:
    """Run the requests as one batch on the emulator; the usage of its results."""
    batches = client.messages.batches
    batch = await batches.create(requests)
    clock.advance(60)
    done = await batches.wait(batch.id, poll_interval=0.01)
    results: list[BatchResult] = []
    async with batches.results(done) as stream:
        async for result in stream:
            results.append(result)
    assert len(results) == len(requests)
    return UsageSummary().update(results)


async def test_the_bound_holds_and_the_error_covers_95_percent(
    async_client: AsyncClient, clock: ManualClock, emulator: Emulator
) -> None:
    within = trials = 0
    for job_seed in range(4):
        requests = make_job(job_seed, 150)
        usage = await actual_usage(async_client, clock, requests)
        actual = usage.cost()
        assert actual.known
        for seed in range(10):
            est = await estimate_cost(async_client, requests, sample=20, seed=seed)
            trials += 1
            assert est.calls == 20 * len(est.by_model)
            assert actual.total <= est.cost_bound
            assert usage.total_tokens.input_tokens <= est.input_tokens_bound
            assert usage.total_tokens.output_tokens == est.output_tokens_ceiling
            for model, tokens in usage.by_model.items():
                assert tokens.input_tokens <= est.by_model[model].input_tokens_bound
            assert est.cost_error is not None
            within += abs(actual.total - est.expected_cost) <= est.cost_error
    assert trials == 40
    assert within >= 0.95 * trials, f"{within} of {trials} within the stated error"
    assert emulator.stats.calls["count_tokens"] == 40 * 20 * len(MODELS)


async def test_a_small_file_is_counted_whole_and_exact(
    async_client: AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    requests = make_job(7, 20)
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in requests))
    est = await estimate_cost(async_client, path, sample=64)
    usage = await actual_usage(async_client, clock, requests)
    assert est.calls == 20
    assert sum(m.counted for m in est.models) == 20
    assert est.input_tokens == usage.total_tokens.input_tokens == est.input_tokens_bound
    assert est.input_tokens_error == 0
    assert est.expected_cost == pytest.approx(usage.cost().total)
    assert est.cost_bound == pytest.approx(usage.cost().total)


async def test_offline_makes_no_calls_and_its_looser_bound_holds(
    async_client: AsyncClient, clock: ManualClock, emulator: Emulator
) -> None:
    requests = make_job(3, 90)
    offline = await estimate_cost(None, requests, count=False)
    counted = await estimate_cost(async_client, requests, sample=20, seed=1)
    assert offline.offline and offline.calls == 0
    assert offline.input_tokens_error is None and offline.cost_error is None
    assert emulator.stats.calls["count_tokens"] == counted.calls
    usage = await actual_usage(async_client, clock, requests)
    assert usage.cost().total <= offline.cost_bound
    assert offline.input_tokens_bound > counted.input_tokens_bound


async def test_unknown_models_are_named_and_priced_by_a_user_file(
    async_client: AsyncClient, tmp_path: Path
) -> None:
    requests = make_job(5, 30, models=("claude-opus-5", "claude-haiku-4-5"))
    est = await estimate_cost(async_client, requests, seed=2)
    assert est.unpriced_models == ("claude-opus-5",)
    unknown = est.by_model["claude-opus-5"]
    assert unknown.expected_cost is None and unknown.cost_bound is None
    assert unknown.input_tokens > 0  # the tokens are still counted
    assert est.expected_cost == pytest.approx(est.by_model["claude-haiku-4-5"].expected_cost)
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."claude-opus-5"]\ninput = 5.0\noutput = 25.0\n')
    priced = await estimate_cost(async_client, requests, seed=2, prices=prices)
    assert priced.unpriced_models == ()
    opus = priced.by_model["claude-opus-5"]
    assert opus.price == ModelPrice(5.0, 25.0)
    out = opus.output_tokens_ceiling * 25.0 / 1e6 / 2
    assert opus.expected_cost == pytest.approx(opus.input_tokens * 5.0 / 1e6 / 2 + out, rel=1e-3)


async def test_bad_input_is_reported_before_any_call(
    async_client: AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    bad_prices = tmp_path / "p.json"
    bad_prices.write_text('{"models": {"claude-haiku-4": {"input": -1, "output": 5}}}')
    with pytest.raises(PriceFileError) as info:
        await estimate_cost(async_client, make_job(1, 5), prices=bad_prices)
    assert info.value.path == str(bad_prices)
    assert info.value.key == "models.claude-haiku-4.input"
    requests = make_job(1, 5)
    requests[3]["custom_id"] = "bad id!"
    with pytest.raises(BatchValidationError):
        await estimate_cost(async_client, requests)
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(make_job(1, 1)[0]) + "\nnot json\n")
    with pytest.raises(RequestsFileError):
        await estimate_cost(async_client, path)
    assert emulator.stats.calls["count_tokens"] == 0


async def test_count_tokens_matches_the_usage_of_a_result(
    async_client: AsyncClient, clock: ManualClock
) -> None:
    requests = make_job(11, 6)
    usage = await actual_usage(async_client, clock, requests)
    counted = [await count_tokens(async_client, r["params"]) for r in requests]
    assert sum(counted) == usage.total_tokens.input_tokens


async def test_the_same_seed_gives_the_same_estimate(async_client: AsyncClient) -> None:
    requests = make_job(2, 120)
    first: Estimate = await estimate_cost(async_client, requests, sample=5, seed=9)
    again = await estimate_cost(async_client, requests, sample=5, seed=9)
    other = await estimate_cost(async_client, requests, sample=5, seed=10)
    assert first == again
    assert first.input_tokens != other.input_tokens
