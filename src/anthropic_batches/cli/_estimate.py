"""`estimate`: what a requests file will cost at batch prices, before anything is sent.

The table (per model and in total) goes to stdout; what was done (calls made, models with no
price, how loose the bound is) goes to stderr, as every command's messages do.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from .._async.estimate import estimate_cost
from .._estimates import BOUND_SIGMAS, Estimate, ModelEstimate
from .._prices import PriceFileError, load_prices
from ._common import EXIT_BAD_INPUT, execute, settings_of
from ._help import at_least
from ._options import Cache, Prices, RequestsPath

__all__ = ["estimate", "estimate_table"]

_HEADERS = (
    "model",
    "requests",
    "counted",
    "input tokens",
    "+/-",
    "input bound",
    "output ceiling",
    "expected cost",
    "+/-",
    "cost bound",
)


def _tokens(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.4f}"


def _cost_error(value: float | None, priced: bool) -> str:
    if not priced:
        return ""
    return "-" if value is None else f"${value:,.4f}"


def _row(m: ModelEstimate) -> tuple[str, ...]:
    return (
        m.model,
        f"{m.requests:,}",
        f"{m.counted:,}",
        _tokens(m.input_tokens),
        _tokens(m.input_tokens_error),
        _tokens(m.input_tokens_bound),
        _tokens(m.output_tokens_ceiling),
        _money(m.expected_cost),
        _cost_error(m.cost_error, m.price is not None),
        _money(m.cost_bound),
    )


def estimate_table(estimate: Estimate) -> str:
    """The estimate as a plain text table: one row per model and a total row."""
    priced = len(estimate.unpriced_models) < len(estimate.by_model)
    total = (
        "total",
        f"{estimate.requests:,}",
        f"{sum(m.counted for m in estimate.models):,}",
        _tokens(estimate.input_tokens),
        _tokens(estimate.input_tokens_error),
        _tokens(estimate.input_tokens_bound),
        _tokens(estimate.output_tokens_ceiling),
        _money(estimate.expected_cost if priced else None),
        _cost_error(estimate.cost_error, priced),
        _money(estimate.cost_bound if priced else None),
    )
    rows = [_HEADERS, *(_row(m) for m in estimate.models), total]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def estimate(
    ctx: typer.Context,
    requests: RequestsPath,
    sample: Annotated[
        int,
        typer.Option(
            "--sample",
            callback=at_least(1),
            metavar="N",
            help="Requests counted per model (all if fewer).",
        ),
    ] = 64,
    seed: Annotated[
        int | None, typer.Option("--seed", metavar="SEED", help="Seed of the sample.")
    ] = None,
    no_count: Annotated[
        bool, typer.Option("--no-count", help="Send nothing: estimate offline (looser bound).")
    ] = False,
    prices: Prices = None,
    cache: Cache = None,
) -> None:
    """Estimate what a requests file costs at batch prices, before sending it."""
    settings = settings_of(ctx)
    try:
        table = load_prices(prices)
    except PriceFileError as exc:
        settings.fail(str(exc), EXIT_BAD_INPUT)

    async def work() -> None:
        if no_count:
            found = await estimate_cost(
                None,
                requests,
                count=False,
                prices=table,
                api_version=settings.api_version,
                cache=cache,
            )
        else:
            async with settings.client() as client:
                found = await estimate_cost(
                    client, requests, sample=sample, seed=seed, prices=table, cache=cache
                )
        typer.echo(estimate_table(found))
        for line in estimate_notes(found):
            settings.info(escape(line))

    execute(settings, work)


def estimate_notes(estimate: Estimate) -> list[str]:
    """What the table does not say: the calls made, the method, the models with no price."""
    if estimate.offline:
        notes = [
            "Offline estimate (--no-count): no calls made. Input tokens from a default ratio of "
            "characters to tokens, without a stated error; the bound is looser (one token per "
            "character)."
        ]
    else:
        counted = sum(m.counted for m in estimate.models)
        notes = [
            f"Counted the input tokens of {counted:,} of {estimate.requests:,} requests with "
            f"{estimate.calls:,} token-counting calls; +/- is about 95%, the bounds are "
            f"{BOUND_SIGMAS:g} standard errors up."
        ]
    notes.append(
        "Costs are at batch prices, with every answer at its max_tokens (the output ceiling)."
    )
    if estimate.cached:
        notes.append(
            f"{estimate.cached:,} requests are answered by the cache (--cache): $0, and not "
            "in the table."
        )
    if estimate.unpriced_models:
        names = ", ".join(estimate.unpriced_models)
        notes.append(
            f"No price known for {names}: unknown, and left out of the total's costs "
            "(add a price with --prices FILE)."
        )
    return notes
