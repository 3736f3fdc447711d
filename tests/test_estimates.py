"""The estimate's arithmetic, without I/O: sampling, exact counts, and the offline ceiling."""

from __future__ import annotations

from typing import Any

import pytest

from anthropic_batches import ModelPrice
from anthropic_batches._estimates import Tally, cost_ceiling
from anthropic_batches.emulator._responder import count_input_tokens

PRICES = {"m": ModelPrice(input=2.0, output=10.0)}


def params(text: str, max_tokens: int = 100, **extra: Any) -> dict[str, Any]:
    return {
        "model": "m-1",
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def test_the_ceiling_bounds_each_request_and_prices_the_output_at_max_tokens() -> None:
    requests = [params("word " * n, max_tokens=50) for n in (1, 10, 1000)]
    bound, unpriced = cost_ceiling(requests, PRICES)
    assert unpriced == ()
    actual_input = sum(count_input_tokens(p) for p in requests)
    actual = (actual_input * 2.0 + 150 * 10.0) / 1e6 / 2
    assert actual <= bound
    # The output share is exact: 10 more tokens of max_tokens each add $10 per million, halved.
    more, _ = cost_ceiling([{**p, "max_tokens": 60} for p in requests], PRICES)
    assert more - bound == pytest.approx(30 * 10.0 / 1e6 / 2)


def test_us_only_and_cache_writes_raise_the_ceiling() -> None:
    input_only = {"m": ModelPrice(input=2.0, output=0.0)}
    plain, _ = cost_ceiling([params("hello " * 100)], input_only)
    us, _ = cost_ceiling([params("hello " * 100, inference_geo="us")], input_only)
    assert us == pytest.approx(plain * 1.1)
    block: dict[str, Any] = {"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}
    five_minutes, _ = cost_ceiling([params("hello " * 100, system=[block])], input_only)
    block["cache_control"]["ttl"] = "1h"
    one_hour, _ = cost_ceiling([params("hello " * 100, system=[block])], input_only)
    assert one_hour / five_minutes == pytest.approx(
        2.0 / 1.25, rel=0.03
    )  # the ttl adds a few characters
    assert five_minutes > plain * 1.25


def test_a_model_with_no_price_is_returned_apart() -> None:
    bound, unpriced = cost_ceiling([params("x"), {**params("y"), "model": "other"}], PRICES)
    assert unpriced == ("other",)
    assert bound == cost_ceiling([params("x")], PRICES)[0]


def test_the_reservoir_is_a_seeded_uniform_sample() -> None:
    firsts = []
    for seed in range(300):
        tally = Tally(PRICES, sample=1, seed=seed)
        for i in range(3):
            tally.add(params(f"request {i}"))
        [body] = tally.samples()["m-1"]
        firsts.append(body["messages"][0]["content"])
    # Each of the three requests is drawn about a third of the time.
    assert {firsts.count(f"request {i}") // 50 for i in range(3)} <= {1, 2}
    again = Tally(PRICES, sample=1, seed=7)
    for i in range(3):
        again.add(params(f"request {i}"))
    assert again.samples()["m-1"][0]["messages"][0]["content"] == firsts[7]
