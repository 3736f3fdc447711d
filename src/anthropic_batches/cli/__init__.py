"""The `anthropic-batches` command line (install the `cli` extra).

Global options (`--api-key`, `--base-url`, `--api-version`, `--quiet`, `--debug`) are
accepted before or after the command.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_WITH_VALUE = ("--api-key", "--base-url", "--api-version", "--workspace-id")
_FLAGS = ("--quiet", "-q", "--debug")
#: Commands whose own options must not be read as global ones.
_PASS_THROUGH = ("emulator",)


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """Move global options found after the command to before it, where the parser wants them."""
    args = list(argv)
    command = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    # A value of a leading global option is not the command.
    while command is not None and command > 0 and args[command - 1] in _WITH_VALUE:
        command = next(
            (i for i in range(command + 1, len(args)) if not args[i].startswith("-")), None
        )
    if command is None or args[command] in _PASS_THROUGH:
        return args
    head, rest = args[: command + 1], args[command + 1 :]
    hoisted: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            kept.extend(rest[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in _FLAGS:
            hoisted.append(arg)
        elif name in _WITH_VALUE:
            if "=" in arg:
                hoisted.append(arg)
            elif i + 1 < len(rest):
                hoisted.extend(rest[i : i + 2])
                i += 1
            else:
                kept.append(arg)
        else:
            kept.append(arg)
        i += 1
    return head[:command] + hoisted + head[command:] + kept


#: The `cli` extra's modules (it includes the emulator's), and what a user without them is told.
EXTRA_MODULES = ("typer", "rich", "starlette", "uvicorn")
EXTRA_HINT = 'the command line needs the cli extra: pip install "anthropic-batches[cli]"'


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; exits with the command's exit code."""
    try:
        from ._app import app
        from ._common import Settings

        args = list(sys.argv[1:] if argv is None else argv)
        app(
            args=hoist_global_options(args),
            prog_name="anthropic-batches",
            obj=Settings(argv=args),
        )
    except ModuleNotFoundError as exc:
        # `pip install anthropic-batches` without the extra still installs the command; the
        # emulator's modules are imported only by the commands that serve it.
        if (exc.name or "").partition(".")[0] not in EXTRA_MODULES:
            raise
        sys.stderr.write(f"error: {EXTRA_HINT} (no module named {exc.name!r})\n")
        raise SystemExit(2) from None
