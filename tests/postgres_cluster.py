"""A throwaway PostgreSQL cluster of Debian's server packages, for the job store tests.

`initdb` into a temporary folder owned by the `postgres` user (the server refuses to run as
root), started with `pg_ctl` on a free loopback port with trust authentication and its socket
in that folder; stopped and removed at the end of the session. A cluster left running by a
session that was killed (its `owner` process gone) is stopped and removed by the next one.
Without the server binaries the tests that need it are skipped, loudly: `scripts/install`
installs them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresCluster", "postgres_cluster"]


@dataclass
class PostgresCluster:
    """A running cluster: `url(database)` to reach it as the superuser `postgres`."""

    port: int
    folder: str
    bin: str
    process_user: str | None

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        secret = f":{password}" if password is not None else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run `sql` as the superuser; its output."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(sql)
            return "" if cur.description is None else repr(cur.fetchall())

    def new_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _as_user(user: str | None, args: list[str]) -> list[str]:
    if user is None:
        return args
    return ["runuser", "-u", user, "--", *args]


_running: PostgresCluster | None = None
PREFIX = "anthropic-batches-pg-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_orphans(bin_dir: str, user: str | None) -> None:
    """Stop and remove the clusters of sessions that were killed before their end."""
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*")):
        try:
            owner = int(Path(folder, "owner").read_text())
        except (OSError, ValueError):
            continue  # another session's, still being set up, or not one of ours
        if not _alive(owner):
            _stop(PostgresCluster(0, folder, bin_dir, user))


def _start() -> PostgresCluster:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip(
            "PostgreSQL SKIPPED: the server's binaries (/usr/lib/postgresql/*/bin/initdb) are "
            "missing; run scripts/install (as root it installs Debian's postgresql package)"
        )
    bin_dir = os.path.dirname(found[-1])
    user = None  # the server refuses to run as root: as `postgres`, or `nobody` without it
    if os.geteuid() == 0:
        user = "postgres" if _exists("postgres") else "nobody"
    _remove_orphans(bin_dir, user)
    folder = tempfile.mkdtemp(prefix=PREFIX)
    Path(folder, "owner").write_text(str(os.getpid()))
    if user is not None:
        shutil.chown(folder, user)
    data = os.path.join(folder, "data")
    subprocess.run(
        _as_user(user, [f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "-A", "trust"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c max_connections=50"
    )
    subprocess.run(
        _as_user(
            user,
            [f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", f"{folder}/log", "-w", "start"],
        ),
        check=True,
        capture_output=True,
    )
    return PostgresCluster(port, folder, bin_dir, user)


def _stop(cluster: PostgresCluster) -> None:
    data = os.path.join(cluster.folder, "data")
    subprocess.run(
        _as_user(
            cluster.process_user, [f"{cluster.bin}/pg_ctl", "-D", data, "-m", "immediate", "stop"]
        ),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One cluster for the whole session (shared by every folder that asks for it)."""
    global _running
    if _running is None:
        _running = _start()
    yield _running
    if _running is not None:
        cluster, _running = _running, None
        _stop(cluster)
