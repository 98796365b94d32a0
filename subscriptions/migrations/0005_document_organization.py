"""The subscriber's organization stored on every document (step 1 of 3: the column).

Nullable here; 0006 fills it and 0007 makes it NOT NULL and indexes it. Three
migrations, three transactions: on PostgreSQL a table with pending deferred
foreign-key checks (from 0006's UPDATE) cannot be altered in the same one.
"""

import django.db.models.deletion
from django.db import migrations, models


def _organization(**kwargs):
    return models.ForeignKey(
        editable=False,
        related_name="+",
        to="subscribers.serviceorganization",
        verbose_name="обслуживающая организация",
        **kwargs,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0001_initial"),
        ("subscriptions", "0004_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="organization",
            field=_organization(
                db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT
            ),
        ),
        migrations.AddField(
            model_name="extensionsubscription",
            name="organization",
            field=_organization(
                db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT
            ),
        ),
        migrations.AddField(
            model_name="historicalsubscription",
            name="organization",
            field=_organization(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
            ),
        ),
        migrations.AddField(
            model_name="historicalextensionsubscription",
            name="organization",
            field=_organization(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
            ),
        ),
    ]
