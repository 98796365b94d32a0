"""PostgreSQL: indexes for the subscriber search, so that it reads what it finds.

The cabinet's search is `name__icontains`, which PostgreSQL runs as
`UPPER(name::text) LIKE UPPER('%…%')`: a B-tree cannot help a pattern that
starts with `%`, so every search read all of the partner's subscribers. A GIN
index of the trigrams of exactly that expression (pg_trgm) finds the rows that
contain the text, and ANALYZE keeps statistics of the expression, so that the
planner knows how many rows a pattern matches (it guessed 16 where «ТОО»
matches 35,000, and sorted them all). Digits are also searched as the start of
the code or the BIN/IIN (`LIKE '…%'`): the code has its pattern index (Django
makes one for a unique field), the BIN/IIN gets one here, so that the three
conditions of a digits search combine as a BitmapOr of three indexes instead
of a scan of the partner. SQLite has none of this (its LIKE is the cabinet's
Unicode-aware function, which no index serves): nothing to do there. pg_trgm
is a trusted extension (PostgreSQL ≥ 13): the database's owner may create it.
"""

from django.db import migrations

INDEX = "subscriber_name_trgm_idx"
BIN_IIN_INDEX = "subscriber_bin_iin_like_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON subscribers_subscriber "
        "USING gin (UPPER(name::text) gin_trgm_ops)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {BIN_IIN_INDEX} ON subscribers_subscriber "
        "(bin_iin varchar_pattern_ops)"
    )
    schema_editor.execute("ANALYZE subscribers_subscriber")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {BIN_IIN_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
