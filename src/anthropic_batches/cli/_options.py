"""The options and arguments more than one command takes, each declared once.

Metavars are given everywhere: typer's own (`<int range>`, `<list[str]>`) read like code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._help import at_least

__all__ = [
    "BatchId",
    "BatchIds",
    "Cache",
    "MaxBytes",
    "MaxRequests",
    "Output",
    "PollInterval",
    "Prices",
    "RequestsPath",
    "Timeout",
]


def _at_least(flag: str, low: float, metavar: str, help: str) -> Any:
    """An option whose value must be `low` or more."""
    return typer.Option(flag, callback=at_least(low), metavar=metavar, help=help)


MaxRequests = Annotated[
    int, _at_least("--max-requests", 1, "N", "Most requests per batch (1 or more).")
]
MaxBytes = Annotated[
    int, _at_least("--max-bytes", 1, "BYTES", "Largest create body per batch, in bytes.")
]
PollInterval = Annotated[
    float, _at_least("--poll-interval", 0.01, "SECONDS", "Seconds between first polls.")
]
Timeout = Annotated[
    float | None,
    _at_least(
        "--timeout",
        0,
        "SECONDS",
        "Give up waiting after this many seconds (the job can be resumed).",
    ),
]
RequestsPath = Annotated[
    Path,
    typer.Argument(
        metavar="REQUESTS", show_default=False, help="Requests file: one API request per line."
    ),
]
BatchIds = Annotated[list[str], typer.Argument(metavar="ID...", help="One or more batch ids.")]
BatchId = Annotated[str, typer.Argument(metavar="ID", help="A batch id.")]
Output = Annotated[
    str,
    typer.Option("--output", "-o", metavar="FILE", help="Results file ('-': stdout)."),
]
Prices = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        metavar="FILE",
        help="Price file (TOML or JSON) over the bundled prices (run: for --max-cost).",
    ),
]
Cache = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        metavar="PATH",
        help="Response cache (a SQLite file, made if missing): requests answered before "
        "are not sent again; their stored answers are written instead (estimate: they "
        "cost $0).",
    ),
]
