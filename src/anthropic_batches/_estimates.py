"""What a set of requests will cost, before it is sent (I/O-free arithmetic).

A `Tally` reads the requests one at a time (flat memory) and keeps, per model: the count,
the sum of `max_tokens` (the output ceiling), a size for each request (the characters of the
JSON of what the token counter reads, ASCII-escaped) and a random sample of requests
(reservoir sampling, seeded). The caller counts the sample's input tokens with the API
(`POST /v1/messages/count_tokens`) and hands the counts back; `Tally.estimate` then fits tokens
against characters per model and turns the fit into an expected total, an error and a bound.

The method, per model, with N requests, n of them counted:

- n == N (a small file): the input tokens are counted, not estimated; no error.
- otherwise a regression estimator: a line, tokens = a + b * chars, fitted by least squares on
  the sample; the total is the counted tokens plus the line's prediction for the uncounted
  requests. Its standard error is that of predicting the sum of the N - n uncounted requests
  from the line (the residuals' spread, the line's own uncertainty, and how far the uncounted
  requests' sizes are from the sample's). The stated error is `ERROR_SIGMAS` standard errors,
  the bound `BOUND_SIGMAS` above the estimate, never above the offline ceiling below. With
  fewer than `MIN_FIT` requests counted, the spread is not trusted and the bound is the
  offline ceiling. (With fewer than three distinct sizes, a ratio through the origin.)
- offline (`count=False`): the input is `DEFAULT_TOKENS_PER_CHAR` times the characters, with
  no stated error, and the bound is the offline ceiling: one token per character of the
  ASCII-escaped JSON (a token covers at least one byte of text), plus a per-request allowance
  for the prompt's framing, for tools, and for images and documents (whose tokens do not
  follow their characters). It is looser.

The costs are at batch prices, weighting each request's input by its multipliers: the
US-only inference multiplier (`inference_geo: "us"`, input and output), and, for a request that
asks for prompt caching (`cache_control`), the cache write price (the worst case: every input
token written). The output is priced at its ceiling: every answer at its `max_tokens`, since an
answer not yet written has no count. So the expected cost is what the job costs if every
answer runs to `max_tokens`, and the bound holds whatever the answers.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._facts import (
    BATCH_DISCOUNT,
    CACHE_WRITE_1H_FACTOR,
    CACHE_WRITE_5M_FACTOR,
    COUNT_TOKENS_FIELDS,
    US_INFERENCE_FACTOR,
    US_INFERENCE_GEO,
)
from ._prices import ModelPrice, price_for

__all__ = [
    "BOUND_SIGMAS",
    "DEFAULT_TOKENS_PER_CHAR",
    "ERROR_SIGMAS",
    "Estimate",
    "ModelEstimate",
    "Tally",
    "cost_ceiling",
    "count_body",
]

#: The offline tokens-per-character ratio, fitted on English prompts (about four characters
#: of JSON a token).
DEFAULT_TOKENS_PER_CHAR = 0.25
#: The stated error, in standard errors: 99% were the residuals normal. Residuals of a mix
#: of request shapes are not, and this width is what holds 95% of the time in seeded trials
#: of mixed jobs (tests/_async/test_estimate.py).
ERROR_SIGMAS = 2.576
#: The bound, in standard errors above the estimate.
BOUND_SIGMAS = 5.0
#: With fewer requests counted than this (and some left uncounted), the bound is the
#: per-request worst case: a spread fitted on so few is not trusted.
MIN_FIT = 16
#: Offline allowances, in tokens: every request's framing, a request with tools (the API adds
#: a tool-use system prompt), each image (the documented most an image costs after resizing is
#: about 1,600) and each document (its pages are read whole).
FRAME_TOKENS = 64
TOOLS_TOKENS = 1_000
IMAGE_TOKENS = 1_600
DOCUMENT_TOKENS = 100_000


def count_body(params: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a token-counting call for a request's `params`: the fields it takes."""
    return {k: params[k] for k in COUNT_TOKENS_FIELDS if k in params}


@dataclass
class _Model:
    """One model's running totals. Weighted sums are in input (or output) price units."""

    requests: int = 0
    chars: int = 0
    weighted_chars: float = 0.0
    weights: float = 0.0
    output_ceiling: int = 0
    weighted_output: float = 0.0
    ceiling: int = 0
    weighted_ceiling: float = 0.0
    #: The reservoir: (count body, chars, input weight).
    sample: list[tuple[dict[str, Any], int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class ModelEstimate:
    """The estimate for one model's requests.

    Attributes:
        model: The model name.
        requests: How many requests use it.
        counted: How many of them had their input tokens counted by the API.
        input_tokens: The estimated input tokens.
        input_tokens_error: The stated error of `input_tokens` (about 95%); 0 when every
            request was counted, `None` offline.
        input_tokens_bound: The input tokens will not exceed this.
        output_tokens_ceiling: The sum of `max_tokens`.
        price: The model's price, or `None` when unknown.
        expected_cost: At batch prices, with every answer at its `max_tokens`; `None` when
            the price is unknown.
        cost_error: The stated error of `expected_cost` (from the input's), or `None`.
        cost_bound: The cost will not exceed this (batch prices), or `None` when unknown.
    """

    model: str
    requests: int
    counted: int
    input_tokens: int
    input_tokens_error: int | None
    input_tokens_bound: int
    output_tokens_ceiling: int
    price: ModelPrice | None
    expected_cost: float | None
    cost_error: float | None
    cost_bound: float | None


@dataclass(frozen=True)
class Estimate:
    """What a set of requests will cost, per model and in total, before it is sent.

    Totals cover every model for tokens, and the priced models for costs; a model with no
    price is named in `unpriced_models`, never counted as free.

    Attributes:
        by_model: The estimate of each model, by name.
        calls: How many token-counting calls were made.
        offline: Whether the input was estimated without counting (a looser bound).
        cached: How many requests a response cache answers (at no cost; in no other figure).
    """

    by_model: dict[str, ModelEstimate]
    calls: int
    offline: bool
    cached: int = 0

    def _sum(self, name: str) -> Any:
        return sum(getattr(m, name) or 0 for m in self.by_model.values())

    @property
    def requests(self) -> int:
        """All requests."""
        return int(self._sum("requests"))

    @property
    def input_tokens(self) -> int:
        """The estimated input tokens of every request."""
        return int(self._sum("input_tokens"))

    @property
    def input_tokens_error(self) -> int | None:
        """The stated error of `input_tokens` (the models' errors are independent)."""
        if self.offline:
            return None
        return round(math.sqrt(sum((m.input_tokens_error or 0) ** 2 for m in self.models)))

    @property
    def input_tokens_bound(self) -> int:
        """The input tokens will not exceed this."""
        return int(self._sum("input_tokens_bound"))

    @property
    def output_tokens_ceiling(self) -> int:
        """The sum of every request's `max_tokens`."""
        return int(self._sum("output_tokens_ceiling"))

    @property
    def expected_cost(self) -> float:
        """The expected cost of the priced models (answers at `max_tokens`), batch prices."""
        return float(self._sum("expected_cost"))

    @property
    def cost_error(self) -> float | None:
        """The stated error of `expected_cost`, or `None` offline."""
        if self.offline:
            return None
        return math.sqrt(sum((m.cost_error or 0) ** 2 for m in self.models))

    @property
    def cost_bound(self) -> float:
        """The priced models' cost will not exceed this (batch prices)."""
        return float(self._sum("cost_bound"))

    @property
    def unpriced_models(self) -> tuple[str, ...]:
        """The models with no price (not in the costs)."""
        return tuple(m.model for m in self.models if m.price is None)

    @property
    def models(self) -> list[ModelEstimate]:
        """The per-model estimates, by model name."""
        return [self.by_model[name] for name in sorted(self.by_model)]


def _ascii_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


def _offline_ceiling(text: str, params: Mapping[str, Any]) -> int:
    allowance = FRAME_TOKENS + (TOOLS_TOKENS if params.get("tools") else 0)
    allowance += IMAGE_TOKENS * text.count('"type":"image"')
    allowance += DOCUMENT_TOKENS * text.count('"type":"document"')
    return len(text) + allowance


def _fit(
    pairs: list[tuple[float, float]], rest_x: float, rest_n: int
) -> tuple[float, float, float]:
    """(intercept, slope, standard error of the uncounted total) of tokens
    against characters, fitted by least squares on the counted pairs, for `rest_n` uncounted
    requests of `rest_x` characters."""
    n = len(pairs)
    sx = sum(x for x, _ in pairs)
    sy = sum(y for _, y in pairs)
    mean_x = sx / n
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    if n >= 3 and sxx > 0:
        slope = sum((x - mean_x) * y for x, y in pairs) / sxx
        intercept = sy / n - slope * mean_x
        spread = sum((y - intercept - slope * x) ** 2 for x, y in pairs) / (n - 2)
        # The variance of predicting the sum of rest_n new requests from a fitted line.
        off = rest_x - rest_n * mean_x
        variance = spread * (rest_n + rest_n**2 / n + off**2 / sxx)
        return intercept, slope, math.sqrt(variance)
    # Too few distinct sizes for a line: a ratio through the origin.
    slope = sy / sx if sx > 0 else 0.0
    if n < 2:
        return 0.0, slope, math.inf
    spread = sum((y - slope * x) ** 2 for x, y in pairs) / (n - 1)
    return 0.0, slope, math.sqrt(spread * rest_n * (n + rest_n) / n)


class Tally:
    """Per-model totals and a seeded random sample of requests, read one at a time.

    Args:
        prices: The price table (to weight each request's input by its price).
        sample: The most requests counted per model (every request when it has no more).
        seed: The seed of the sample.
    """

    def __init__(self, prices: Mapping[str, ModelPrice], *, sample: int, seed: int | None) -> None:
        self.prices = prices
        self.sample_size = sample
        self._random = random.Random(seed)
        self.models: dict[str, _Model] = {}

    def _weights(self, model: str, params: Mapping[str, Any], text: str) -> tuple[float, float]:
        """(input, output) price per token of a request, at list prices, in USD per million
        (the models with no price use the bare multipliers)."""
        price = price_for(model, self.prices)
        geo = US_INFERENCE_FACTOR if params.get("inference_geo") == US_INFERENCE_GEO else 1.0
        if price is None:
            cache = 1.0
            if "cache_control" in text:
                one_hour = '"ttl":"1h"' in text
                cache = CACHE_WRITE_1H_FACTOR if one_hour else CACHE_WRITE_5M_FACTOR
            return geo * cache, geo
        unit = price.input
        if "cache_control" in text:
            unit = max(unit, price.write_1h if '"ttl":"1h"' in text else price.write_5m)
        return geo * unit, geo * price.output

    def add(self, params: Mapping[str, Any]) -> None:
        """Count one request's `params` (checked already)."""
        model = str(params.get("model"))
        body = count_body(params)
        text = _ascii_json({k: v for k, v in body.items() if k != "model"})
        in_w, out_w = self._weights(model, params, text)
        chars = len(text)
        ceiling = _offline_ceiling(text, params)
        max_tokens = params.get("max_tokens")
        max_tokens = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else 0
        m = self.models.setdefault(model, _Model())
        m.requests += 1
        m.chars += chars
        m.weighted_chars += in_w * chars
        m.weights += in_w
        m.output_ceiling += max_tokens
        m.weighted_output += out_w * max_tokens
        m.ceiling += ceiling
        m.weighted_ceiling += in_w * ceiling
        # Reservoir sampling (Algorithm R): each request is in the sample with equal chance.
        if len(m.sample) < self.sample_size:
            m.sample.append((body, chars, in_w))
        else:
            slot = self._random.randrange(m.requests)
            if slot < self.sample_size:
                m.sample[slot] = (body, chars, in_w)

    def estimate(self, counts: Mapping[str, list[int]] | None, calls: int = 0) -> Estimate:
        """The estimate, from the input tokens of each model's sample (in sample order), or
        offline when `counts` is `None`."""
        out: dict[str, ModelEstimate] = {}
        for name, m in self.models.items():
            price = price_for(name, self.prices)
            if counts is None:
                tokens, error = m.chars * DEFAULT_TOKENS_PER_CHAR, None
                weighted, cost_error, bound, weighted_bound = (
                    m.weighted_chars * DEFAULT_TOKENS_PER_CHAR,
                    None,
                    float(m.ceiling),
                    m.weighted_ceiling,
                )
                counted = 0
            else:
                found = counts[name]
                counted = len(found)
                pairs = [(float(c), float(t)) for (_, c, _), t in zip(m.sample, found, strict=True)]
                seen_y = sum(y for _, y in pairs)
                seen_wy = sum(w * t for (_, _, w), t in zip(m.sample, found, strict=True))
                if counted >= m.requests:
                    tokens, weighted, se, wse = seen_y, seen_wy, 0.0, 0.0
                else:
                    rest_n = m.requests - counted
                    rest_x = m.chars - sum(x for x, _ in pairs)
                    rest_w = m.weights - sum(w for _, _, w in m.sample)
                    rest_wx = m.weighted_chars - sum(w * c for _, c, w in m.sample)
                    a, b, se = _fit(pairs, rest_x, rest_n)
                    if counted < MIN_FIT:
                        se = math.inf  # too few counts to trust a spread: the worst case
                    rest = max(a * rest_n + b * rest_x, 0.0)
                    tokens = seen_y + rest
                    weighted = seen_wy + max(a * rest_w + b * rest_wx, 0.0)
                    # The uncounted requests' mean price per token scales the error.
                    unit = rest_wx / rest_x if rest_x > 0 else rest_w / rest_n
                    wse = se * unit if unit > 0 else 0.0
                bound = min(tokens + BOUND_SIGMAS * se, max(m.ceiling, tokens))
                weighted_bound = min(
                    weighted + BOUND_SIGMAS * wse, max(m.weighted_ceiling, weighted)
                )
                error = min(ERROR_SIGMAS * se, bound - tokens)
                cost_error = min(ERROR_SIGMAS * wse, weighted_bound - weighted)
            scale = (1 - BATCH_DISCOUNT) / 1_000_000
            priced = price is not None
            output = m.weighted_output * scale
            out[name] = ModelEstimate(
                model=name,
                requests=m.requests,
                counted=counted,
                input_tokens=round(tokens),
                input_tokens_error=None if error is None else math.ceil(error),
                input_tokens_bound=math.ceil(bound),
                output_tokens_ceiling=m.output_ceiling,
                price=price,
                expected_cost=weighted * scale + output if priced else None,
                cost_error=cost_error * scale if priced and cost_error is not None else None,
                cost_bound=weighted_bound * scale + output if priced else None,
            )
        return Estimate(out, calls, counts is None)

    def samples(self) -> dict[str, list[dict[str, Any]]]:
        """The count bodies of each model's sample, in sample order."""
        return {name: [body for body, _, _ in m.sample] for name, m in self.models.items()}


def cost_ceiling(
    params: Iterable[Mapping[str, Any]], prices: Mapping[str, ModelPrice]
) -> tuple[float, tuple[str, ...]]:
    """The most some requests can cost at batch prices, with no call: each request's input at
    its offline ceiling and its output at `max_tokens` (for a budget check before a create).

    Returns:
        The bound of the priced models, and the models with no price (not in the bound).
    """
    tally = Tally(prices, sample=0, seed=0)
    for one in params:
        tally.add(one)
    estimate = tally.estimate(None)
    return estimate.cost_bound, estimate.unpriced_models
