"""The settings a job takes by keyword, typed once for every way of making one.

`AsyncJob.__init__` states them with their defaults and docstrings (the reference renders
them from there); `from_file`, `open` and a resubmitted job take them as `**options`, which
mypy checks against these types (PEP 692: https://peps.python.org/pep-0692/).
"""

from __future__ import annotations

import os
from typing import TypedDict

from ._cache import ResponseCache
from ._prices import PricesLike
from ._progress import ProgressCallback
from ._stores import JobStore

__all__ = ["JobOptions", "JobSettings", "Limits", "Polling"]


class Limits(TypedDict):
    """How large a part may be."""

    max_requests: int
    max_bytes: int


class Polling(TypedDict):
    """How often a job's batches are polled."""

    poll_interval: float
    max_poll_interval: float


class JobSettings(TypedDict, total=False):
    """The settings of a job, besides its store (see `AsyncJob`)."""

    state_path: str | os.PathLike[str] | None
    max_requests: int
    max_bytes: int
    poll_interval: float
    max_poll_interval: float
    on_progress: ProgressCallback | None
    max_cost: float | None
    prices: PricesLike | None
    cache: str | os.PathLike[str] | ResponseCache | None
    max_queued_requests: int | None


class JobOptions(JobSettings, total=False):
    """Every setting of a job (see `AsyncJob`)."""

    store: JobStore | str | os.PathLike[str] | None
    name: str | None
