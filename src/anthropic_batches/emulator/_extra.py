"""The emulator's optional dependencies: imported first by the package, so that without the
`emulator` extra a user reads which extra to install, in one line, rather than a traceback
ending in `No module named 'starlette'`."""

from __future__ import annotations

import sys

#: The emulator extra's modules, and what a user without them is told.
EXTRA_MODULES = ("starlette", "uvicorn", "typer")
EXTRA_HINT = 'the emulator needs the emulator extra: pip install "anthropic-batches[emulator]"'

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ModuleNotFoundError as exc:
    if (exc.name or "").partition(".")[0] not in EXTRA_MODULES:
        raise
    if sys.argv[:1] == ["-m"]:
        # `python -m anthropic_batches.emulator` (the package is imported before its
        # __main__): a command line, so one line and the usage exit status, no traceback.
        sys.stderr.write(f"error: {EXTRA_HINT} (no module named {exc.name!r})\n")
        raise SystemExit(2) from None
    raise ModuleNotFoundError(
        f"{EXTRA_HINT} (no module named {exc.name!r})", name=exc.name
    ) from None
