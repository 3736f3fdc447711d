"""The fleet: an emulator on the wall clock over loopback, a throwaway PostgreSQL cluster,
and a requests file, for several workers on one job."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import write_requests
from helpers import KEY

# S3 on loopback (moto), as the object-storage tests have it.
from objects.conftest import bucket, s3, s3_server
from postgres_cluster import PostgresCluster, postgres_cluster

from anthropic_batches.emulator import EmulatorServer

__all__ = [
    "bucket",
    "fleet_server",
    "pg_url",
    "postgres_cluster",
    "requests_file",
    "s3",
    "s3_server",
]

_numbers = itertools.count()

#: How long the emulator takes to end a batch: short, so a job of a few parts takes seconds.
PROCESS_SECONDS = 0.6


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a new, empty database of the session's cluster."""
    return postgres_cluster.new_database(f"fleet_{next(_numbers)}")


@pytest.fixture
def fleet_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(api_keys=[KEY], process_seconds=PROCESS_SECONDS) as server:
        yield server


@pytest.fixture
def requests_file(tmp_path: Path) -> Path:
    return write_requests(tmp_path / "requests.jsonl", 24)
