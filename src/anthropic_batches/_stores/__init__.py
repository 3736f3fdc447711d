"""Job stores: where a job's plan and progress live (see `JobStore`).

`FileStore` is the state file of a job run by one process; `PostgresStore` is shared by
every worker of a job, on as many machines as there are. `open_store` picks one by URL.
"""

from __future__ import annotations

import os

from ._base import JobStore, JobStoreError, JobSummary, LeaseLost
from ._file import FileStore
from ._postgres import SCHEMA_VERSION, PostgresStore

__all__ = [
    "SCHEMA_VERSION",
    "FileStore",
    "JobStore",
    "JobStoreError",
    "JobSummary",
    "LeaseLost",
    "PostgresStore",
    "open_store",
]

_POSTGRES = ("postgresql://", "postgres://")


def open_store(url: str | os.PathLike[str] | JobStore) -> JobStore:
    """The job store at `url`: `postgresql://...` (or `postgres://...`) for PostgreSQL, a
    path or a `file://` URL for a state file. A `JobStore` is returned as it is.

    Raises:
        JobStoreError: The URL's scheme is not one of those, or the store cannot be reached
            (see `PostgresStore`).
    """
    if isinstance(url, JobStore):
        return url
    text = os.fspath(url)
    if text.startswith(_POSTGRES):
        return PostgresStore(text)
    if text.startswith("file://"):
        return FileStore(text.removeprefix("file://"))
    if "://" in text:
        raise JobStoreError(
            text, "not a job store URL: use postgresql://... or a state file's path"
        )
    return FileStore(text)
