"""The cost of a set of requests before it is sent: `estimate_cost` and `count_tokens`.

The arithmetic (sampling, the ratio fit, the error and the bound) is I/O-free, in
`_estimates`; this module reads the requests and makes the token-counting calls
(https://docs.anthropic.com/en/api/messages-count-tokens).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._cache import ResponseCache, cache_key, open_cache
from .._estimates import Estimate, Tally, count_body
from .._exceptions import BatchValidationError, Problem
from .._facts import COUNT_TOKENS_PATH, DEFAULT_API_VERSION
from .._prices import PricesLike, load_prices
from .._requests_file import read_requests
from .._split import RequestLike
from .._validation import RequestChecker
from ._backend import gather
from .client import AsyncClient

__all__ = ["count_tokens", "estimate_cost"]

#: How many token-counting calls go out in each round. The client's retry policy paces them:
#: a 429 is retried after its `retry-after`, as every call is.
COUNT_CONCURRENCY = 4


async def count_tokens(client: AsyncClient, params: Mapping[str, Any]) -> int:
    """The input tokens of a Messages request, counted by the API (a free call).

    Args:
        client: The client to call with.
        params: A Messages request; only the fields the endpoint takes are sent.

    Returns:
        The `input_tokens` the API answered.
    """
    body = json.dumps(count_body(params), separators=(",", ":")).encode()
    response = await client._send("POST", COUNT_TOKENS_PATH, content=body)
    return int(response.json()["input_tokens"])


def _tally_requests(
    requests: str | os.PathLike[str] | Iterable[RequestLike],
    api_version: str,
    add: Callable[[Mapping[str, Any]], object],
) -> None:
    """Read and check every request's params into `add`; raise the problems once all are
    read."""
    if isinstance(requests, str | os.PathLike):
        for line in read_requests(requests, api_version=api_version):
            add(line["params"])
        return
    checker = RequestChecker(api_version)
    problems: list[Problem] = []
    for position, request in enumerate(requests):
        checked = checker.check(position, request)
        if checked.problems:
            problems.extend(checked.problems)
        elif checked.request is not None and not problems:
            add(checked.request["params"])
    if problems:
        raise BatchValidationError(problems)


async def estimate_cost(
    client: AsyncClient | None,
    requests: str | os.PathLike[str] | Iterable[RequestLike],
    *,
    sample: int = 64,
    seed: int | None = None,
    count: bool = True,
    prices: PricesLike | None = None,
    api_version: str | None = None,
    cache: str | os.PathLike[str] | ResponseCache | None = None,
) -> Estimate:
    """Estimate what a set of requests will cost at batch prices, before sending any.

    Per model and in total: requests, input tokens (estimated, with a stated error), the
    output-token ceiling (the sum of `max_tokens`), an expected cost and an upper bound.

    The requests are read once, one at a time (flat memory), and checked as a create would
    check them. Per model, a seeded random sample of `sample` requests (every request when
    there are no more) has its input tokens counted by the API (`POST
    /v1/messages/count_tokens`: free, and retried as every call is). A
    line fitted on the sample (tokens against the characters of each request's JSON) predicts
    the uncounted requests, and the sampling error becomes the bound:

    - the stated error (`input_tokens_error`, `cost_error`) is 2.576 standard errors of the
      prediction for the uncounted requests: 99% were the residuals normal, and at least 95%
      in seeded trials of mixed jobs;
    - the bound (`input_tokens_bound`, `cost_bound`) is 5 standard errors above the estimate,
      capped by a per-request worst case (one token per character of the request's JSON,
      plus allowances for framing, tools, images and documents); with fewer than 16 requests
      of a model counted, the bound is that worst case;
    - when every request is counted, there is no error: the input is exact.

    With `count=False` nothing is sent: the input comes from a default ratio (about four
    characters a token) and the bound is the worst case above, which is looser.

    Output is priced at its ceiling (answers at `max_tokens`): the expected cost is what the
    requests cost if every answer runs to its `max_tokens`, and the bound holds whatever they
    say. A request asking for prompt caching is priced as a cache write, and one with
    `inference_geo: "us"` at the US-only multiplier. A model with no price is listed in
    `unpriced_models` and left out of the costs, never counted as free.

    Args:
        client: The client that counts tokens (its API version checks the requests); may be
            `None` with `count=False`.
        requests: A requests `.jsonl` file, or an iterable of requests (`BatchRequest` or
            dicts with `custom_id` and `params`).
        sample: The most requests counted per model.
        seed: The seed of the sample (the same seed, the same sample).
        count: Count a sample with the API; `False` estimates offline.
        prices: Prices laid over the bundled table and the `ANTHROPIC_BATCHES_PRICES` file: a
            mapping of model-name prefix to `ModelPrice`, or a TOML or JSON file.
        api_version: The API version whose rules check the requests (default: the
            client's, or the latest without a client).
        cache: A response cache (as a job's `cache=`): the requests it answers cost
            nothing, are counted in `cached` and left out of every other figure.

    Returns:
        The estimate; `calls` says how many token-counting calls were made.

    Raises:
        PriceFileError: A price file is malformed (raised before any request is read).
        RequestsFileError: The requests file has bad lines (nothing was sent).
        BatchValidationError: A request given in code is malformed (nothing was sent).
        ValueError: `sample` is below 1, or no client is given to count with.
    """
    if sample < 1:
        raise ValueError(f"sample must be at least 1, not {sample}")
    if client is None and count:
        raise ValueError("counting tokens needs a client; pass one, or count=False")
    version = api_version or (client.api_version if client is not None else DEFAULT_API_VERSION)
    tally = Tally(load_prices(prices), sample=sample, seed=seed)
    hits = 0

    def add(params: Mapping[str, Any]) -> None:
        nonlocal hits
        if store is not None and store.get(cache_key(version, params)) is not None:
            hits += 1
        else:
            tally.add(params)

    store = None if cache is None else open_cache(cache)
    _tally_requests(requests, version, add)
    if client is None or not count:
        return dataclasses.replace(tally.estimate(None), cached=hits)
    bodies = [(model, body) for model, found in tally.samples().items() for body in found]
    tokens: list[int] = []
    for start in range(0, len(bodies), COUNT_CONCURRENCY):
        chunk = bodies[start : start + COUNT_CONCURRENCY]
        tokens += await gather([functools.partial(count_tokens, client, b) for _, b in chunk])
    counts: dict[str, list[int]] = {model: [] for model in tally.models}
    for (model, _), found in zip(bodies, tokens, strict=True):
        counts[model].append(found)
    return dataclasses.replace(tally.estimate(counts, calls=len(bodies)), cached=hits)
