"""Usage and cost totals of a job's results.

Tokens come from each result's `message.usage`; only `succeeded` results carry usage and are
billed (`errored`, `canceled` and `expired` are not:
https://docs.anthropic.com/en/docs/build-with-claude/batch-processing). The cost is an
estimate: list prices per million tokens from the price table (`_prices`: bundled, and
extended by the caller's files), at the batch discount of 50%.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ._facts import BATCH_DISCOUNT, US_INFERENCE_FACTOR, US_INFERENCE_GEO
from ._models import BatchResult, SucceededResult, Usage
from ._prices import ModelPrice, PricesLike, bundled_prices, load_prices, price_for

__all__ = [
    "BATCH_DISCOUNT",
    "DEFAULT_PRICES",
    "CostEstimate",
    "ModelPrice",
    "TokenTotals",
    "UsageSummary",
]

DEFAULT_PRICES: dict[str, ModelPrice] = bundled_prices()
"""The bundled standard list prices (USD per million tokens), keyed by model-name prefix.

Read from the package's `data/prices.toml`, taken from the published price list when this
release was made; prices change and new models appear, so extend or override it with a file
(`ANTHROPIC_BATCHES_PRICES`, or a `prices=` argument). A model is priced by the longest prefix
of its name found in the table (`"claude-sonnet-4-5-20250929"` uses `"claude-sonnet-4"`); a
model with no match is listed in `CostEstimate.unpriced_models`, never priced at zero.
"""


@dataclass
class TokenTotals:
    """Token counts summed over results."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    #: The part of `cache_creation_input_tokens` written to the 1-hour cache (the rest went
    #: to the 5-minute cache).
    cache_creation_1h_input_tokens: int = 0

    def add(self, other: TokenTotals) -> None:
        """Add `other`'s counts to these."""
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.cache_creation_1h_input_tokens += other.cache_creation_1h_input_tokens

    @classmethod
    def of_usage(cls, usage: Usage) -> TokenTotals:
        """The counts of one message's `usage`, with the 1-hour cache writes from
        `usage.cache_creation` when reported (else every cache write counts as 5-minute)."""
        written = usage.cache_creation_input_tokens or 0
        split = getattr(usage, "cache_creation", None)
        if split is None and usage.model_extra:
            split = usage.model_extra.get("cache_creation")
        if split is not None and not isinstance(split, Mapping):
            split = split.model_dump() if hasattr(split, "model_dump") else vars(split)
        one_hour = split.get("ephemeral_1h_input_tokens") if isinstance(split, Mapping) else None
        one_hour = one_hour if isinstance(one_hour, int) and one_hour > 0 else 0
        return cls(
            usage.input_tokens,
            usage.output_tokens,
            written,
            usage.cache_read_input_tokens or 0,
            min(one_hour, written) if written else one_hour,
        )

    @property
    def total(self) -> int:
        """All tokens, input (cached or not) and output."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
        )


@dataclass(frozen=True)
class CostEstimate:
    """An estimated cost, in US dollars.

    A model with no price is never counted as free: it is named in `unpriced_models`, `total`
    covers the priced models only, and `known` is false; `str()` says so.

    Attributes:
        total: The estimate for every priced model, at the batch discount.
        by_model: The estimate per model name, at the batch discount.
        unpriced_models: Models that had usage but no price in the table (not in `total`).
        discount: The discount applied (0.5 for batches).
    """

    total: float
    by_model: dict[str, float]
    unpriced_models: tuple[str, ...]
    discount: float

    @property
    def known(self) -> bool:
        """Whether every model with usage had a price (so `total` is the whole cost)."""
        return not self.unpriced_models

    def __str__(self) -> str:
        names = ", ".join(self.unpriced_models)
        if not self.by_model and self.unpriced_models:
            return f"unknown (no price for {names})"
        text = f"${self.total:,.4f}"
        return f"{text} + unknown (no price for {names})" if names else text


@dataclass
class UsageSummary:
    """Counts, tokens and cost of a set of results; add results one at a time.

    Attributes:
        counts: Results per result type (`succeeded`, `errored`, `canceled`, `expired`, ...).
        tokens: Token totals per result type (only billed types carry usage).
        by_model: Token totals per model name, for the cost estimate.
        us_only: The part of `by_model` run with US-only inference (`inference_geo: "us"`),
            which costs more.
    """

    counts: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, TokenTotals] = field(default_factory=dict)
    by_model: dict[str, TokenTotals] = field(default_factory=dict)
    us_only: dict[str, TokenTotals] = field(default_factory=dict)

    def add(self, result: BatchResult) -> None:
        """Count one result and its usage."""
        kind = result.result.type
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if not isinstance(result.result, SucceededResult):
            return
        message = result.result.message
        usage = message.usage
        tokens = TokenTotals.of_usage(usage)
        self.tokens.setdefault(kind, TokenTotals()).add(tokens)
        self.by_model.setdefault(message.model, TokenTotals()).add(tokens)
        geo = getattr(usage, "inference_geo", None)
        if geo is None and usage.model_extra:
            geo = usage.model_extra.get("inference_geo")
        if geo == US_INFERENCE_GEO:
            self.us_only.setdefault(message.model, TokenTotals()).add(tokens)

    def update(self, results: Iterable[BatchResult]) -> UsageSummary:
        """Add every result of `results`; returns this summary."""
        for result in results:
            self.add(result)
        return self

    def merge(self, other: UsageSummary) -> None:
        """Add another summary's counts and tokens to this one."""
        for kind, n in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        for kind, tokens in other.tokens.items():
            self.tokens.setdefault(kind, TokenTotals()).add(tokens)
        for model, tokens in other.by_model.items():
            self.by_model.setdefault(model, TokenTotals()).add(tokens)
        for model, tokens in other.us_only.items():
            self.us_only.setdefault(model, TokenTotals()).add(tokens)

    @property
    def total_results(self) -> int:
        """How many results were counted."""
        return sum(self.counts.values())

    @property
    def total_tokens(self) -> TokenTotals:
        """Token totals over every result type."""
        total = TokenTotals()
        for tokens in self.tokens.values():
            total.add(tokens)
        return total

    def cost(
        self,
        prices: PricesLike | None = None,
        *,
        discount: float = BATCH_DISCOUNT,
    ) -> CostEstimate:
        """Estimate the cost of the counted usage.

        Cache writes are priced by their cache (5-minute or 1-hour, from `usage.cache_creation`;
        all 5-minute when not reported), cache reads at their price, and requests run with
        US-only inference at the documented multiplier.

        Args:
            prices: Prices per model-name prefix (a mapping or a TOML or JSON file), laid over
                the bundled table and the `ANTHROPIC_BATCHES_PRICES` file.
            discount: The fraction taken off the standard price (batches: 0.5).

        Returns:
            The estimate; models with no price are listed, not guessed.

        Raises:
            PriceFileError: A price file or mapping is malformed.
        """
        table = load_prices(prices)
        by_model: dict[str, float] = {}
        unpriced: list[str] = []
        for model, tokens in sorted(self.by_model.items()):
            price = price_for(model, table)
            if price is None:
                unpriced.append(model)
                continue
            standard = price.cost(tokens)
            us = self.us_only.get(model)
            if us is not None:
                standard += price.cost(us) * (US_INFERENCE_FACTOR - 1)
            by_model[model] = standard * (1 - discount)
        return CostEstimate(sum(by_model.values()), by_model, tuple(unpriced), discount)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the job state file)."""
        return {
            "counts": dict(self.counts),
            "tokens": {k: asdict(v) for k, v in self.tokens.items()},
            "by_model": {k: asdict(v) for k, v in self.by_model.items()},
            "us_only": {k: asdict(v) for k, v in self.us_only.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsageSummary:
        """Read back what `to_dict` wrote."""
        return cls(
            counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
            tokens={str(k): TokenTotals(**v) for k, v in data.get("tokens", {}).items()},
            by_model={str(k): TokenTotals(**v) for k, v in data.get("by_model", {}).items()},
            us_only={str(k): TokenTotals(**v) for k, v in data.get("us_only", {}).items()},
        )
