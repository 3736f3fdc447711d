"""What `list()` answers: the first page, or every batch across all pages.

As the official SDK's lists: iterating walks every page, fetched one at a time as it goes
(toward older batches, or toward newer ones when `before_id` is given); the first page alone
is there too (see `FirstPage` in the backend for how each twin gives it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._models import MessageBatch, Page
from ._backend import FirstPage

if TYPE_CHECKING:
    from .._shared import NotGiven
    from .batches import Batches
    from .client import TimeoutTypes

__all__ = ["Pager"]


class Pager(FirstPage):
    """The answer of `list()`: every batch with `for`, one page in memory at a time;
    the first page with `first_page()`.

    Attributes:
        params: The query of the first page (`limit`, `before_id`, `after_id`).
    """

    def __init__(
        self,
        batches: Batches,
        params: dict[str, Any],
        timeout: TimeoutTypes | NotGiven,
    ) -> None:
        self._batches = batches
        self.params = params
        self._timeout = timeout
        self._first: Page[MessageBatch] | None = None
        self._started()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.params}>"

    def first_page(self) -> Page[MessageBatch]:
        """The first page (fetched once, on first use)."""
        if self._first is None:
            self._first = self._batches._page(dict(self.params), self._timeout)
        return self._first

    def __iter__(self) -> Iterator[MessageBatch]:
        params = dict(self.params)
        backward = "before_id" in params
        page = self.first_page()
        while True:
            for batch in page.data:
                yield batch
            if not page.has_more or not page.data:
                return
            if backward:
                params["before_id"] = page.first_id
            else:
                params["after_id"] = page.last_id
            page = self._batches._page(dict(params), self._timeout)
