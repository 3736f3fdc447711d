"""The throwaway PostgreSQL cluster, and a fresh database for each test."""

from __future__ import annotations

import itertools

import pytest
from postgres_cluster import PostgresCluster, postgres_cluster

__all__ = ["pg_url", "postgres_cluster"]

_numbers = itertools.count()


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a new, empty database of the session's cluster."""
    return postgres_cluster.new_database(f"stores_{next(_numbers)}")
