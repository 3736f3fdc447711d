"""`python -m anthropic_batches.emulator`: serve the emulator (see `--help`)."""

from __future__ import annotations

from ._command import main

if __name__ == "__main__":
    main()
