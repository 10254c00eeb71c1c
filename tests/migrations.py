"""Running a data migration's test against an older schema, then coming back.

A migration test moves the test database back to the migration before the one it tests,
writes rows as the old code would have, and migrates forward again. Two things go wrong if
each test does this by hand: the historical models must be the state the database is really
in (not the state of every other app's latest migration, which can depend on a newer
migration of the app being tested), and a test that fails halfway must not leave the
database behind for every test after it. :func:`migrate` and :func:`back_to_latest` do both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Node = tuple[str, str]


def latest() -> list[Node]:
    """Every app's newest migration."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(targets: list[Node]) -> Apps:
    """Migrate the database to ``targets`` (an app not named stays where it is) and return
    the historical models of the schema the database now has."""
    MigrationExecutor(connection).migrate(targets)
    executor = MigrationExecutor(connection)  # a fresh loader sees what is applied now
    applied = set(executor.loader.applied_migrations)
    graph = executor.loader.graph
    newest_applied = []
    for leaf in graph.leaf_nodes():
        done = [n for n in graph.forwards_plan(leaf) if n[0] == leaf[0] and n in applied]
        if done:
            newest_applied.append(done[-1])
    return executor.loader.project_state(newest_applied).apps


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    """Whatever the test does to the schema, the database is at the newest migrations after."""
    yield
    MigrationExecutor(connection).migrate(latest())
