"""Step 2 of 3: fill `organization` from the subscriber (bases) and the base (extensions).

On PostgreSQL one UPDATE … FROM per table (a hash join: seconds for 400,000
rows); elsewhere a correlated subquery. History rows are left as they were.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    connection = schema_editor.connection
    Subscriber = apps.get_model("subscribers", "Subscriber")
    Subscription = apps.get_model("subscriptions", "Subscription")
    Extension = apps.get_model("subscriptions", "ExtensionSubscription")
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        statement = (
            "UPDATE {target} AS t SET organization_id = s.organization_id "
            "FROM {source} AS s WHERE s.id = t.{link} AND t.organization_id IS NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                statement.format(
                    target=q(Subscription._meta.db_table),
                    source=q(Subscriber._meta.db_table),
                    link=q("subscriber_id"),
                )
            )
            cursor.execute(
                statement.format(
                    target=q(Extension._meta.db_table),
                    source=q(Subscription._meta.db_table),
                    link=q("subscription_id"),
                )
            )
        return
    Subscription.objects.filter(organization__isnull=True).update(
        organization_id=Subquery(
            Subscriber.objects.filter(pk=OuterRef("subscriber_id")).values("organization_id")[:1]
        )
    )
    Extension.objects.filter(organization__isnull=True).update(
        organization_id=Subquery(
            Subscription.objects.filter(pk=OuterRef("subscription_id")).values("organization_id")[
                :1
            ]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0005_document_organization"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
