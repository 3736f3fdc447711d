"""Model prices: the bundled table, and the files that override or extend it.

The table ships as a data file, `data/prices.toml`, so a new model's price is a file away,
not a release away. A price file (TOML or JSON) has one shape::

    [models."claude-opus-5"]       # a model-name prefix
    input = 5.0                    # US dollars per million tokens, list price
    output = 25.0
    cache_write_5m = 6.25          # optional; by default the documented multiples of input
    cache_write_1h = 10.0
    cache_read = 0.5

Layers are applied in order, each replacing or adding models by prefix: the bundled table,
the file named by `ANTHROPIC_BATCHES_PRICES`, then what the caller gives (`prices=`, a mapping
or a file). A bad file is reported with its path and the key at fault, before anything is sent.
The multipliers (batch discount, cache writes and reads, US-only inference) are facts of the
pricing page (https://docs.anthropic.com/en/docs/about-claude/pricing), kept in `_facts`.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import BatchesError
from ._facts import CACHE_READ_FACTOR, CACHE_WRITE_1H_FACTOR, CACHE_WRITE_5M_FACTOR

if TYPE_CHECKING:
    from ._usage import TokenTotals

__all__ = [
    "PRICES_ENV",
    "ModelPrice",
    "PriceFileError",
    "PricesLike",
    "bundled_prices",
    "load_prices",
    "price_for",
]

#: The environment variable naming a price file that overrides or extends the bundled table.
PRICES_ENV = "ANTHROPIC_BATCHES_PRICES"

_OPTIONAL = ("cache_write_5m", "cache_write_1h", "cache_read")
_FIELDS = ("input", "output", *_OPTIONAL)


@dataclass(frozen=True)
class ModelPrice:
    """Standard (not batch) prices of one model, in US dollars per million tokens.

    Attributes:
        input: Uncached input tokens.
        output: Output tokens.
        cache_write: Input tokens written to the 5-minute prompt cache (by default 1.25 x
            `input`).
        cache_read: Input tokens read from the prompt cache (by default 0.1 x `input`).
        cache_write_1h: Input tokens written to the 1-hour prompt cache (by default 2 x
            `input`).

    Raises:
        ValueError: A price is negative or not a finite number.
    """

    input: float
    output: float
    cache_write: float | None = None
    cache_read: float | None = None
    cache_write_1h: float | None = None

    def __post_init__(self) -> None:
        for name in ("input", "output", "cache_write", "cache_read", "cache_write_1h"):
            value = getattr(self, name)
            if value is not None and not _is_price(value):
                raise ValueError(f"{name}: must be a number >= 0, not {value!r}")

    @property
    def write_5m(self) -> float:
        """The 5-minute cache write price per million tokens."""
        if self.cache_write is not None:
            return self.cache_write
        return self.input * CACHE_WRITE_5M_FACTOR

    @property
    def write_1h(self) -> float:
        """The 1-hour cache write price per million tokens."""
        if self.cache_write_1h is not None:
            return self.cache_write_1h
        return self.input * CACHE_WRITE_1H_FACTOR

    @property
    def read(self) -> float:
        """The cache read price per million tokens."""
        return self.cache_read if self.cache_read is not None else self.input * CACHE_READ_FACTOR

    def cost(self, tokens: TokenTotals) -> float:
        """The standard (undiscounted) price of `tokens` at these rates, in US dollars."""
        one_hour = tokens.cache_creation_1h_input_tokens
        five_minutes = max(tokens.cache_creation_input_tokens - one_hour, 0)
        return (
            tokens.input_tokens * self.input
            + tokens.output_tokens * self.output
            + five_minutes * self.write_5m
            + one_hour * self.write_1h
            + tokens.cache_read_input_tokens * self.read
        ) / 1_000_000


PricesLike = Mapping[str, "ModelPrice | Mapping[str, float]"] | str | os.PathLike[str]
"""Prices given by a caller: a mapping of model-name prefix to `ModelPrice` (or to a dict of
its fields), or the path of a TOML or JSON price file."""


class PriceFileError(BatchesError, ValueError):
    """A price file (or mapping) that cannot be read; nothing was sent.

    Attributes:
        path: The file (or `<prices>` for a mapping given in code).
        key: The key at fault, dotted (`models.claude-opus-5.input`), or `None` for the file.
        reason: What is wrong.
    """

    def __init__(self, path: str, key: str | None, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        where = f"{path}: {key}" if key else path
        super().__init__(f"bad price file {where}: {reason}")


def _is_price(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _model_price(path: str, prefix: str, data: object) -> ModelPrice:
    key = f"models.{prefix}"
    if isinstance(data, ModelPrice):
        return data
    if not isinstance(data, Mapping):
        raise PriceFileError(path, key, f"must be a table of prices, not {type(data).__name__}")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        known = ", ".join(_FIELDS)
        raise PriceFileError(path, f"{key}.{unknown[0]}", f"unknown key (known: {known})")
    for name in ("input", "output"):
        if name not in data:
            raise PriceFileError(path, f"{key}.{name}", "missing")
    for name, value in data.items():
        if not _is_price(value):
            raise PriceFileError(
                path, f"{key}.{name}", f"must be a number >= 0 (USD per million), not {value!r}"
            )
    get = data.get
    return ModelPrice(
        float(data["input"]),
        float(data["output"]),
        cache_write=None if get("cache_write_5m") is None else float(data["cache_write_5m"]),
        cache_read=None if get("cache_read") is None else float(data["cache_read"]),
        cache_write_1h=None if get("cache_write_1h") is None else float(data["cache_write_1h"]),
    )


def _table(path: str, models: Mapping[Any, object]) -> dict[str, ModelPrice]:
    table: dict[str, ModelPrice] = {}
    for prefix, data in models.items():
        if not isinstance(prefix, str) or not prefix:
            raise PriceFileError(path, f"models.{prefix!r}", "a model prefix must be a name")
        table[prefix] = _model_price(path, prefix, data)
    return table


def parse_prices(path: str, data: object) -> dict[str, ModelPrice]:
    """The table of a price file's parsed content (`{"models": {prefix: {...}}}`).

    Raises:
        PriceFileError: The content has the wrong shape, an unknown key or a bad price.
    """
    if not isinstance(data, Mapping):
        raise PriceFileError(
            path, None, f"expected a table with 'models', not {type(data).__name__}"
        )
    unknown = sorted(set(data) - {"models"})
    if unknown:
        raise PriceFileError(path, str(unknown[0]), "unknown key (a price file has only 'models')")
    models = data.get("models")
    if not isinstance(models, Mapping):
        raise PriceFileError(path, "models", "missing, or not a table of models")
    return _table(path, models)


def read_price_file(path: str | os.PathLike[str]) -> dict[str, ModelPrice]:
    """Read a TOML or JSON price file (JSON when it ends in `.json` or starts with `{`).

    Raises:
        PriceFileError: The file cannot be read or parsed, or has a bad entry.
    """
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PriceFileError(name, None, f"cannot read: {reason}") from None
    try:
        if name.endswith(".json") or text.lstrip().startswith("{"):
            data: object = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PriceFileError(name, None, f"cannot parse: {exc}") from None
    return parse_prices(name, data)


def bundled_prices() -> dict[str, ModelPrice]:
    """The price table shipped with the package (`data/prices.toml`)."""
    resource = files("anthropic_batches") / "data" / "prices.toml"
    return parse_prices("anthropic_batches/data/prices.toml", tomllib.loads(resource.read_text()))


def load_prices(
    prices: PricesLike | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, ModelPrice]:
    """The price table in force: bundled, then `ANTHROPIC_BATCHES_PRICES`, then `prices`.

    Each layer replaces or adds models by prefix, so a file need only name what it changes.

    Args:
        prices: A mapping of model-name prefix to `ModelPrice` (or a dict of its fields), or
            the path of a TOML or JSON price file.
        environ: Where to read `ANTHROPIC_BATCHES_PRICES` (default: `os.environ`).

    Raises:
        PriceFileError: A file or mapping with the wrong shape, an unknown key or a negative
            price, named with its path and key.
    """
    table = bundled_prices()
    env_file = (os.environ if environ is None else environ).get(PRICES_ENV)
    if env_file:
        table.update(read_price_file(env_file))
    if isinstance(prices, Mapping):
        table.update(_table("<prices>", prices))
    elif prices is not None:
        table.update(read_price_file(prices))
    return table


def price_for(model: str, prices: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """The price of `model`: the entry of the longest prefix of its name, or `None`."""
    best = max((key for key in prices if model.startswith(key)), key=len, default=None)
    return prices[best] if best is not None else None
