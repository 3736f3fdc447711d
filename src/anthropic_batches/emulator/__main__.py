"""`python -m anthropic_batches.emulator`: serve the emulator (see `--help`)."""

from __future__ import annotations

import sys

from ._extra import EXTRA_HINT, EXTRA_MODULES

try:
    from ._command import main
except ModuleNotFoundError as exc:  # typer: part of the extra, needed only by the command
    if (exc.name or "").partition(".")[0] not in EXTRA_MODULES:
        raise
    sys.stderr.write(f"error: {EXTRA_HINT} (no module named {exc.name!r})\n")
    raise SystemExit(2) from None

if __name__ == "__main__":
    main()
