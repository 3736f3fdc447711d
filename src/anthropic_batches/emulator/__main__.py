"""`python -m anthropic_batches.emulator`: serve the emulator (see `--help`)."""

from __future__ import annotations

import sys

from ._server import serve_main

if __name__ == "__main__":
    sys.exit(serve_main())
