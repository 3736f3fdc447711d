#!/usr/bin/env python3
"""Generate the sync twins from the async sources, line by line.

    python scripts/unasync.py          write src/anthropic_batches/_sync and tests/_sync
    python scripts/unasync.py --check  fail on any difference, a missing or orphan generated
                                       file, a rule that no line used, a generated file that
                                       speaks of an event loop or of concurrency, or a
                                       hand-written pair that is missing or does not match;
                                       print a diff

Standard library only. One line in, one line out, and no header, so line N of a generated
file is line N of its async source: a traceback in the twin points at the source's line.
Generated files are marked in .gitattributes (linguist-generated) and in `_sync/__init__.py`.

What truly differs between the twins (sleeping, running calls at once, running a blocking
function off the loop) is written by hand in ONE pair of modules, `_async/_backend.py` and
`_sync/_backend.py`, as httpcore's `_synchronization.py` is: the generator leaves both alone
and checks that both exist and export the same names.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAIRS = [
    (ROOT / "src/anthropic_batches/_async", ROOT / "src/anthropic_batches/_sync"),
    (ROOT / "tests/_async", ROOT / "tests/_sync"),
]
#: Written by hand on both sides (relative to a pair's folders), never generated.
#: `_backend.py` holds what differs between the twins; `__init__.py` of the sync package
#: holds the note that the rest of it is generated.
HAND_WRITTEN = {
    ROOT / "src/anthropic_batches/_async": ("__init__.py", "_backend.py"),
}
#: Hand-written pairs whose `__all__` must be the same on both sides.
SAME_NAMES = ("_backend.py",)

#: (pattern, replacement), applied in order to every line. Each must be used somewhere.
RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\baclose\b", "close"),
    (r"\baread\b", "read"),
    (r"\baiter_bytes\b", "iter_bytes"),
    (r"\baclosing\b", "closing"),
    (r"\b_async\b", "_sync"),
    (r"\basync_client\b", "client"),  # the conftest fixtures of the two clients
    (r"\bAsync([A-Z]\w*)", r"\1"),
]
COMPILED = [(re.compile(p), r) for p, r in RULES]

#: Words a generated file must not hold: what they say is not true of the sync twin.
ASYNC_WORDS = re.compile(
    r"event loop|\bconcurrent(ly)?\b|\bconcurrency\b|\basyncio\b|\bcoroutines?\b|\bawait\b",
    re.IGNORECASE,
)


def convert(text: str, used: set[int]) -> str:
    """The sync twin of an async source's text: one line for each line."""
    out = []
    for line in text.splitlines(keepends=True):
        for i, (pattern, repl) in enumerate(COMPILED):
            line, n = pattern.subn(repl, line)
            if n:
                used.add(i)
        out.append(line)
    return "".join(out)


def hand_written(src_dir: Path) -> tuple[str, ...]:
    return HAND_WRITTEN.get(src_dir, ())


def expected_files(used: set[int]) -> dict[Path, str]:
    files: dict[Path, str] = {}
    for src_dir, dst_dir in PAIRS:
        skip = hand_written(src_dir)
        for src in sorted(src_dir.rglob("*.py")):
            rel = src.relative_to(src_dir)
            if rel.as_posix() in skip:
                continue
            files[dst_dir / rel] = convert(src.read_text(encoding="utf-8"), used)
    return files


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def exported_names(path: Path) -> set[str] | None:
    """The names in a module's `__all__`, or `None` when it has no literal `__all__`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return {str(name) for name in value}
    return None


def hand_written_problems() -> list[str]:
    """A hand-written pair with a side missing, or whose sides export different names."""
    problems: list[str] = []
    for src_dir, dst_dir in PAIRS:
        for name in hand_written(src_dir):
            src, dst = src_dir / name, dst_dir / name
            missing = [p for p in (src, dst) if not p.exists()]
            problems.extend(f"missing hand-written file: {_rel(p)}" for p in missing)
            if missing or name not in SAME_NAMES:
                continue
            mine, theirs = exported_names(src), exported_names(dst)
            if mine is None or theirs is None or mine != theirs:
                problems.append(
                    f"hand-written pair exports different names: {_rel(src)} "
                    f"{sorted(mine or ())} != {_rel(dst)} {sorted(theirs or ())}"
                )
    return problems


def async_words(path: Path, text: str) -> list[str]:
    """Each line of a generated file that speaks of an event loop or of concurrency."""
    return [
        f"{_rel(path)}:{number}: the sync twin speaks of {found.group(0)!r}: "
        "word the async source so it is true of both twins"
        for number, line in enumerate(text.splitlines(), 1)
        if (found := ASYNC_WORDS.search(line))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true", help="check, do not write")
    args = parser.parse_args(argv)
    used: set[int] = set()
    files = expected_files(used)
    problems: list[str] = []
    kept = {dst / name for src, dst in PAIRS for name in hand_written(src)}
    existing = {p for _, dst in PAIRS for p in dst.rglob("*.py")} - kept
    for path in sorted(existing - set(files)):
        problems.append(f"orphan generated file (no async source): {_rel(path)}")
        if not args.check:
            path.unlink()
    for path, text in files.items():
        problems.extend(async_words(path, text))
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            if current is None:
                problems.append(f"missing generated file: {_rel(path)}")
            else:
                rel = _rel(path)
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"{rel} (on disk)",
                    f"{rel} (generated)",
                )
                problems.append(f"out of date: {rel}\n" + "".join(diff))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    problems.extend(hand_written_problems())
    problems.extend(f"unused rule: {RULES[i][0]!r}" for i in range(len(RULES)) if i not in used)
    if args.check:
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python scripts/unasync.py, and fix what it cannot", file=sys.stderr)
            return 1
        print(f"unasync: {len(files)} generated files up to date")
        return 0
    # Writing fixes drift, missing and orphan files; what it cannot fix is reported.
    unfixable = [p for p in problems if not p.startswith("orphan")]
    for problem in unfixable:
        print(problem, file=sys.stderr)
    return 1 if unfixable else 0


if __name__ == "__main__":
    sys.exit(main())
