"""What every command shares: the global options, the console, the client, exit codes, and
turning errors into one clear line and an exit code.

Messages here speak the command line's language (flags, not Python arguments): the library's
errors are worded again from their attributes and codes, never from their text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import socket
import ssl
import sys
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from .. import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    BatchesError,
    BatchValidationError,
    WaitTimeoutError,
)
from .._budget import UnpricedModelError
from .._exceptions import APIStatusError
from .._facts import (
    API_VERSIONS,
    CONTRACT_SPEND_LIMIT_REACHED,
    DEFAULT_API_VERSION,
    ENFORCED_SPEND_LIMIT_REACHED,
    LINKED_ORGANIZATION_SPEND_LIMIT_REACHED,
    ORGANIZATION_ON_HOLD,
)
from .._requests_file import RequestsFile, RequestsFileError
from .._rounds import stops_job
from .._shared import DEFAULT_BASE_URL
from .._state import JobStateError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_TIMEOUT = 4
EXIT_BUDGET = 5
#: The API answered a code that waiting cannot fix (a spend limit, an organisation on hold).
EXIT_STOPPED = 6
EXIT_INTERRUPTED = 130


@dataclass
class Settings:
    """The global options, as given before or after the command."""

    api_key: str | None = None
    base_url: str | None = None
    api_version: str = DEFAULT_API_VERSION
    workspace_id: str | None = None
    #: `run --max-rpm`: the client's request budget per minute.
    max_rpm: int | None = None
    quiet: bool = False
    debug: bool = False
    argv: list[str] = field(default_factory=list)
    console: Console = field(
        default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True)
    )
    #: The state file of a `run`, for the resume hint after `--timeout`.
    state_path: Path | None = None

    def info(self, message: str) -> None:
        """A human message on stderr, unless `--quiet`."""
        if not self.quiet:
            self.console.print(message)

    @property
    def resolved_base_url(self) -> str:
        """The API address the commands call: `--base-url`, then the environment."""
        return self.base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL

    def client(self) -> AsyncClient:
        """A client from the options and the environment; a missing key or a bad address
        ends the command with exit 2, in the command line's words."""
        key = self.api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key and not os.environ.get("ANTHROPIC_AUTH_TOKEN"):
            self.fail("no API key: pass --api-key KEY or set ANTHROPIC_API_KEY", EXIT_USAGE)
        url = self.resolved_base_url
        problem = base_url_problem(url)
        if problem:
            where = "--base-url" if self.base_url else "ANTHROPIC_BASE_URL"
            self.fail(f"{where} {url}: {problem}", EXIT_USAGE)
        return AsyncClient(
            api_key=self.api_key,
            base_url=url,
            api_version=self.api_version,
            workspace_id=self.workspace_id,
            max_requests_per_minute=self.max_rpm,
        )

    def requests_file(
        self, path: Path, max_bytes: int, on_lines: Callable[[int], object] | None = None
    ) -> RequestsFile:
        """The requests file reader, its messages worded for the command line."""
        return RequestsFile(
            os.fspath(path), self.api_version, max_bytes, on_lines, spell_version=flag_version
        )

    @property
    def progress_bars(self) -> bool:
        """Bars only on a terminal, and never under `--quiet`."""
        return not self.quiet and self.console.is_terminal

    def fail(self, message: str, code: int = EXIT_ERROR) -> NoReturn:
        """Print one error line and leave with `code`."""
        self.console.print(f"[bold red]error:[/] {escape(message)}")
        raise typer.Exit(code)


def flag_version(version: str) -> str:
    """How the command line says "under API version V"."""
    return f"--api-version {version}"


def api_version_option(value: str) -> str:
    """`--api-version`: one the API serves, or a usage error (exit 2)."""
    if value not in API_VERSIONS:
        served = " or ".join(API_VERSIONS)
        raise typer.BadParameter(f"{value} is not one the API serves; use {served}")
    return value


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be the API's address, or `None`."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"not a URL ({exc})"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        example = "http://" + url.split("://", 1)[-1]
        return f"not an http:// or https:// address (e.g. {example})"
    return None


def connection_problem(exc: APIConnectionError, base_url: str) -> str:
    """A connection error, naming the address and what went wrong there."""
    causes: list[BaseException] = []
    seen: BaseException | None = exc.__cause__
    while seen is not None and len(causes) < 10:
        causes.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(isinstance(c, socket.gaierror) for c in causes):
        why = "its host name does not resolve (DNS)"
    elif any(isinstance(c, ssl.SSLError) for c in causes):
        tls = next(c for c in causes if isinstance(c, ssl.SSLError))
        why = f"the TLS handshake failed ({getattr(tls, 'reason', None) or tls})"
    elif any(isinstance(c, httpx.ConnectError) for c in causes):
        why = "nothing is listening there (connection refused)"
    elif any(isinstance(c, (httpx.RemoteProtocolError, httpx.ReadError)) for c in causes):
        why = "the connection was closed before an answer came"
    else:
        cause = exc.__cause__
        why = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
    return f"cannot reach the API at {base_url}: {why}"


def seconds_text(seconds: float) -> str:
    """A duration rounded for people: `2 s`, `0.5 s`, `90 s`."""
    return f"{round(seconds, 1):g} s" if seconds < 10 else f"{round(seconds):d} s"


def without_api_key(argv: list[str]) -> tuple[list[str], bool]:
    """The command line without `--api-key KEY`: the key is never printed."""
    kept: list[str] = []
    found = False
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--api-key":
            found = skip = True
        elif arg.startswith("--api-key="):
            found = True
        else:
            kept.append(arg)
    return kept, found


def resume_lines(
    settings: Settings, where: object | None = None, hide: Callable[[str], str] = str
) -> list[str]:
    """How to carry on a `run` whose state is saved (in `where`, by default the state file):
    the command to run again, never the key; `hide` rewrites each argument shown."""
    where = settings.state_path if where is None else where
    if where is None:
        return []
    argv, had_key = without_api_key(settings.argv)
    lines = [
        f"the state is saved in {where}; resume with:",
        "  " + shlex.join(["anthropic-batches", *map(hide, argv)]),
    ]
    if had_key:
        lines.append("(with your API key: --api-key or ANTHROPIC_API_KEY)")
    return lines


def _quiet_stdout() -> None:
    """stdout's reader has gone (`| head`): send what is left nowhere, so that the flush at
    exit does not fail again (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def settings_of(ctx: typer.Context) -> Settings:
    """The `Settings` the main callback stored on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def execute(settings: Settings, work: Callable[[], Coroutine[Any, Any, int | None]]) -> NoReturn:
    """Run a command's coroutine and leave with its exit code; errors become one line."""
    if settings.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    code = EXIT_ERROR
    try:
        code = asyncio.run(work()) or EXIT_OK
    except typer.Exit:
        raise
    except BrokenPipeError:
        # The reader of stdout is gone, as with `| head`: stop quietly, as cat and grep do.
        # Leaving the results stream's block closed the download.
        _quiet_stdout()
        code = EXIT_OK
    except KeyboardInterrupt:
        settings.console.print("interrupted")
        code = EXIT_INTERRUPTED
    except (RequestsFileError, BatchValidationError, JobStateError) as exc:
        _trace(settings)
        settings.console.print(f"[bold red]error:[/] {escape(str(exc))}")
        code = EXIT_BAD_INPUT
    except UnpricedModelError as exc:
        _trace(settings)
        names = ", ".join(exc.models)
        message = f"no price for {names}: --max-cost needs every model's price (--prices FILE)"
        settings.console.print(f"[bold red]error:[/] {escape(message)}")
        code = EXIT_USAGE
    except WaitTimeoutError as exc:
        _trace(settings)
        batch = exc.batch
        what = f"batch {batch.id} ({batch.processing_status})" if batch else "the batches"
        message = f"{what} did not end within the --timeout of {seconds_text(exc.timeout)}"
        settings.console.print(f"[bold red]error:[/] {escape(message)}")
        for line in resume_lines(settings):
            settings.console.print(escape(line), soft_wrap=True)
        code = EXIT_TIMEOUT
    except APIStatusError as exc:
        _trace(settings)
        stopped = stops_job(exc)
        text = stop_line(exc) if stopped else str(exc)
        settings.console.print(f"[bold red]{'stopped' if stopped else 'error'}:[/] {escape(text)}")
        code = EXIT_STOPPED if stopped else EXIT_ERROR
    except APIConnectionError as exc:
        _trace(settings)
        if isinstance(exc, APITimeoutError):
            message = f"no answer from the API at {settings.resolved_base_url} in time"
        else:
            message = connection_problem(exc, settings.resolved_base_url)
        settings.console.print(f"[bold red]error:[/] {escape(message)}")
        code = EXIT_ERROR
    except (BatchesError, OSError, ValueError) as exc:
        _trace(settings)
        settings.console.print(f"[bold red]error:[/] {escape(str(exc) or type(exc).__name__)}")
        code = EXIT_ERROR
    raise typer.Exit(code)


#: What to do about each code that stops a job, in one line.
_STOP_ADVICE = {
    ENFORCED_SPEND_LIMIT_REACHED: "the organisation's monthly spend limit is reached: raise "
    "it in the Console (Settings > Limits)",
    CONTRACT_SPEND_LIMIT_REACHED: "the contract's spend limit is reached: contact your "
    "account team",
    LINKED_ORGANIZATION_SPEND_LIMIT_REACHED: "the linked organisation reached its spend "
    "limit or is out of credit: raise it or add credit",
    ORGANIZATION_ON_HOLD: "the organisation is on hold: contact support",
}


def stop_line(exc: APIStatusError) -> str:
    """One line for a job stopped by a code waiting cannot fix: the cause, what to do, and
    that the submitted batches keep running and a re-run resumes."""
    advice = _STOP_ADVICE.get(exc.error_code or "", exc.message)
    return (
        f"{advice} ({exc.error_code}); submitted batches keep running; run the same command "
        "again to resume"
    )


def _trace(settings: Settings) -> None:
    if settings.debug:
        settings.console.print(escape(traceback.format_exc()))
