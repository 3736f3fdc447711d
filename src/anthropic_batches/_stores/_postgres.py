"""A job store on PostgreSQL, shared by every worker of a job (psycopg 3, blocking).

Tables prefixed `anthropic_batches_`, created on first use under an advisory lock and
versioned by a row of `anthropic_batches_schema`: a database written by a newer version of
this package is refused. A job is one row of `anthropic_batches_jobs` (its name, digest and
input) and one row per part in `anthropic_batches_parts` (the plan, the progress, the lease).

A part is leased to one worker at a time with `SELECT ... FOR UPDATE SKIP LOCKED`
(https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE), for a time
measured by the server's clock; a write of a worker's part only succeeds while its lease is
live, so a worker whose lease expired (and whose part another may have taken over) creates
nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .._facts import ENDED
from .._state import JobState, PartState
from ._base import JobStore, JobStoreError, JobSummary, LeaseLost, redact
from ._rows import PART_COLUMNS, SCHEMA, TOUCH_JOB, part_state, progress

if TYPE_CHECKING:
    import psycopg

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

#: The version of the tables this code reads and writes.
SCHEMA_VERSION = 1

_LOCK_KEY = 0x616E_7468_6261  # the advisory lock held while the schema is created


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise JobStoreError(
            "postgresql://",
            "a PostgreSQL store needs psycopg: pip install 'anthropic-batches[postgres]'",
        ) from None
    return psycopg


class PostgresStore(JobStore):
    """Jobs kept in PostgreSQL, for several workers (processes, replicas, machines) on one
    job; see the module documentation.

    Connecting, and creating the tables on first use, happen here.

    Args:
        url: A libpq connection URL, `postgresql://user:password@host:port/database`.
        connect_timeout: Seconds to wait for the server.

    Raises:
        JobStoreError: psycopg is not installed, the server cannot be reached or refuses the
            credentials, or its tables were written by a newer version of this package.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        self.url = url
        pg = _import_psycopg()
        self._lock = threading.Lock()
        try:
            self._conn: psycopg.Connection[Any] = pg.connect(
                url, autocommit=True, connect_timeout=max(1, round(connect_timeout))
            )
        except pg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise JobStoreError(
                url,
                f"cannot connect to the job store ({first}); check the URL, that the server "
                "is running and reachable, and the user and password",
            ) from None
        try:
            self._ensure_schema()
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        pg = _import_psycopg()
        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    yield cur
            except pg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "lost"
                raise JobStoreError(
                    self.url, f"the job store's connection failed ({first}); run again"
                ) from None

    def _ensure_schema(self) -> None:
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS anthropic_batches_schema (version integer NOT NULL)"
            )
            cur.execute("SELECT max(version) FROM anthropic_batches_schema")
            row = cur.fetchone()
            version = None if row is None else row[0]
            if version is None:
                cur.execute(SCHEMA)
                cur.execute(
                    "INSERT INTO anthropic_batches_schema (version) VALUES (%s)", (SCHEMA_VERSION,)
                )
            elif version > SCHEMA_VERSION:
                raise JobStoreError(
                    self.url,
                    f"the job store's tables are of version {version}, newer than this "
                    f"anthropic-batches knows ({SCHEMA_VERSION}): upgrade anthropic-batches",
                )

    # -- jobs ---------------------------------------------------------------------------------

    def load(self, job: str) -> JobState | None:
        with self._transaction() as cur:
            cur.execute(
                "SELECT digest, api_version, requests, source, source_size, base_url, "
                "key_fingerprint, created_at, updated_at FROM anthropic_batches_jobs "
                "WHERE name = %s",
                (job,),
            )
            row = cur.fetchone()
            if row is None:
                return None
            cur.execute(
                f"SELECT {PART_COLUMNS} FROM anthropic_batches_parts WHERE job = %s ORDER BY part",
                (job,),
            )
            parts = [part_state(r) for r in cur.fetchall()]
        digest, api_version, requests, source, size, base_url, fingerprint, created, updated = row
        return JobState(
            digest=digest,
            api_version=api_version,
            requests=requests,
            parts=parts,
            created_at=created.isoformat(),
            updated_at=updated.isoformat(),
            source=source,
            source_size=size,
            base_url=base_url,
            key_fingerprint=fingerprint,
        )

    def create(self, job: str, state: JobState) -> JobState:
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO anthropic_batches_jobs (name, digest, api_version, requests, "
                "source, source_size, base_url, key_fingerprint) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING "
                "RETURNING name",
                (
                    job,
                    state.digest,
                    state.api_version,
                    state.requests,
                    state.source,
                    state.source_size,
                    state.base_url,
                    state.key_fingerprint,
                ),
            )
            if cur.fetchone() is not None:  # this one made it: its plan goes in with it
                cur.executemany(
                    f"INSERT INTO anthropic_batches_parts (job, {PART_COLUMNS}) VALUES "
                    f"(%s{', %s' * 20})",
                    [
                        (
                            job,
                            p.index,
                            p.start,
                            p.stop,
                            p.first_custom_id,
                            p.last_custom_id,
                            p.digest,
                            p.offset,
                            p.end,
                            p.size,
                            p.first_line,
                            p.last_line,
                            p.verbatim,
                            *progress(p).values(),
                        )
                        for p in state.parts
                    ],
                )
        stored = self.load(job)
        assert stored is not None  # inserted by this call or by the one it raced
        return stored

    def _write(
        self,
        cur: psycopg.Cursor[Any],
        job: str,
        part: PartState,
        where: str,
        worker: str | None = None,
        ttl: float = 0.0,
    ) -> int:
        cur.execute(
            "UPDATE anthropic_batches_parts SET batch_id = %(batch_id)s, "
            "submitting_at = %(submitting_at)s, newest_before = %(newest_before)s, "
            "status = %(status)s, downloaded = %(downloaded)s, usage = %(usage)s, "
            "failed = %(failed)s, bound = %(bound)s, "
            "downloaded_by = CASE WHEN %(downloaded)s AND downloaded_by IS NULL "
            "THEN %(worker)s ELSE downloaded_by END, "
            "lease_expires = CASE WHEN %(ttl)s > 0 AND lease_owner = %(worker)s "
            "THEN now() + make_interval(secs => %(ttl)s) ELSE lease_expires END "
            f"WHERE job = %(job)s AND part = %(part)s {where}",
            {
                **progress(part),
                "worker": worker,
                "ttl": ttl,
                "job": job,
                "part": part.index,
            },
        )
        return cur.rowcount

    def save_part(
        self, job: str, part: PartState, *, worker: str | None = None, ttl: float = 0.0
    ) -> None:
        with self._transaction() as cur:
            live = "AND lease_owner = %(worker)s AND lease_expires > now()"
            if not self._write(cur, job, part, "" if worker is None else live, worker, ttl):
                if worker is None:
                    raise JobStoreError(self.url, f"no job {job!r} with a part {part.index}")
                raise LeaseLost(self.url, job, part.index, worker)
            cur.execute(TOUCH_JOB, (job,))

    def save(self, job: str, state: JobState) -> None:
        with self._transaction() as cur:
            for part in state.parts:
                self._write(cur, job, part, "")
            cur.execute(TOUCH_JOB, (job,))

    # -- leases -------------------------------------------------------------------------------

    def lease(self, job: str, worker: str, ttl: float, limit: int) -> list[PartState]:
        with self._transaction() as cur:
            cur.execute(
                "SELECT part FROM anthropic_batches_parts WHERE job = %s AND NOT downloaded "
                "AND (lease_owner IS NULL OR lease_expires <= now()) "
                "ORDER BY batch_id IS NULL, part LIMIT %s FOR UPDATE SKIP LOCKED",
                (job, limit),
            )
            picked = [row[0] for row in cur.fetchall()]
            if not picked:
                return []
            cur.execute(
                "UPDATE anthropic_batches_parts SET "
                "takeovers = takeovers + (lease_owner IS NOT NULL AND lease_owner <> %(w)s)::int, "
                "leases = leases + 1, lease_owner = %(w)s, "
                "lease_expires = now() + make_interval(secs => %(ttl)s) "
                "WHERE job = %(job)s AND part = ANY(%(parts)s)",
                {"w": worker, "ttl": ttl, "job": job, "parts": picked},
            )
            cur.execute(
                f"SELECT {PART_COLUMNS} FROM anthropic_batches_parts "
                "WHERE job = %s AND part = ANY(%s) ORDER BY part",
                (job, picked),
            )
            return [part_state(r) for r in cur.fetchall()]

    def renew(self, job: str, worker: str, ttl: float, indices: Sequence[int]) -> list[int]:
        if not indices:
            return []
        with self._transaction() as cur:
            cur.execute(
                "UPDATE anthropic_batches_parts SET "
                "lease_expires = now() + make_interval(secs => %s) "
                "WHERE job = %s AND part = ANY(%s) AND lease_owner = %s "
                "AND lease_expires > now() RETURNING part",
                (ttl, job, list(indices), worker),
            )
            return sorted(row[0] for row in cur.fetchall())

    def release(self, job: str, worker: str, indices: Sequence[int]) -> None:
        if not indices:
            return
        with self._transaction() as cur:
            cur.execute(
                "UPDATE anthropic_batches_parts SET lease_owner = NULL, lease_expires = NULL "
                "WHERE job = %s AND part = ANY(%s) AND lease_owner = %s",
                (job, list(indices), worker),
            )

    def leases(self, job: str) -> dict[int, tuple[str | None, int, int, str | None]]:
        """Each part's lease owner, leases taken, takeovers and the worker that downloaded
        it, by part."""
        with self._transaction() as cur:
            cur.execute(
                "SELECT part, lease_owner, leases, takeovers, downloaded_by "
                "FROM anthropic_batches_parts WHERE job = %s ORDER BY part",
                (job,),
            )
            return {row[0]: (row[1], row[2], row[3], row[4]) for row in cur.fetchall()}

    def jobs(self) -> list[JobSummary]:
        with self._transaction() as cur:
            cur.execute(
                "SELECT j.name, count(p.part), count(p.part) FILTER (WHERE p.downloaded), "
                "count(p.part) FILTER (WHERE p.batch_id IS NOT NULL AND NOT p.downloaded "
                "AND p.status IS DISTINCT FROM %s), "
                "count(p.part) FILTER (WHERE NOT p.downloaded AND p.lease_owner IS NOT NULL "
                "AND p.lease_expires > now()), coalesce(sum(p.takeovers), 0), j.requests, "
                "j.updated_at FROM anthropic_batches_jobs j "
                "LEFT JOIN anthropic_batches_parts p ON p.job = j.name "
                "GROUP BY j.name ORDER BY j.name",
                (ENDED,),
            )
            rows = cur.fetchall()
        return [
            JobSummary(
                name=name,
                parts=parts,
                downloaded=downloaded,
                running=running,
                leases=leases,
                takeovers=int(takeovers),
                requests=requests,
                updated_at=updated.isoformat(),
            )
            for name, parts, downloaded, running, leases, takeovers, requests, updated in rows
        ]

    def close(self) -> None:
        self._conn.close()

    def __repr__(self) -> str:
        return f"<PostgresStore {redact(self.url)!r}>"
