"""The options and arguments more than one command takes, each declared once.

Metavars are given everywhere: typer's own (`<int range>`, `<list[str]>`) read like code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

MaxRequests = Annotated[
    int,
    typer.Option(
        "--max-requests",
        callback=at_least(1),
        metavar="N",
        help="Most requests per batch (1 or more).",
    ),
]
MaxBytes = Annotated[
    int,
    typer.Option(
        "--max-bytes",
        callback=at_least(1),
        metavar="BYTES",
        help="Largest create body per batch, in bytes.",
    ),
]
PollInterval = Annotated[
    float,
    typer.Option(
        "--poll-interval",
        callback=at_least(0.01),
        metavar="SECONDS",
        help="Seconds between first polls.",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        callback=at_least(0),
        metavar="SECONDS",
        help="Give up waiting after this many seconds (the job can be resumed).",
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
