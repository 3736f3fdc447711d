"""The emulator command, written once with typer: `python -m anthropic_batches.emulator`, and
`anthropic-batches emulator` (which runs it under its own name).

It binds the address first, so that port 0 is resolved to a free port, prints the base URL as
its only line on stdout once the server accepts connections, and serves until Ctrl-C or
SIGTERM, then says "stopped" on stderr. At `--log-level info` each call is logged on stderr,
one line each. Exit status: 0 after such a stop, 1 when the address cannot be used, 2 for a
bad command line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from .._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS, PROCESSING_WINDOW
from ._app import create_app
from ._server import bind, call_logger, serve_until_stopped, url_of
from ._store import Emulator

__all__ = ["command", "main"]

PROG = "python -m anthropic_batches.emulator"

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise typer.BadParameter(f"must be a port number from 0 to 65535, not {value}")
    return value


def _seconds(value: float) -> float:
    if not value >= 0:  # also refuses nan
        raise typer.BadParameter(f"must be 0 or more seconds, not {value:g}")
    return value


def _fraction(value: float) -> float:
    if not 0 <= value <= 1:
        raise typer.BadParameter(f"must be a fraction from 0 to 1, not {value:g}")
    return value


def _at_least_0(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"must be 0 or more, not {value}")
    return value


def _log_level(value: str) -> str:
    if value not in LOG_LEVELS:
        raise typer.BadParameter(f"must be one of {', '.join(LOG_LEVELS)}; not {value!r}")
    return value


def _at_least_1_or_none(value: int | None) -> int | None:
    return None if value is None else _at_least_1(value)


def _at_least_1(value: int) -> int:
    if value < 1:
        raise typer.BadParameter(f"must be 1 or more, not {value}")
    return value


def serve(
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", metavar="PORT", callback=_port, help="Port; 0 picks a free one."),
    ] = 0,
    api_keys: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key",
            metavar="KEY",
            show_default=False,
            help="Accept only this key (repeat the option for more keys). Without it, any "
            "non-empty key is accepted. Each key sees only the batches it created.",
        ),
    ] = None,
    process_seconds: Annotated[
        float,
        typer.Option(
            "--process-seconds",
            metavar="SECONDS",
            callback=_seconds,
            help="How long a batch takes to end after it is created.",
        ),
    ] = 1.0,
    cancel_seconds: Annotated[
        float,
        typer.Option(
            "--cancel-seconds",
            metavar="SECONDS",
            callback=_seconds,
            help="How long a batch stays canceling after a cancel.",
        ),
    ] = 0.2,
    expire_seconds: Annotated[
        float,
        typer.Option(
            "--expire-seconds",
            metavar="SECONDS",
            callback=_seconds,
            help="How long a batch has before the requests not yet done expire.",
        ),
    ] = PROCESSING_WINDOW.total_seconds(),
    seed: Annotated[
        int,
        typer.Option(
            "--seed", metavar="N", help="Seed for the ids, the order of results and the faults."
        ),
    ] = 0,
    fault_rate: Annotated[
        float,
        typer.Option(
            "--fault-rate",
            metavar="FRACTION",
            callback=_fraction,
            help="Fraction of requests, from 0 to 1, answered with an injected 429, 500 or 529.",
        ),
    ] = 0.0,
    drop_results_after: Annotated[
        int | None,
        typer.Option(
            "--drop-results-after",
            metavar="N",
            callback=_at_least_0,
            help="Cut the first results download of each batch after N lines.",
        ),
    ] = None,
    max_body_bytes: Annotated[
        int,
        typer.Option(
            "--max-body-bytes",
            metavar="N",
            callback=_at_least_1,
            help="Largest create body accepted, in bytes.",
        ),
    ] = MAX_BATCH_BYTES,
    max_requests: Annotated[
        int,
        typer.Option(
            "--max-requests",
            metavar="N",
            callback=_at_least_1,
            help="Most requests in a batch.",
        ),
    ] = MAX_BATCH_REQUESTS,
    requests_per_minute: Annotated[
        int | None,
        typer.Option(
            "--requests-per-minute",
            metavar="N",
            callback=_at_least_1_or_none,
            help="Per key, the HTTP requests allowed per minute (a token bucket); over it, "
            "429 rate_limit_error with retry-after. Every answer carries the "
            "anthropic-ratelimit-requests-* headers. Off by default.",
        ),
    ] = None,
    max_queued_requests: Annotated[
        int | None,
        typer.Option(
            "--max-queued-requests",
            metavar="N",
            callback=_at_least_1_or_none,
            help="Per key, the most requests in processing; a create that would go over it "
            "answers 429 with retry-after. Off by default.",
        ),
    ] = None,
    spend_limit_requests: Annotated[
        int | None,
        typer.Option(
            "--spend-limit-requests",
            metavar="N",
            callback=_at_least_0,
            help="Per key, after N requests accepted, creates answer the spend-limit error "
            "(429, error_code enforced_spend_limit_reached). Off by default.",
        ),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            metavar="LEVEL",
            callback=_log_level,
            help=f"Server log level: {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}; "
            "info logs each call (method, path, status, key fingerprint).",
        ),
    ] = "warning",
) -> None:
    """Serve a local emulator of the Anthropic Message Batches API.

    Prints the base URL once it accepts connections, then serves until Ctrl-C or SIGTERM.
    """
    emulator = Emulator(
        api_keys=api_keys,
        process_seconds=process_seconds,
        cancel_seconds=cancel_seconds,
        expire_seconds=expire_seconds,
        seed=seed,
        fault_rate=fault_rate,
        drop_results_after=drop_results_after,
        max_body_bytes=max_body_bytes,
        max_requests=max_requests,
        requests_per_minute=requests_per_minute,
        max_queued_requests=max_queued_requests,
        spend_limit_requests=spend_limit_requests,
    )
    try:
        sock = bind(host, port)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None
    url = url_of(sock)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    call_logger.addHandler(handler)
    call_logger.setLevel(log_level.upper())
    call_logger.propagate = False
    try:
        started = serve_until_stopped(
            create_app(emulator), sock, log_level, lambda: typer.echo(url)
        )
    finally:
        call_logger.removeHandler(handler)
    if started:
        typer.echo("stopped", err=True)
    raise typer.Exit(0 if started else 1)


command = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
command.command(
    epilog="Exit status: 0 after Ctrl-C or SIGTERM; 1 when the address cannot be used; "
    "2 for a bad command line."
)(serve)


def main(argv: Sequence[str] | None = None, *, prog_name: str = PROG) -> None:
    """Run the emulator command; it always ends by raising `SystemExit` with its status.

    Args:
        argv: The arguments after the command's name; `sys.argv[1:]` when `None`.
        prog_name: The command's name, as its usage line and errors show it.
    """
    command(args=None if argv is None else list(argv), prog_name=prog_name)
