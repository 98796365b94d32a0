"""Indexes for lists at any size (issue 13, README «Performance»).

- «Подписки обслуживаемых абонентов» (`organization_documents()`): the
  organization's order index of both documents also holds the id, status,
  end date and tariff, so that a page's keys are read from the index alone
  whatever the filter; the (status, end date) index holds the start date:
  «действуют на сегодня» is counted from the index instead of reading 60,000
  rows; and an index of the organization alone, the narrowest to count a
  partner's documents from. Key columns rather than PostgreSQL's INCLUDE, so
  that SQLite has the same indexes (it has no INCLUDE).
- The reminders' admin list, newest first, reads one page from an index
  instead of sorting the whole table.
"""

from django.db import migrations, models

ORDER_FIELDS = ["organization", "-starts_on", "number", "id", "status", "ends_on", "tariff"]
STATUS_ENDS_FIELDS = ["organization", "status", "ends_on", "starts_on"]


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0012_early_end_and_quantity_change"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="extensionsubscription", name="ext_org_order_idx"),
        migrations.RemoveIndex(model_name="subscription", name="sub_org_order_idx"),
        migrations.RemoveIndex(model_name="extensionsubscription", name="ext_org_status_ends_idx"),
        migrations.RemoveIndex(model_name="subscription", name="sub_org_status_ends_idx"),
        migrations.AddIndex(
            model_name="extensionsubscription",
            index=models.Index(fields=ORDER_FIELDS, name="ext_org_order_idx"),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=ORDER_FIELDS, name="sub_org_order_idx"),
        ),
        migrations.AddIndex(
            model_name="extensionsubscription",
            index=models.Index(fields=STATUS_ENDS_FIELDS, name="ext_org_status_ends_idx"),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=STATUS_ENDS_FIELDS, name="sub_org_status_ends_idx"),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=["organization"], name="sub_org_idx"),
        ),
        migrations.AddIndex(
            model_name="extensionsubscription",
            index=models.Index(fields=["organization"], name="ext_org_idx"),
        ),
        migrations.AddIndex(
            model_name="remindersent",
            index=models.Index(fields=["-sent_at", "-id"], name="reminder_sent_order_idx"),
        ),
    ]
