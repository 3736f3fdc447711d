"""The PostgreSQL store's tables, and a part's row as a `PartState` (no I/O)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._joins import FailedRequest
from .._state import PartState

__all__ = ["PART_COLUMNS", "SCHEMA", "TOUCH_JOB", "part_state", "progress"]

#: The tables of schema version 1 (`_postgres.SCHEMA_VERSION`).
SCHEMA = """
CREATE TABLE IF NOT EXISTS anthropic_batches_jobs (
    name text PRIMARY KEY,
    digest text NOT NULL,
    api_version text NOT NULL,
    requests integer NOT NULL,
    source text,
    source_size bigint,
    base_url text,
    key_fingerprint text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS anthropic_batches_parts (
    job text NOT NULL REFERENCES anthropic_batches_jobs (name) ON DELETE CASCADE,
    part integer NOT NULL,
    start_position integer NOT NULL,
    stop_position integer NOT NULL,
    first_custom_id text NOT NULL,
    last_custom_id text NOT NULL,
    digest text NOT NULL,
    byte_offset bigint,
    byte_end bigint,
    size bigint,
    first_line integer,
    last_line integer,
    verbatim boolean,
    batch_id text,
    submitting_at text,
    newest_before text,
    status text,
    downloaded boolean NOT NULL DEFAULT false,
    usage jsonb,
    failed jsonb NOT NULL DEFAULT '[]',
    bound double precision,
    lease_owner text,
    lease_expires timestamptz,
    leases integer NOT NULL DEFAULT 0,
    takeovers integer NOT NULL DEFAULT 0,
    downloaded_by text,
    PRIMARY KEY (job, part)
);
"""

_PLAN = (
    "start_position, stop_position, first_custom_id, last_custom_id, digest, byte_offset, "
    "byte_end, size, first_line, last_line, verbatim"
)
_PROGRESS = "batch_id, submitting_at, newest_before, status, downloaded, usage, failed, bound"
PART_COLUMNS = f"part, {_PLAN}, {_PROGRESS}"
#: A job's `updated_at` set to now, after a write of its parts.
TOUCH_JOB = "UPDATE anthropic_batches_jobs SET updated_at = now() WHERE name = %s"


def part_state(row: Sequence[Any]) -> PartState:
    (index, start, stop, first, last, digest, offset, end, size, first_line, last_line) = row[:11]
    (verbatim, batch_id, submitting_at, newest_before, status, downloaded) = row[11:17]
    usage, failed, bound = row[17:20]
    return PartState(
        index=index,
        start=start,
        stop=stop,
        first_custom_id=first,
        last_custom_id=last,
        digest=digest,
        offset=offset,
        end=end,
        size=size,
        first_line=first_line,
        last_line=last_line,
        verbatim=verbatim,
        batch_id=batch_id,
        submitting_at=submitting_at,
        newest_before=newest_before,
        status=status,
        downloaded=downloaded,
        usage=usage,
        failed=[FailedRequest.from_saved(f) for f in failed or []],
        bound=bound,
    )


def progress(part: PartState) -> dict[str, Any]:
    """A part's progress as its row holds it, by column (in the order of `PART_COLUMNS`)."""
    return {
        "batch_id": part.batch_id,
        "submitting_at": part.submitting_at,
        "newest_before": part.newest_before,
        "status": part.status,
        "downloaded": part.downloaded,
        "usage": None if part.usage is None else json.dumps(part.usage),
        "failed": json.dumps([[f.custom_id, f.result_type, f.error_type] for f in part.failed]),
        "bound": part.bound,
    }
