"""A job's budget cap: the most its batches may cost, checked before each create (I/O-free
but for reading a part's requests back, which the caller runs off the event loop).

Each part's upper bound is the most its requests can cost at batch prices (`cost_ceiling`:
input at its offline ceiling, every answer at its `max_tokens`). A part is *committed* once
its create has started (it has a batch, or a create that may have made one), and its bound
is kept in the job's state, so a re-run counts what earlier runs committed. A part whose
bound would take the committed total past the cap is not submitted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ._estimates import cost_ceiling
from ._exceptions import BatchesError
from ._prices import ModelPrice
from ._split import JobPart
from ._state import JobState, PartState

__all__ = ["Budget", "BudgetError", "BudgetExceeded", "UnpricedModelError"]


class BudgetError(BatchesError):
    """A job under a budget cap that cannot go on (see the subclasses)."""


class UnpricedModelError(BudgetError):
    """A job under a budget cap names a model with no price, so its bound cannot be known;
    raised before anything is sent.

    Attributes:
        models: The models with no price.
    """

    def __init__(self, models: Sequence[str]) -> None:
        self.models = tuple(models)
        names = ", ".join(self.models)
        super().__init__(
            f"no price for {names}: a cost cap needs every model's price (add it with a price file)"
        )


class BudgetExceeded(BudgetError):
    """The next part would take the committed cost past the cap; it was not submitted.

    Attributes:
        max_cost: The cap, in US dollars.
        committed: The upper bound of every part submitted so far (this run and earlier).
        part_bound: The upper bound of the part that was not submitted.
        unsubmitted_parts: How many parts have no batch.
        unsubmitted_requests: How many requests they hold.
    """

    def __init__(
        self,
        *,
        max_cost: float,
        committed: float,
        part_bound: float,
        unsubmitted_parts: int,
        unsubmitted_requests: int,
    ) -> None:
        self.max_cost = max_cost
        self.committed = committed
        self.part_bound = part_bound
        self.unsubmitted_parts = unsubmitted_parts
        self.unsubmitted_requests = unsubmitted_requests
        super().__init__(
            f"the cost cap ${max_cost:,.4f} is reached: ${committed:,.4f} committed, the next "
            f"part would add up to ${part_bound:,.4f}; {unsubmitted_parts} part(s) of "
            f"{unsubmitted_requests} request(s) left unsubmitted"
        )


def part_bound(part: JobPart, prices: Mapping[str, ModelPrice]) -> float:
    """The most one part's requests can cost at batch prices (reads the part back).

    Raises:
        UnpricedModelError: A request names a model with no price.
    """
    bound, unpriced = cost_ceiling((r["params"] for r in part.read_requests()), prices)
    if unpriced:
        raise UnpricedModelError(unpriced)
    return bound


def committed(state: JobState) -> float:
    """The upper bound of every part whose create has started (by this run or an earlier one)."""
    return math.fsum(p.bound or 0.0 for p in state.parts if _started(p))


def _started(saved: PartState) -> bool:
    return saved.batch_id is not None or saved.submitting_at is not None


class Budget:
    """The cap of one job, with each part's bound computed once.

    Args:
        max_cost: The cap, in US dollars.
        prices: The price table in force.
    """

    def __init__(self, max_cost: float, prices: Mapping[str, ModelPrice]) -> None:
        if not max_cost >= 0 or math.isinf(max_cost):
            raise ValueError(f"max_cost must be a finite number of dollars >= 0, not {max_cost}")
        self.max_cost = max_cost
        self.prices = prices
        self._bounded = False

    def bound_all(self, parts: Sequence[JobPart], state: JobState) -> None:
        """Record the bound of every part that has none (a blocking pass over the input),
        once per job: a model with no price is refused before the first create."""
        if self._bounded:
            return
        for part, saved in zip(parts, state.parts, strict=True):
            if saved.bound is None:
                saved.bound = part_bound(part, self.prices)
        self._bounded = True

    def admit(self, parts: Sequence[JobPart], state: JobState, index: int) -> None:
        """Check that part `index` fits under the cap (its bound is recorded in the state,
        and counts as committed once its create starts).

        Raises:
            UnpricedModelError: A request of the job names a model with no price.
            BudgetExceeded: The part would take the committed total past the cap.
        """
        self.bound_all(parts, state)
        if _started(state.parts[index]):
            return  # a create cut off: counted already
        bound = state.parts[index].bound or 0.0
        spent = committed(state)
        # A bound equal to the room left fits, whatever the rounding of the sums.
        if spent + bound > self.max_cost and not math.isclose(spent + bound, self.max_cost):
            left = [p for p in state.parts if not _started(p)]
            raise BudgetExceeded(
                max_cost=self.max_cost,
                committed=spent,
                part_bound=bound,
                unsubmitted_parts=len(left),
                unsubmitted_requests=sum(p.stop - p.start for p in left),
            )
