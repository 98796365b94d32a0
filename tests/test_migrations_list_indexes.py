"""The list indexes of issue 13 (subscribers 0004, subscriptions 0013) are built over
rows already there and taken away again, and the lists use them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, ReminderSent, Subscription
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

MIGRATIONS = [
    ("subscribers", "0004_subscriber_name_pk_idx"),
    ("subscriptions", "0013_list_indexes"),
]
INDEXES = {
    Subscriber: {"subscriber_name_pk_idx"},
    Subscription: {"sub_org_order_idx", "sub_org_status_ends_idx", "sub_org_idx"},
    ExtensionSubscription: {"ext_org_order_idx", "ext_org_status_ends_idx", "ext_org_idx"},
    ReminderSent: {"reminder_sent_order_idx"},
}
# What each index holds beyond what it had before (its columns, as PostgreSQL shows them).
ORDER_COLUMNS = "(organization_id, starts_on DESC, number, id, status, ends_on, tariff_id)"
WIDENED = {
    "sub_org_order_idx": ORDER_COLUMNS,
    "ext_org_order_idx": ORDER_COLUMNS,
    "sub_org_status_ends_idx": "(organization_id, status, ends_on, starts_on)",
    "ext_org_status_ends_idx": "(organization_id, status, ends_on, starts_on)",
}


def _indexes(model) -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name for name, info in found.items() if info["index"]}


def _definition(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone()[0]


def _parent(executor, node):
    (parent,) = [p for p in executor.loader.graph.node_map[node].parents if p.key[0] == node[0]]
    return parent.key


def test_the_list_indexes_come_and_go_with_their_migrations_and_keep_the_rows(
    base_tariff, session_tariff, today
):
    # given documents and a reminder under the latest schema
    base = factories.SubscriptionFactory(tariff=base_tariff, starts_on=today)
    factories.ExtensionFactory(
        subscription=base, tariff=session_tariff, period=session_tariff.periods.get(count=1)
    )
    ReminderSent.objects.create(subscription=base, threshold_days=30, ends_on=base.ends_on)
    rows = [model.objects.count() for model in INDEXES]
    executor = MigrationExecutor(connection)
    # Every app's latest: unapplying these two unapplies what depends on them too.
    latest = executor.loader.graph.leaf_nodes()

    # when the two migrations are unapplied
    executor.migrate([_parent(executor, node) for node in MIGRATIONS])

    # then their indexes are gone (the organization's ones as they were before)
    assert "subscriber_name_pk_idx" not in _indexes(Subscriber)
    assert "reminder_sent_order_idx" not in _indexes(ReminderSent)
    assert "sub_org_idx" not in _indexes(Subscription)
    assert "ext_org_idx" not in _indexes(ExtensionSubscription)
    if connection.vendor == "postgresql":
        assert not any(columns in _definition(name) for name, columns in WIDENED.items())

    # and applied again, every index is back, with what it carries on PostgreSQL
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    for model, names in INDEXES.items():
        assert names <= _indexes(model), model
    assert [model.objects.count() for model in INDEXES] == rows
    if connection.vendor == "postgresql":
        for name, columns in WIDENED.items():
            assert columns in _definition(name), name
        assert "(name, id)" in _definition("subscriber_name_pk_idx")
        assert "(organization_id, name, id)" in _definition("subscriber_org_name_idx")
        assert "(sent_at DESC, id DESC)" in _definition("reminder_sent_order_idx")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_the_document_list_reads_a_pages_keys_from_the_index_alone(
    organization, base_tariff, today
):
    from django.test.utils import CaptureQueriesContext

    from subscriptions.selectors import organization_documents

    for _ in range(3):
        factories.SubscriptionFactory(
            tariff=base_tariff, starts_on=today, subscriber__organization=organization
        )
    documents = organization_documents(organization, ends_between=(today, today.replace(day=28)))
    with CaptureQueriesContext(connection) as ctx:
        list(documents[0:25])
    (page,) = ctx.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE subscriptions_subscription")
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + page["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")

    assert "Index Only Scan using sub_org_order_idx" in plan
