# Written by hand (issue 11, «до окончания подписки на тариф»): only these fields, so that
# the early-end and grace fields of the same issue keep their own migrations.

import django.db.models.deletion
from django.db import migrations, models


def base_tariffs_do_not_offer_it(apps, schema_editor):
    """The option is an extension tariff's: existing extension tariffs offer it (the
    field's default), base tariffs never do."""
    Tariff = apps.get_model("subscriptions", "Tariff")
    Tariff.objects.exclude(kind="extension").update(offers_until_base_end=False)


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0010_kept_limits'),
    ]

    operations = [
        migrations.AddField(
            model_name='tariff',
            name='offers_until_base_end',
            field=models.BooleanField(default=True, help_text='Только для тарифа расширения: кроме периодов действия предлагать расширение по последний день подписки на тариф. Сумма — полные календарные месяцы по цене периода «1 месяц» и остальные дни по 1/30 этой цены за день, с округлением до тенге. Нужен предлагаемый период «1 месяц»: без него вариант не предлагается.', verbose_name='предлагать «до окончания подписки на тариф»'),
        ),
        migrations.AddField(
            model_name='historicaltariff',
            name='offers_until_base_end',
            field=models.BooleanField(default=True, help_text='Только для тарифа расширения: кроме периодов действия предлагать расширение по последний день подписки на тариф. Сумма — полные календарные месяцы по цене периода «1 месяц» и остальные дни по 1/30 этой цены за день, с округлением до тенге. Нужен предлагаемый период «1 месяц»: без него вариант не предлагается.', verbose_name='предлагать «до окончания подписки на тариф»'),
        ),
        migrations.RunPython(base_tariffs_do_not_offer_it, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='tariff',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'extension'), ('offers_until_base_end', False), _connector='OR'), name='subscriptions_tariff_until_base_end_extension_only', violation_error_code='until_base_end_not_extension', violation_error_message='«До окончания подписки на тариф» предлагается только для тарифа расширения.'),
        ),
        migrations.AddField(
            model_name='extensionsubscription',
            name='until_base_end',
            field=models.BooleanField(default=False, help_text='Вместо периода действия: по последний день подписки на тариф. Сумма — полные календарные месяцы по цене периода «1 месяц» тарифа и остальные дни по 1/30 этой цены за день.', verbose_name='до окончания подписки на тариф'),
        ),
        migrations.AddField(
            model_name='historicalextensionsubscription',
            name='until_base_end',
            field=models.BooleanField(default=False, help_text='Вместо периода действия: по последний день подписки на тариф. Сумма — полные календарные месяцы по цене периода «1 месяц» тарифа и остальные дни по 1/30 этой цены за день.', verbose_name='до окончания подписки на тариф'),
        ),
        migrations.AlterField(
            model_name='extensionsubscription',
            name='period',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='subscriptions.tariffperiod', verbose_name='период действия'),
        ),
        migrations.AddConstraint(
            model_name='extensionsubscription',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('period__isnull', True), ('until_base_end', True)), models.Q(('period__isnull', False), ('until_base_end', False)), _connector='OR'), name='subscriptions_extension_period_or_until_base_end', violation_error_code='period_or_until_base_end', violation_error_message='У расширения либо период действия, либо «до окончания подписки на тариф».'),
        ),
    ]
