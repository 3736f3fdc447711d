"""The `custom_id`s a checker has seen, in little memory however many there are (I/O-free).

A batch's ids are kept as they are; a job's, past a size, as their 64-bit hashes, so a job
of millions of requests finds every duplicate in one pass without holding every id.
"""

from __future__ import annotations

from array import array

__all__ = ["SeenIds"]


class SeenIds:
    """The `custom_id`s seen so far, each with the position of its first use.

    Up to `exact` ids they are kept as they are; past it (a job, not a batch) as their 64-bit
    string hashes (`hash()`, fixed for the life of the process) in open-addressing tables of
    machine words (12 to 24 bytes an id instead of about 150), in 256 shards so that no table
    is ever copied whole. Two different ids share a hash with odds of about n² / 2⁶⁵ (one in
    ten million for two million ids).
    """

    _SHARDS = 256

    def __init__(self, exact: int = 100_000) -> None:
        self.exact = exact
        self._ids: dict[str, int] | None = {}
        self._keys: list[array[int]] = []
        self._firsts: list[array[int]] = []
        self._used: list[int] = []

    def add(self, cid: str, position: int) -> int | None:
        """Remember `cid`; return the position of its first use if it was seen before."""
        ids = self._ids
        if ids is not None:
            first = ids.setdefault(cid, position)
            if first != position:
                return first
            if len(ids) > self.exact:
                self._to_digests(ids)
            return None
        # Written out in one function: this runs once per request of a large job.
        key = (hash(cid) & 0xFFFF_FFFF_FFFF_FFFF) | 1
        shard = key & 0xFF
        keys = self._keys[shard]
        mask = len(keys) - 1
        slot = (key >> 8) & mask
        found = keys[slot]
        while found:
            if found == key:
                return int(self._firsts[shard][slot])
            slot = (slot + 1) & mask
            found = keys[slot]
        keys[slot] = key
        self._firsts[shard][slot] = position if position < 0xFFFFFFFF else 0xFFFFFFFF
        used = self._used
        used[shard] += 1
        if used[shard] * 4 > mask * 3:
            self._grow(shard)
        return None

    def _to_digests(self, ids: dict[str, int]) -> None:
        self._ids = None
        self._keys = [array("Q", bytes(8 * 1024)) for _ in range(self._SHARDS)]
        self._firsts = [array("I", bytes(4 * 1024)) for _ in range(self._SHARDS)]
        self._used = [0] * self._SHARDS
        for cid, position in ids.items():
            self.add(cid, position)

    def _grow(self, shard: int) -> None:
        old_keys, old_firsts = self._keys[shard], self._firsts[shard]
        size = 2 * len(old_keys)
        keys, firsts = array("Q", bytes(8 * size)), array("I", bytes(4 * size))
        mask = size - 1
        for key, first in zip(old_keys, old_firsts, strict=True):
            if key:
                slot = (key >> 8) & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot], firsts[slot] = key, first
        self._keys[shard], self._firsts[shard] = keys, firsts
