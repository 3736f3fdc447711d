"""The price table: bundled, extended or overridden by files, and bad files reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anthropic_batches import DEFAULT_PRICES, ModelPrice, PriceFileError, load_prices
from anthropic_batches._prices import PRICES_ENV, price_for


def test_the_bundled_table_prices_models_by_longest_prefix() -> None:
    table = load_prices(environ={})
    assert table == DEFAULT_PRICES
    assert price_for("claude-sonnet-4-5-20250929", table) == ModelPrice(3.0, 15.0)
    assert price_for("claude-opus-4-5", table) == ModelPrice(5.0, 25.0)
    assert price_for("claude-opus-4-1", table) == ModelPrice(15.0, 75.0)
    assert price_for("claude-opus-5", table) is None


def test_a_toml_file_extends_and_a_json_file_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "prices.toml"
    toml.write_text('[models."claude-opus-5"]\ninput = 5\noutput = 25\ncache_write_1h = 9.5\n')
    table = load_prices(toml, environ={})
    assert table["claude-opus-5"] == ModelPrice(5.0, 25.0, cache_write_1h=9.5)
    assert table["claude-haiku-4"] == DEFAULT_PRICES["claude-haiku-4"]
    data = {"models": {"claude-haiku-4": {"input": 2, "output": 6, "cache_read": 0.3}}}
    js = tmp_path / "override.json"
    js.write_text(json.dumps(data))
    assert load_prices(js, environ={})["claude-haiku-4"] == ModelPrice(2.0, 6.0, cache_read=0.3)


def test_the_environment_file_comes_first_and_the_argument_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "env.toml"
    env.write_text("[models.acme]\ninput = 1\noutput = 2\n[models.zeta]\ninput = 3\noutput = 4\n")
    monkeypatch.setenv(PRICES_ENV, str(env))
    table = load_prices({"acme": {"input": 10, "output": 20}})
    assert table["acme"] == ModelPrice(10.0, 20.0)
    assert table["zeta"] == ModelPrice(3.0, 4.0)
    assert "claude-haiku-4" in table


@pytest.mark.parametrize(
    ("content", "key", "reason"),
    [
        ("[models.m]\ninput = -1\noutput = 2\n", "models.m.input", "must be a number >= 0"),
        ('[models.m]\ninput = 1\noutput = "2"\n', "models.m.output", "must be a number >= 0"),
        ("[models.m]\ninput = 1\n", "models.m.output", "missing"),
        ("[models.m]\ninput = 1\noutput = 2\ncache_wrte = 3\n", "models.m.cache_wrte", "unknown"),
        ("[model.m]\ninput = 1\noutput = 2\n", "model", "unknown key"),
        ("models = 3\n", "models", "not a table"),
        ("models = {m = 3}\n", "models.m", "must be a table of prices"),
        ("[models\n", None, "cannot parse"),
    ],
)
def test_a_bad_file_is_reported_with_its_path_and_key(
    tmp_path: Path, content: str, key: str | None, reason: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(PriceFileError) as info:
        load_prices(path, environ={})
    assert (info.value.path, info.value.key) == (str(path), key)
    assert reason in info.value.reason
    assert str(path) in str(info.value)
    if key:
        assert key in str(info.value)


def test_a_missing_file_and_a_bad_mapping_are_reported(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError, match="cannot read"):
        load_prices(tmp_path / "nope.toml", environ={})
    with pytest.raises(PriceFileError) as info:
        load_prices({"m": {"input": 1, "output": float("nan")}}, environ={})
    assert (info.value.path, info.value.key) == ("<prices>", "models.m.output")
    with pytest.raises(PriceFileError, match=r"bad\.json"):
        load_prices(environ={PRICES_ENV: str(tmp_path / "bad.json")})


def test_a_negative_model_price_is_refused() -> None:
    with pytest.raises(ValueError, match="input: must be a number >= 0"):
        ModelPrice(-1.0, 2.0)
