"""What a job needs to resume safely (I/O-free): telling the batch a create cut off before
its answer had made, whether a refused create or cancel made or ended anything, where a job's
spool goes, and a fingerprint of the credential its batches belong to."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import httpx

from ._exceptions import APIConnectionError, APIStatusError
from ._facts import error_type_for_status
from ._models import MessageBatch
from ._shared import Settings

__all__ = [
    "CLOCK_SKEW",
    "UnrecordedBatchMatch",
    "cut_off_since",
    "key_fingerprint",
    "nothing_created",
    "refusal_may_mean_ended",
    "spool_path",
]


class _HasSettings(Protocol):
    @property
    def _settings(self) -> Settings: ...


#: Error types of a refused cancel that may mean the batch has ended meanwhile.
_MAY_HAVE_ENDED = frozenset({"invalid_request_error", "conflict_error"})


def refusal_may_mean_ended(status_code: int) -> bool:
    """Whether the API's refusal of a cancel may mean the batch has ended meanwhile (the
    API documents no status for that case), so reading the batch can tell; others
    (authentication, permission, not found, rate limit, server errors) say nothing of it."""
    return error_type_for_status(status_code) in _MAY_HAVE_ENDED


#: How far the API's clock may be behind this machine's, for `cut_off_since`.
CLOCK_SKEW = timedelta(minutes=5)


def cut_off_since(submitting_at: str | None) -> datetime | None:
    """The earliest a batch made by a create started at `submitting_at` can say it was
    created (less a margin for clock skew), or `None` when the time cannot be read."""
    try:
        return datetime.fromisoformat(submitting_at or "") - CLOCK_SKEW
    except ValueError:
        return None


class UnrecordedBatchMatch:
    """Which listed batch a create cut off before its answer was recorded had made (I/O-free).

    A process killed after the API created a batch but before the state was saved would
    otherwise submit the part again. The API takes no idempotency key, so the batch is
    recognised by what is known of it: listed after the newest batch seen just before the
    create (the caller lists only those), or created `since` the create started; as many
    requests as the part; and not one of the job's batches. Only a single such batch is
    taken: with more (another process creating batches of the same size at the same
    moment), which one is the part's cannot be told.

    Feed it the listed batches, newest first, while `feed` returns true; then read `batch`.

    Args:
        known: The batch ids the job has recorded.
        size: How many requests the part holds.
        since: When given, batches created before it are not the create's.
    """

    def __init__(self, *, known: Iterable[str], size: int, since: datetime | None = None):
        self.known = frozenset(known)
        self.size = size
        self.since = since
        self.candidates: list[MessageBatch] = []

    def feed(self, batch: MessageBatch) -> bool:
        """Look at the next batch listed; returns whether batches listed after it (older
        ones) may still match."""
        if self.since is not None and batch.created_at < self.since:
            return False
        if batch.id not in self.known and batch.request_counts.total == self.size:
            self.candidates.append(batch)
        return True

    @property
    def batch(self) -> MessageBatch | None:
        """The one batch that matches, or `None` when none or several do."""
        return self.candidates[0] if len(self.candidates) == 1 else None


def spool_path(state_path: Path) -> Path:
    """Where a job with this state file spools its requests: beside it."""
    return state_path.with_name(state_path.name + ".requests.jsonl")


def key_fingerprint(client: _HasSettings) -> str:
    """A short SHA-256 of the client's credential, to tell two accounts apart without ever
    writing the credential down."""
    settings = client._settings
    credential = settings.api_key or settings.auth_token or ""
    return "sha256:" + hashlib.sha256(credential.encode()).hexdigest()[:16]


def nothing_created(exc: APIStatusError | APIConnectionError) -> bool:
    """Whether a failed create certainly made no batch: the API refused it (4xx), or the
    connection was never made. A timeout, a dropped connection or a 5xx may have made one."""
    if isinstance(exc, APIStatusError):
        return 400 <= exc.status_code < 500
    return isinstance(exc.__cause__, httpx.ConnectError)
