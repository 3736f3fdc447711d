"""Ids in the API's formats: `msgbatch_...`, `req_...` and `msg_...`.

Batch ids begin with a sequence number in fixed-width base62, so they sort in creation order
(the list's "newest first" and its cursors rely on it); the rest of every id is drawn from a
seeded random generator or, for messages, from a digest, so runs are reproducible.
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["BATCH_ID_PREFIX", "base62", "batch_id", "message_id", "request_id"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: What every batch id begins with. TODO facts: the id prefix is not in the facts table yet.
BATCH_ID_PREFIX = "msgbatch_"
#: Base62 digits of a batch id's sequence number: milliseconds since the epoch fit until
#: the year 8000 or so.
_SEQUENCE_WIDTH = 8


def base62(data: bytes, length: int) -> str:
    """`length` base62 characters drawn from the first bytes of `data` (not reversible)."""
    return "".join([BASE62[b % 62] for b in data[:length]])


def _sortable(number: int) -> str:
    """`number` in zero-padded base62: sorts like the number (ASCII order)."""
    digits = []
    for _ in range(_SEQUENCE_WIDTH):
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    if number:
        raise OverflowError("batch sequence exhausted")
    return "".join(reversed(digits))


def batch_id(sequence: int, rng: random.Random) -> str:
    """A `msgbatch_...` id that sorts by `sequence`."""
    return f"{BATCH_ID_PREFIX}01{_sortable(sequence)}{base62(rng.randbytes(14), 14)}"


def request_id(rng: random.Random) -> str:
    """A `req_...` id, as sent in the `request-id` header."""
    return "req_01" + base62(rng.randbytes(24), 22)


def message_id(batch: str, custom_id: str) -> str:
    """The deterministic `msg_...` id of a request's answer."""
    digest = hashlib.sha256(f"{batch}\x00{custom_id}".encode("utf-8", "surrogatepass")).digest()
    return "msg_01" + base62(digest, 22)
