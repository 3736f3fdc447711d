"""What a job decides each round while it waits, without I/O: whether a part has queue room,
which batches one list page answers, how long to pause, and which errors stop the job.

The Message Batches API caps the batch requests an organisation may have waiting in its
processing queue, and the requests per minute to its endpoints
(https://docs.anthropic.com/en/api/rate-limits, "Message Batches API"). So a job submits a
part only when it fits under its own `max_queued_requests`, treats a 429 on a create as "no
room yet" (unless its `error.details.error_code` says waiting cannot help:
https://docs.anthropic.com/en/api/errors), and polls its unfinished batches with one `list`
page per round, asking for a batch on its own only when the page does not show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ._exceptions import APIStatusError, RateLimitError
from ._facts import STOP_ERROR_CODES
from ._models import MessageBatch

__all__ = ["Round", "has_room", "next_interval", "poll_plan", "stops_job", "waits_for_room"]

#: How much the pause between rounds grows each round.
GROWTH = 1.5


def has_room(in_processing: int, size: int, max_queued: int | None) -> bool:
    """Whether a part of `size` requests may be created now.

    A part always may when none of the job's requests are processing (else a part larger
    than the cap could never go); otherwise only within the cap.
    """
    if max_queued is None or in_processing == 0:
        return True
    return in_processing + size <= max_queued


def stops_job(exc: BaseException) -> bool:
    """An error after which waiting cannot help (a spend limit reached, an organisation on
    hold): the job stops at once, keeping its state."""
    return isinstance(exc, APIStatusError) and exc.error_code in STOP_ERROR_CODES


def waits_for_room(exc: BaseException) -> bool:
    """A create refused for now: a rate limit (the queue is full, too many requests, a ramp
    limit), which time or a batch ending lifts."""
    return isinstance(exc, RateLimitError) and not stops_job(exc)


@dataclass(frozen=True)
class Round:
    """One poll round's plan.

    Attributes:
        use_list: Whether to read one list page first.
        found: The batches that page showed, by id (filled by `poll_plan`).
        by_id: The ids to ask for one by one.
    """

    use_list: bool
    found: Mapping[str, MessageBatch]
    by_id: tuple[str, ...]


def poll_plan(unfinished: Iterable[str], page: Iterable[MessageBatch] | None) -> Round:
    """Which unfinished batches a list page answers, and which need their own call.

    With `page` `None`, the plan before any call: a list page is worth reading when more
    than one batch is unfinished (one GET answers a single batch as cheaply).
    """
    wanted = list(dict.fromkeys(unfinished))
    if page is None:
        use_list = len(wanted) > 1
        return Round(use_list, {}, () if use_list else tuple(wanted))
    shown = {batch.id: batch for batch in page}
    found = {i: shown[i] for i in wanted if i in shown}
    return Round(True, found, tuple(i for i in wanted if i not in shown))


def next_interval(interval: float, asked: float | None, max_interval: float) -> float:
    """The pause before the next round: at least what the API asked (`retry-after`), at most
    `max_interval`; then the interval grows."""
    return min(max(interval, asked or 0.0), max_interval)
