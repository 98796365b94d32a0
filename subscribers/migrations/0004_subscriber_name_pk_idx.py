"""The subscribers' name indexes carry the id (issue 13, README «Performance»).

- The admin's list of every partner's subscribers is ordered by (name, id):
  an index of its own, read a page at a time instead of sorting 100,000 rows.
- The organization's name index gets the id as a key: «Обслуживаемые
  абоненты» and its search choose a page's keys from the index alone, the
  search filter included, instead of reading the table row of every name
  they skip (page 10 of «ТОО» at 50,000 subscribers: 15,000 of them).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0003_membership_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="subscriber",
            index=models.Index(fields=["name", "id"], name="subscriber_name_pk_idx"),
        ),
        migrations.RemoveIndex(model_name="subscriber", name="subscriber_org_name_idx"),
        migrations.AddIndex(
            model_name="subscriber",
            index=models.Index(
                fields=["organization", "name", "id"], name="subscriber_org_name_idx"
            ),
        ),
    ]
