"""Step 3 of 3: `organization` is required, and the lists' indexes start with it.

Then the two tables are analyzed: SQLite rebuilds a table to make a column NOT
NULL and loses its statistics (its planner then picks poor indexes for the
limits' subqueries), and PostgreSQL has none yet for the new column.
"""

import django.db.models.deletion
from django.db import migrations, models


def analyze(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        for name in ("Subscription", "ExtensionSubscription"):
            table = apps.get_model("subscriptions", name)._meta.db_table
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _organization():
    return models.ForeignKey(
        db_index=False,
        editable=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="subscribers.serviceorganization",
        verbose_name="обслуживающая организация",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0006_fill_document_organization"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription", name="organization", field=_organization()
        ),
        migrations.AlterField(
            model_name="extensionsubscription", name="organization", field=_organization()
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                fields=["organization", "-starts_on", "number"], name="sub_org_order_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                fields=["organization", "status", "ends_on"], name="sub_org_status_ends_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="extensionsubscription",
            index=models.Index(
                fields=["organization", "-starts_on", "number"], name="ext_org_order_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="extensionsubscription",
            index=models.Index(
                fields=["organization", "status", "ends_on"], name="ext_org_status_ends_idx"
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop, elidable=True),
    ]
