"""A stored batch, the names of its states, and timestamps as the API writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from .._facts import ProcessingStatus, ResultType

__all__ = [
    "CANCELED",
    "CANCELING",
    "ERRORED",
    "EXPIRED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "Batch",
    "rfc3339",
]

# TODO facts: the facts table names only `ENDED`; these name the other values it lists
# (mypy checks each against `ProcessingStatus` and `ResultType`).
IN_PROGRESS: Final[ProcessingStatus] = "in_progress"
CANCELING: Final[ProcessingStatus] = "canceling"
SUCCEEDED: Final[ResultType] = "succeeded"
ERRORED: Final[ResultType] = "errored"
CANCELED: Final[ResultType] = "canceled"
EXPIRED: Final[ResultType] = "expired"


@dataclass(eq=False)
class Batch:
    """A batch as the emulator keeps it; times are epoch seconds.

    Until the batch ends it holds each request's `params` (compact JSON); from then on, its
    result counts and its result lines in compressed chunks (`None` once archived).
    """

    id: str
    owner: str
    api_version: str
    created_at: float
    expires_at: float
    custom_ids: list[str]
    params: list[bytes] | None
    cancel_at: float | None = None
    ended_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    chunks: list[bytes] | None = None
    downloads: int = 0

    @property
    def size(self) -> int:
        """How many requests the batch holds."""
        return len(self.custom_ids)


def rfc3339(epoch: float | None) -> str | None:
    """Epoch seconds as RFC 3339 with microseconds and `Z`, as the API writes timestamps."""
    if epoch is None:
        return None
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )
