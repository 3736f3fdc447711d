"""`run --max-cost`: a cap below the bound submits only the parts that fit, stops with its own
exit code, and a re-run with a higher cap finishes without submitting any part twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli_helpers import Ran, request, write_requests

from anthropic_batches._estimates import cost_ceiling
from anthropic_batches._prices import load_prices
from anthropic_batches.cli._common import EXIT_BUDGET, EXIT_USAGE
from anthropic_batches.emulator import Emulator


def part_bound(requests: list[dict[str, Any]]) -> float:
    bound, unpriced = cost_ceiling((r["params"] for r in requests), load_prices())
    assert not unpriced
    return bound


def test_a_cap_below_the_bound_stops_and_a_higher_cap_finishes(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    reqs = [request(f"r{i:02d}", max_tokens=1000) for i in range(9)]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    out = tmp_path / "out.jsonl"
    parts = [reqs[0:3], reqs[3:6], reqs[6:9]]
    two = part_bound(parts[0]) + part_bound(parts[1])
    cap = two + part_bound(parts[2]) / 2  # room for two parts, not three
    args = ["run", str(src), "-o", str(out), "--max-requests", "3", "--poll-interval", "0.01"]

    first = cli(*args, "--max-cost", f"{cap:.6f}")

    assert first.code == EXIT_BUDGET, first.err
    assert emulator.stats.create_calls == 2
    assert "1 batch(es) of 3 request(s) left unsubmitted" in first.err
    assert f"${two:,.4f} committed" in first.err
    assert "Committed: at most" in first.err
    assert not out.exists()  # the output is complete only once every part is in
    partial = out.with_name(out.name + ".partial")
    assert sorted(json.loads(x)["custom_id"] for x in partial.read_text().splitlines()) == [
        r["custom_id"] for r in reqs[:6]
    ]
    state = json.loads((tmp_path / "out.jsonl.state.json").read_text())
    assert [p["batch_id"] is not None for p in state["parts"]] == [True, True, False]

    again = cli(*args, "--max-cost", f"{cap:.6f}")  # the same cap: still nothing more sent
    assert again.code == EXIT_BUDGET
    assert emulator.stats.create_calls == 2

    done = cli(*args, "--max-cost", f"{cap * 2:.6f}")

    assert done.code == 0, done.err
    assert emulator.stats.create_calls == 3  # only the part left over
    got = [json.loads(x)["custom_id"] for x in out.read_text().splitlines()]
    assert sorted(got) == [r["custom_id"] for r in reqs]  # each result once
    assert "Job done" in done.err


def test_a_cap_below_the_first_part_sends_nothing(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    reqs = [request("a", max_tokens=1000), request("b", max_tokens=1000)]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    out = tmp_path / "out.jsonl"
    ran = cli("run", str(src), "-o", str(out), "--max-cost", "0")
    assert ran.code == EXIT_BUDGET
    assert emulator.stats.requests == 0
    assert "1 batch(es) of 2 request(s) left unsubmitted" in ran.err


def test_a_model_with_no_price_under_a_cap_is_refused_before_anything_is_sent(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    reqs = [request("a"), request("b", model="claude-future-9")]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    ran = cli(
        "run",
        str(src),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--max-requests",
        "1",
        "--max-cost",
        "100",
    )
    assert ran.code == EXIT_USAGE
    assert "no price for claude-future-9" in ran.err
    assert emulator.stats.requests == 0


def test_a_price_file_prices_a_new_model_under_a_cap(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."claude-future-9"]\ninput = 1.0\noutput = 5.0\n')
    src = write_requests(tmp_path / "in.jsonl", [request("a", model="claude-future-9")])
    out = tmp_path / "out.jsonl"
    ran = cli(
        "run",
        str(src),
        "-o",
        str(out),
        "--max-cost",
        "100",
        "--prices",
        str(prices),
        "--poll-interval",
        "0.01",
    )
    assert ran.code == 0, ran.err
    assert emulator.stats.create_calls == 1
