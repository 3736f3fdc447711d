"""A response cache: `succeeded` results kept by a digest of (API version, `params`), so a job
run again does not pay again for a request already answered.

A cached answer is the same answer, not a fresh sample: a request served from the cache gets
the bytes the API sent the first time, with its own `custom_id`. Only `succeeded` results
are stored. The default store is a local SQLite file (the standard library's `sqlite3`,
https://docs.python.org/3/library/sqlite3.html); its calls block, so a job makes them through
its backend's `run_blocking`, or from the planning pass, which blocks anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._jsonl import parse_result
from ._models import BatchResult, SucceededResult
from ._split import JobPart

__all__ = ["CacheHits", "ResponseCache", "SQLiteCache", "cache_key", "open_cache"]


def cache_key(api_version: str, params: Mapping[str, Any]) -> str:
    """The digest a request is cached under: its API version and `params`, as canonical
    JSON (sorted keys, no spaces), so key order and spacing in the input do not matter."""
    text = json.dumps(
        [api_version, params], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@runtime_checkable
class ResponseCache(Protocol):
    """Where cached results live: any object with these two (blocking) methods."""

    def get(self, key: str) -> bytes | None:
        """The result line stored under `key`, or `None`."""

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Store result lines under their keys (replacing any)."""


class SQLiteCache:
    """A response cache in one SQLite file (made if missing), safe to share between threads.

    Its connection is closed by `close()`, or when the object is garbage-collected.

    Args:
        path: The file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._closer = weakref.finalize(self, self._db.close)
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, line BLOB NOT NULL)"
            )

    def get(self, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT line FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)", items)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._closer()


def open_cache(cache: str | os.PathLike[str] | ResponseCache) -> ResponseCache:
    """A cache object: the one given, or a `SQLiteCache` of the path given."""
    if isinstance(cache, (str, os.PathLike)):
        return SQLiteCache(cache)
    return cache


_CUSTOM_ID = re.compile(rb'^\{\s*"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")')


def served(line: bytes, custom_id: str) -> BatchResult:
    """A cached result line handed out as the result of the request `custom_id`: the same
    bytes, with only the `custom_id` changed."""
    match = _CUSTOM_ID.match(line)
    if match is not None:
        new = json.dumps(custom_id, ensure_ascii=False).encode("utf-8")
        line = line[: match.start(1)] + new + line[match.end(1) :]
        return parse_result(0, line)
    result = parse_result(0, line).model_copy(update={"custom_id": custom_id})
    return result


class CacheHits:
    """The planning pass's filter: requests found in the cache are kept aside as hits (their
    `custom_id` and key), the rest go on to be planned as the job's parts.

    With a state file, the hits are recorded beside it (`STATE.cached.json`) the first time,
    and a re-run takes them from there, so the job's plan does not change when the cache has
    grown since (by the job's own results).

    Args:
        cache: The cache.
        api_version: The API version the requests are sent under.
        record: Where the hits are recorded (beside the state file), or `None`.
    """

    def __init__(
        self, cache: ResponseCache, api_version: str, record: Path | None, *, resumed: bool
    ) -> None:
        self.cache = cache
        self.api_version = api_version
        self.record = record
        self.hits: list[tuple[str, str]] = []
        self.misses = 0
        self._recorded: dict[str, str] | None = None
        if resumed and record is not None and record.exists():
            self._recorded = dict(json.loads(record.read_text(encoding="utf-8")))

    def filter(self, requests: Iterable[Any]) -> Iterator[Any]:
        """The requests not served from the cache (a blocking pass)."""
        for item in requests:
            custom_id, params = _fields(item)
            if custom_id is not None and params is not None:
                key = cache_key(self.api_version, params)
                hit = (
                    self._recorded.get(custom_id) == key
                    if self._recorded is not None
                    else self.cache.get(key) is not None
                )
                if hit:
                    self.hits.append((custom_id, key))
                    continue
            self.misses += 1
            yield item
        if self.record is not None and self._recorded is None:
            self.record.write_text(json.dumps(self.hits), encoding="utf-8")

    def results(self, start: int, stop: int) -> list[BatchResult]:
        """Hits `start` to `stop` as results, each with its own request's `custom_id` (a
        blocking read; a job reads them a slice at a time, so memory stays flat)."""
        found = []
        for custom_id, key in self.hits[start:stop]:
            line = self.cache.get(key)
            if line is None:
                raise LookupError(f"the cached result of {custom_id!r} is gone from the cache")
            found.append(served(line, custom_id))
        return found

    def keys(self, part: JobPart) -> dict[str, str]:
        """Each request's key in one part, by `custom_id` (blocking: reads the part back)."""
        version = self.api_version
        return {r["custom_id"]: cache_key(version, r["params"]) for r in part.read_requests()}

    def store(self, keys: Mapping[str, str], results: Iterable[BatchResult]) -> None:
        """Store the `succeeded` results among `results` (blocking); `keys` as `keys()`."""
        self.cache.put_many(
            (keys[r.custom_id], r.json_line())
            for r in results
            if isinstance(r.result, SucceededResult) and r.custom_id in keys
        )


def _fields(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, Mapping):
        return item.get("custom_id"), item.get("params")
    dumped = getattr(item, "model_dump", None)
    if dumped is None:
        return None, None
    data = dumped(exclude_unset=True)
    return data.get("custom_id"), data.get("params")
