"""Usage and cost totals of a job's results (I/O-free).

Tokens come from each result's `message.usage`; only `succeeded` results carry usage and are
billed (`errored`, `canceled` and `expired` are not:
https://docs.anthropic.com/en/docs/build-with-claude/batch-processing). The cost is an
estimate: list prices per million tokens from a table the caller can replace, at the batch
discount of 50%.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ._models import BatchResult, SucceededResult

__all__ = [
    "BATCH_DISCOUNT",
    "DEFAULT_PRICES",
    "CostEstimate",
    "ModelPrice",
    "TokenTotals",
    "UsageSummary",
]

#: Batch requests cost half the standard price.
BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class ModelPrice:
    """Standard (not batch) prices of one model, in US dollars per million tokens.

    Attributes:
        input: Uncached input tokens.
        output: Output tokens.
        cache_write: Input tokens written to the prompt cache (by default 1.25 x `input`).
        cache_read: Input tokens read from the prompt cache (by default 0.1 x `input`).
    """

    input: float
    output: float
    cache_write: float | None = None
    cache_read: float | None = None

    def cost(self, tokens: TokenTotals) -> float:
        """The standard price of `tokens` at these rates, in US dollars."""
        write = self.cache_write if self.cache_write is not None else self.input * 1.25
        read = self.cache_read if self.cache_read is not None else self.input * 0.1
        return (
            tokens.input_tokens * self.input
            + tokens.output_tokens * self.output
            + tokens.cache_creation_input_tokens * write
            + tokens.cache_read_input_tokens * read
        ) / 1_000_000


DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-opus-4-5": ModelPrice(5.0, 25.0),
    "claude-opus-4": ModelPrice(15.0, 75.0),
    "claude-3-opus": ModelPrice(15.0, 75.0),
    "claude-sonnet-4": ModelPrice(3.0, 15.0),
    "claude-3-7-sonnet": ModelPrice(3.0, 15.0),
    "claude-3-5-sonnet": ModelPrice(3.0, 15.0),
    "claude-haiku-4": ModelPrice(1.0, 5.0),
    "claude-3-5-haiku": ModelPrice(0.8, 4.0),
    "claude-3-haiku": ModelPrice(0.25, 1.25),
}
"""Estimated standard list prices (USD per million tokens), keyed by model-name prefix.

These are estimates taken from the published price list when this package was written; prices
change and new models appear, so pass your own table for figures you rely on. A model is
priced by the longest prefix of its name found in the table (`"claude-sonnet-4-5-20250929"`
uses `"claude-sonnet-4"`); a model with no match is listed in `CostEstimate.unpriced_models`.
"""


@dataclass
class TokenTotals:
    """Token counts summed over results."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def add(self, other: TokenTotals) -> None:
        """Add `other`'s counts to these."""
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens

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


def _price_for(model: str, prices: Mapping[str, ModelPrice]) -> ModelPrice | None:
    best = max((key for key in prices if model.startswith(key)), key=len, default=None)
    return prices[best] if best is not None else None


@dataclass
class UsageSummary:
    """Counts, tokens and cost of a set of results; add results one at a time.

    Attributes:
        counts: Results per result type (`succeeded`, `errored`, `canceled`, `expired`, ...).
        tokens: Token totals per result type (only billed types carry usage).
        by_model: Token totals per model name, for the cost estimate.
    """

    counts: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, TokenTotals] = field(default_factory=dict)
    by_model: dict[str, TokenTotals] = field(default_factory=dict)

    def add(self, result: BatchResult) -> None:
        """Count one result and its usage."""
        kind = result.result.type
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if not isinstance(result.result, SucceededResult):
            return
        message = result.result.message
        usage = message.usage
        tokens = TokenTotals(
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_creation_input_tokens or 0,
            usage.cache_read_input_tokens or 0,
        )
        self.tokens.setdefault(kind, TokenTotals()).add(tokens)
        self.by_model.setdefault(message.model, TokenTotals()).add(tokens)

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
        prices: Mapping[str, ModelPrice] | None = None,
        *,
        discount: float = BATCH_DISCOUNT,
    ) -> CostEstimate:
        """Estimate the cost of the counted usage.

        Args:
            prices: Prices per model-name prefix; `DEFAULT_PRICES` (estimates) when `None`.
            discount: The fraction taken off the standard price (batches: 0.5).

        Returns:
            The estimate; models with no price are listed, not guessed.
        """
        table = DEFAULT_PRICES if prices is None else prices
        by_model: dict[str, float] = {}
        unpriced: list[str] = []
        for model, tokens in sorted(self.by_model.items()):
            price = _price_for(model, table)
            if price is None:
                unpriced.append(model)
                continue
            by_model[model] = price.cost(tokens) * (1 - discount)
        return CostEstimate(sum(by_model.values()), by_model, tuple(unpriced), discount)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the job state file)."""
        return {
            "counts": dict(self.counts),
            "tokens": {k: asdict(v) for k, v in self.tokens.items()},
            "by_model": {k: asdict(v) for k, v in self.by_model.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsageSummary:
        """Read back what `to_dict` wrote."""
        return cls(
            counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
            tokens={str(k): TokenTotals(**v) for k, v in data.get("tokens", {}).items()},
            by_model={str(k): TokenTotals(**v) for k, v in data.get("by_model", {}).items()},
        )
