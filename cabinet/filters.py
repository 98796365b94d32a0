"""The filters of «Подписки обслуживаемых абонентов», as a form.

Filters come from the query string, so anything may arrive: a bad value gets
a message next to its field (and the page a 400), never a 500.
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions import clock
from subscriptions.models import Status, Tariff
from subscriptions.validators import validate_business_date

from .widgets import DATE_INPUT_FORMATS, DateControl

MAX_ENDS_WITHIN_DAYS = 3650


class SubscriptionFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Поиск"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Номер подписки, наименование, БИН/ИИН или код"),
            }
        ),
        error_messages={"max_length": _("Не длиннее %(limit_value)d символов.")},
    )
    kind = forms.ChoiceField(
        label=_("Тип подписки"),
        required=False,
        choices=[
            ("", _("Все")),
            ("base", _("Подписки на тарифы")),
            ("extension", _("Подписки на расширения")),
        ],
        error_messages={"invalid_choice": _("Выберите тип подписки из списка.")},
    )
    tariff = forms.ModelChoiceField(
        label=_("Тариф"),
        required=False,
        queryset=Tariff.objects.order_by("kind", "name"),
        empty_label=_("Все тарифы"),
        error_messages={"invalid_choice": _("Такого тарифа нет: выберите тариф из списка.")},
    )
    status = forms.ChoiceField(
        label=_("Состояние"),
        required=False,
        choices=[("", _("Все")), *Status.choices],
        error_messages={"invalid_choice": _("Выберите состояние из списка.")},
    )
    active_on = forms.DateField(
        label=_("Действует на дату"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateControl,
        help_text=_("Проведенные подписки, действующие в этот день."),
        validators=[validate_business_date],  # R18
        error_messages={"invalid": _("Введите дату в формате ДД.ММ.ГГГГ.")},
    )
    ends_within = forms.IntegerField(
        label=_("Заканчиваются в течение"),
        required=False,
        min_value=0,
        max_value=MAX_ENDS_WITHIN_DAYS,
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_ENDS_WITHIN_DAYS, "step": 1}),
        help_text=_("Дней, считая с сегодняшнего (0 — заканчиваются сегодня)."),
        error_messages={
            "invalid": _("Введите целое число дней."),
            "min_value": _("Число дней не может быть отрицательным."),
            "max_value": _("Не больше %(limit_value)s дней."),
        },
    )

    def filter_kwargs(self) -> dict:
        """Keyword arguments for selectors.organization_documents() (call after is_valid())."""
        data = self.cleaned_data
        kwargs = {
            "kind": data["kind"],
            "tariff": data["tariff"],
            "status": data["status"],
            "active_on": data["active_on"],
            "search": data["q"],
        }
        if data["ends_within"] is not None:
            today = clock.today()
            kwargs["ends_between"] = (today, today + datetime.timedelta(days=data["ends_within"]))
        return kwargs

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            value not in (None, "") for value in getattr(self, "cleaned_data", {}).values()
        )
