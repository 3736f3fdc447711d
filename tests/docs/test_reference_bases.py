"""The API reference names only public bases: the models' shared private base (`_Model`) is
left out of their "Bases:" line by the docs' griffe extension, and public bases stay."""

from __future__ import annotations

from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[2]


def bases_in_reference(*names: str) -> dict[str, list[str]]:
    extension = str(ROOT / "docs" / "_ext" / "public_bases.py") + ":PublicBases"
    loader = griffe.GriffeLoader(
        extensions=griffe.load_extensions(extension), search_paths=[str(ROOT / "src")]
    )
    package = loader.load("anthropic_batches")
    loader.resolve_aliases(external=False)
    return {name: [str(b) for b in package[name].final_target.bases] for name in names}


def test_private_bases_are_left_out_and_public_ones_kept() -> None:
    bases = bases_in_reference("MessageBatch", "NotFoundError", "Page")
    assert bases["MessageBatch"] == []
    assert bases["NotFoundError"] == ["APIStatusError"]
    assert bases["Page"] == ["Generic[T]"]
