"""Scale-out tests: several Daphne processes behind Caddy (tests/scale/cluster.py). They need
PostgreSQL, Redis and Debian's caddy; in CI a missing caddy fails them instead of skipping."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.scale.cluster import Cluster, require_caddy


@pytest.fixture
def cluster_of(transactional_db: None) -> Iterator[Callable[..., Cluster]]:
    """``cluster_of(n, env=None)`` starts ``n`` Daphne processes behind Caddy (``env`` added
    to theirs); all stop after the test."""
    started: list[Cluster] = []

    def start(size: int, env: dict[str, str] | None = None) -> Cluster:
        require_caddy()
        cluster = Cluster(size, env)
        started.append(cluster)
        return cluster.start()

    try:
        yield start
    finally:
        for cluster in started:
            cluster.stop()
