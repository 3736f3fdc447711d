"""`anthropic-batches estimate`, and the run summary's cost line, over the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import Ran, request, write_requests

from anthropic_batches.emulator import Emulator


@pytest.fixture(autouse=True)
def _bundled_prices_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_BATCHES_PRICES", raising=False)


def requests_file(tmp_path: Path, n: int = 30) -> Path:
    reqs = [
        request(f"r{i}", "word " * (5 + 7 * i), model=("claude-haiku-4-5", "claude-opus-5")[i % 2])
        for i in range(n)
    ]
    return write_requests(tmp_path / "in.jsonl", reqs)


def test_estimate_prints_a_table_and_the_calls_it_made(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    ran = cli("estimate", str(requests_file(tmp_path)), "--sample", "10", "--seed", "3")
    assert ran.code == 0, ran.err
    rows = {line.split()[0]: line.split() for line in ran.out.splitlines()}
    assert rows["claude-haiku-4-5"][1:3] == ["15", "10"]  # requests, counted
    assert rows["claude-opus-5"][-1] == "unknown"
    assert rows["claude-opus-5"][-2] == "unknown"
    assert rows["total"][1] == "30"
    assert rows["total"][6] == f"{30 * 64:,}"  # the output ceiling
    assert "with 20 token-counting calls" in ran.err
    assert "No price known for claude-opus-5" in ran.err
    assert emulator.stats.calls["count_tokens"] == 20
    assert emulator.stats.create_calls == 0


def test_a_price_file_prices_an_unknown_model(cli: Callable[..., Ran], tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."claude-opus-5"]\ninput = 5.0\noutput = 25.0\n')
    ran = cli("estimate", str(requests_file(tmp_path)), "--prices", str(prices))
    assert ran.code == 0, ran.err
    assert "unknown" not in ran.out
    assert "No price known" not in ran.err


def test_no_count_works_offline_without_a_key(cli: Callable[..., Ran], tmp_path: Path) -> None:
    ran = cli("estimate", str(requests_file(tmp_path)), "--no-count", auth=False)
    assert ran.code == 0, ran.err
    assert "no calls made" in ran.err
    assert "looser" in ran.err
    assert "total" in ran.out


def test_a_bad_price_file_is_reported_before_anything_is_sent(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."claude-opus-5"]\ninput = -5.0\noutput = 25.0\n')
    ran = cli("estimate", str(requests_file(tmp_path)), "--prices", str(prices))
    assert ran.code == 3
    assert str(prices) in ran.err
    assert "models.claude-opus-5.input" in ran.err
    assert sum(emulator.stats.calls.values()) == 0


def test_a_bad_requests_file_is_reported_and_nothing_counted(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    path = requests_file(tmp_path)
    path.write_text(path.read_text() + "not json\n")
    ran = cli("estimate", str(path))
    assert ran.code == 3
    assert "in.jsonl:31: invalid JSON" in ran.err
    assert sum(emulator.stats.calls.values()) == 0


def test_run_names_an_unpriced_model_instead_of_zero_dollars(
    cli: Callable[..., Ran], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    src = write_requests(tmp_path / "in.jsonl", [request("a", model="claude-opus-5")])
    ran = cli("run", str(src), "-o", str(out), "--poll-interval", "0.01")
    assert ran.code == 0, ran.err
    assert "Estimated cost: unknown (no price for claude-opus-5)" in ran.err
    assert "$0.0000" not in ran.err
    prices = tmp_path / "prices.json"
    prices.write_text('{"models": {"claude-opus-5": {"input": 5, "output": 25}}}')
    monkeypatch.setenv("ANTHROPIC_BATCHES_PRICES", str(prices))
    again = cli("run", str(src), "-o", str(tmp_path / "again.jsonl"), "--poll-interval", "0.01")
    assert again.code == 0, again.err
    assert "Estimated cost: $0.00" in again.err
    assert "unknown" not in again.err
