"""What every command shares: the global options, the console, the client, exit codes, and
turning errors into one clear line and an exit code."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from .. import AsyncClient, BatchesError, BatchValidationError, WaitTimeoutError
from .._requests_file import RequestsFileError
from .._shared import DEFAULT_API_VERSION
from .._state import JobStateError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_TIMEOUT = 4
EXIT_INTERRUPTED = 130


@dataclass
class Settings:
    """The global options, as given before or after the command."""

    api_key: str | None = None
    base_url: str | None = None
    api_version: str = DEFAULT_API_VERSION
    quiet: bool = False
    debug: bool = False
    argv: list[str] = field(default_factory=list)
    console: Console = field(
        default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True)
    )

    def info(self, message: str) -> None:
        """A human message on stderr, unless `--quiet`."""
        if not self.quiet:
            self.console.print(message)

    def client(self) -> AsyncClient:
        """A client from the options and the environment."""
        try:
            return AsyncClient(
                api_key=self.api_key, base_url=self.base_url, api_version=self.api_version
            )
        except BatchesError as exc:
            self.fail(f"{exc} (set ANTHROPIC_API_KEY or pass --api-key)", EXIT_USAGE)

    @property
    def progress_bars(self) -> bool:
        """Bars only on a terminal, and never under `--quiet`."""
        return not self.quiet and self.console.is_terminal

    def fail(self, message: str, code: int = EXIT_ERROR) -> NoReturn:
        """Print one error line and leave with `code`."""
        self.console.print(f"[bold red]error:[/] {escape(message)}")
        raise typer.Exit(code)


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
    except KeyboardInterrupt:
        settings.console.print("interrupted")
        code = EXIT_INTERRUPTED
    except RequestsFileError as exc:
        _trace(settings)
        settings.console.print(f"[bold red]error:[/] {escape(str(exc))}")
        code = EXIT_BAD_INPUT
    except (BatchValidationError, JobStateError) as exc:
        _trace(settings)
        settings.console.print(f"[bold red]error:[/] {escape(str(exc))}")
        code = EXIT_BAD_INPUT
    except WaitTimeoutError as exc:
        _trace(settings)
        settings.console.print(f"[bold red]error:[/] {escape(str(exc))}")
        code = EXIT_TIMEOUT
    except (BatchesError, OSError, ValueError) as exc:
        _trace(settings)
        settings.console.print(f"[bold red]error:[/] {escape(str(exc) or type(exc).__name__)}")
        code = EXIT_ERROR
    raise typer.Exit(code)


def _trace(settings: Settings) -> None:
    if settings.debug:
        settings.console.print(escape(traceback.format_exc()))
