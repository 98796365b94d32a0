"""The embedded database keeps the query planner's statistics (SQLite; subscribers/sqlite.py).

SQLite never gathers statistics by itself: without ANALYZE it guesses and picks
the wrong indexes for the cabinet's lists. The cabinet analyzes after
`migrate`, and runs `PRAGMA optimize` as SQLite recommends.
"""

import io

import pytest
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import connection

from subscribers import sqlite
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's statistics (PostgreSQL has autovacuum)"
)


def analyzed_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return set()
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


def forget_statistics() -> None:
    """No statistics, as in a database that never ran ANALYZE (and this connection knows it)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        # The connection keeps what it loaded with the schema; this reloads it.
        cursor.execute("ANALYZE sqlite_master")


@pytest.fixture
def subscribers_of_two_partners(organization, other_organization):
    for index in range(30):
        factories.SubscriberFactory(organization=organization if index % 3 else other_organization)


def test_migrate_leaves_statistics_of_the_tables_with_rows(db, subscribers_of_two_partners):
    forget_statistics()
    assert "subscribers_subscriber" not in analyzed_tables()

    call_command("migrate", verbosity=0, stdout=io.StringIO())

    assert "subscribers_subscriber" in analyzed_tables()


@pytest.mark.django_db(transaction=True)
def test_pragma_optimize_analyzes_a_table_the_connection_used(subscribers_of_two_partners):
    from subscribers.models import Subscriber

    forget_statistics()
    list(Subscriber.objects.filter(organization__name="Демо-партнер").order_by("name"))

    sqlite.optimize(connection)

    assert "subscribers_subscriber" in analyzed_tables()


def test_the_end_of_a_request_runs_pragma_optimize_once_per_period(monkeypatch, db):
    calls = []
    monkeypatch.setattr(sqlite, "optimize", lambda conn: calls.append(conn.alias))
    clock = iter([1_000.0, 1_001.0, 1_000.0 + sqlite.OPTIMIZE_EVERY_S + 1])
    monkeypatch.setattr(sqlite, "_now", lambda: next(clock))
    sqlite.reset_upkeep_clock()
    connection.ensure_connection()

    request_finished.send(sender=None)  # a process's first request: optimize
    request_finished.send(sender=None)  # a second later: nothing
    request_finished.send(sender=None)  # past the period: optimize again

    assert calls == ["default", "default"]


def test_paused_upkeep_never_optimizes(monkeypatch, db):
    calls = []
    monkeypatch.setattr(sqlite, "optimize", lambda conn: calls.append(conn.alias))
    sqlite.reset_upkeep_clock()

    with sqlite.upkeep_paused():
        request_finished.send(sender=None)

    assert calls == []
