from django.db import migrations


def create_sequences(apps, schema_editor):
    NumberSequence = apps.get_model("subscriptions", "NumberSequence")
    for prefix in ("Т", "Р"):
        NumberSequence.objects.get_or_create(name=prefix)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0002_postgres_no_overlap")]

    operations = [migrations.RunPython(create_sequences, migrations.RunPython.noop)]
