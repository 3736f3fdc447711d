from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from anthropic_batches import BatchResult
from anthropic_batches._usage import ModelPrice, TokenTotals, UsageSummary


def succeeded(cid: str, model: str, **usage: int) -> BatchResult:
    message: dict[str, Any] = {
        "id": "msg_1",
        "model": model,
        "content": [{"type": "text", "text": "ok"}],
        "usage": usage,
    }
    return BatchResult.model_validate(
        {"custom_id": cid, "result": {"type": "succeeded", "message": message}}
    )


def errored(cid: str) -> BatchResult:
    error = {"type": "error", "error": {"type": "api_error", "message": "x"}}
    return BatchResult.model_validate(
        {"custom_id": cid, "result": {"type": "errored", "error": error}}
    )


def test_counts_and_tokens_by_type_and_model() -> None:
    summary = UsageSummary().update(
        [
            succeeded("a", "claude-sonnet-4-5", input_tokens=100, output_tokens=50),
            succeeded(
                "b",
                "claude-haiku-4-5",
                input_tokens=10,
                output_tokens=5,
                cache_creation_input_tokens=1000,
                cache_read_input_tokens=2000,
            ),
            errored("c"),
            BatchResult.model_validate({"custom_id": "d", "result": {"type": "expired"}}),
        ]
    )
    assert summary.counts == {"succeeded": 2, "errored": 1, "expired": 1}
    assert summary.total_results == 4
    assert summary.tokens["succeeded"] == TokenTotals(110, 55, 1000, 2000)
    assert "errored" not in summary.tokens
    assert summary.by_model["claude-haiku-4-5"].cache_read_input_tokens == 2000
    assert summary.total_tokens.total == 3165


def test_cost_at_batch_discount_with_default_prices() -> None:
    summary = UsageSummary().update(
        [
            succeeded(
                "a", "claude-sonnet-4-5-20250929", input_tokens=1_000_000, output_tokens=1_000_000
            )
        ]
    )
    cost = summary.cost()
    # sonnet 4.x: 3 + 15 dollars per million, halved for batches.
    assert cost.total == pytest.approx(9.0)
    assert cost.discount == 0.5
    assert cost.unpriced_models == ()


def test_cache_tokens_priced_from_input_price_by_default() -> None:
    summary = UsageSummary().update(
        [
            succeeded(
                "a",
                "m-1",
                cache_creation_input_tokens=1_000_000,
                cache_read_input_tokens=1_000_000,
            )
        ]
    )
    cost = summary.cost({"m": ModelPrice(input=10.0, output=0.0)}, discount=0.0)
    assert cost.total == pytest.approx(12.5 + 1.0)


def test_caller_prices_longest_prefix_and_unpriced_models() -> None:
    summary = UsageSummary().update(
        [
            succeeded("a", "acme-large-2", input_tokens=2_000_000),
            succeeded("b", "acme-small", input_tokens=2_000_000),
            succeeded("c", "claude-unknown-9", input_tokens=5),
        ]
    )
    prices = {"acme": ModelPrice(1.0, 1.0), "acme-large": ModelPrice(4.0, 4.0)}
    cost = summary.cost(prices)
    assert cost.by_model == {"acme-large-2": pytest.approx(4.0), "acme-small": pytest.approx(1.0)}
    assert cost.total == pytest.approx(5.0)
    assert cost.unpriced_models == ("claude-unknown-9",)


def test_round_trip_and_merge() -> None:
    a = UsageSummary().update([succeeded("a", "claude-opus-4-1", input_tokens=3, output_tokens=4)])
    b = UsageSummary.from_dict(a.to_dict())
    assert b == a
    b.merge(a)
    assert b.counts == {"succeeded": 2}
    assert b.tokens["succeeded"] == TokenTotals(6, 8, 0, 0)


def test_an_unpriced_model_reads_as_unknown_never_as_zero() -> None:
    only_unknown = UsageSummary().update([succeeded("a", "claude-opus-5", input_tokens=9)])
    cost = only_unknown.cost()
    assert not cost.known
    assert str(cost) == "unknown (no price for claude-opus-5)"
    mixed = UsageSummary().update(
        [
            succeeded("a", "claude-opus-5", input_tokens=9),
            succeeded("b", "claude-haiku-4-5", input_tokens=2_000_000),
        ]
    )
    assert str(mixed.cost()) == "$1.0000 + unknown (no price for claude-opus-5)"
    assert str(UsageSummary().cost()) == "$0.0000"


def test_one_hour_cache_writes_and_us_only_inference_are_priced() -> None:
    # A typed `cache_creation` may not exist yet: it is read from the extra fields too.
    result = succeeded("a", "m-1", input_tokens=1_000_000, cache_creation_input_tokens=3_000_000)
    usage = result.result.message.usage  # type: ignore[union-attr]
    extra = usage.model_extra
    assert extra is not None
    extra["cache_creation"] = {
        "ephemeral_5m_input_tokens": 1_000_000,
        "ephemeral_1h_input_tokens": 2_000_000,
    }
    prices = {"m": ModelPrice(input=10.0, output=0.0)}
    summary = UsageSummary().update([result])
    assert summary.by_model["m-1"].cache_creation_1h_input_tokens == 2_000_000
    # 10 input + 12.5 (5-minute writes) + 2 x 20 (1-hour writes), no discount.
    assert summary.cost(prices, discount=0.0).total == pytest.approx(10 + 12.5 + 40)
    extra["inference_geo"] = "us"
    us = UsageSummary().update([result])
    assert us.cost(prices, discount=0.5).total == pytest.approx((10 + 12.5 + 40) * 1.1 / 2)
    assert UsageSummary.from_dict(us.to_dict()) == us


def test_cost_reads_a_price_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"models": {"claude-opus-5": {"input": 5, "output": 25}}}')
    summary = UsageSummary().update(
        [succeeded("a", "claude-opus-5", input_tokens=1_000_000, output_tokens=1_000_000)]
    )
    assert summary.cost(path).total == pytest.approx(15.0)
