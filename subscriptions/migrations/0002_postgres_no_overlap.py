"""R11 in PostgreSQL itself: no two posted base subscriptions of one subscriber
and tariff overlap. SQLite has no exclusion constraints; there the rule lives in
Subscription.clean() under the service's lock (and clean() runs on PostgreSQL
too, so the message is the same everywhere)."""

from django.db import migrations

CONSTRAINT = "subscriptions_subscription_posted_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # btree_gist lets a GiST index compare plain ids with "=". Created here,
    # not with BtreeGistExtension, whose reverse queries pg_extension on SQLite.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"""
        ALTER TABLE subscriptions_subscription ADD CONSTRAINT {CONSTRAINT}
        EXCLUDE USING gist (
            subscriber_id WITH =,
            tariff_id WITH =,
            daterange(starts_on, ends_on, '[]') WITH &&
        ) WHERE (status = 'posted')
        """
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE subscriptions_subscription DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
