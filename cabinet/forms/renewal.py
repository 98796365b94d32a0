"""«Продление подписки»: the form over the renewal planning of subscriptions/renewal.py."""

import datetime
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from common.formatting import fmt, format_tenge
from subscriptions.models import ExtensionSubscription, Subscription, Tariff, TariffPeriod
from subscriptions.renewal import (
    CarryPlan,
    carried_extensions,
    carry_plan,
    offered_periods_by_tariff,
    renewal_starts_on,
)
from subscriptions.warnings import renewal_warnings

from .documents import DocumentFormMixin, ListedModelChoiceField


class RenewalForm(DocumentFormMixin, forms.Form):
    """«Продление подписки»: the renewal's period, and whether to carry the extensions.

    The subscriber, the tariff and the start follow from the base; the form
    shows them fixed. A refusal of the service lands next to its field (the
    period, the carried extensions) or above the form.
    """

    period = ListedModelChoiceField(
        queryset=TariffPeriod.objects.none(),
        label=_("Период действия"),
        empty_label=_("— выберите период —"),
    )
    copy_extensions = forms.BooleanField(
        label=_("Перенести расширения, которые заканчиваются вместе с подпиской"),
        required=False,
    )
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, base: Subscription, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.base = base
        self.today = today
        self.starts_on = renewal_starts_on(base)
        self.fields["period"].queryset = TariffPeriod.objects.filter(
            tariff=base.tariff_id, is_active=True
        ).order_by("approx_days", "pk")
        self.fields["period"].label_from_instance = lambda p: f"{p.label} — {format_tenge(p.price)}"
        self.extensions = list(carried_extensions(base))
        self._periods = offered_periods_by_tariff(e.tariff_id for e in self.extensions)
        if not self.extensions:
            del self.fields["copy_extensions"]
        if not self.is_bound:
            if self.fields["period"].by_pk(base.period_id) is not None:
                self.initial["period"] = base.period_id
            self.initial["request_token"] = uuid.uuid4()

    @property
    def tariff(self) -> Tariff:
        return self.base.tariff

    def selected_period(self) -> TariffPeriod | None:
        return self.value_of("period")

    def ends_on(self) -> datetime.date | None:
        period = self.selected_period()
        return period.end_for(self.starts_on) if period else None

    def warnings_for(self, period: TariffPeriod | None) -> dict[str, str]:
        """What does not block the renewal for `period` (its dates wholly in the past)."""
        if period is None:
            return {}
        return renewal_warnings(
            starts_on=self.starts_on, ends_on=period.end_for(self.starts_on), today=self.today
        )

    def warnings(self) -> dict[str, str]:
        return self.warnings_for(self.selected_period())

    def plans_for(self, period: TariffPeriod | None) -> list[CarryPlan]:
        if period is None:
            return []
        return [
            carry_plan(
                extension,
                self._periods.get(extension.tariff_id, []),
                renewal_period=period,
                starts_on=self.starts_on,
                today=self.today,
            )
            for extension in self.extensions
        ]

    def carry_rows(self) -> list[tuple[ExtensionSubscription, CarryPlan | None]]:
        """Each carried extension with its plan for the selected period (None: none selected)."""
        plans = self.plans_for(self.selected_period())
        if not plans:
            return [(extension, None) for extension in self.extensions]
        return [(plan.extension, plan) for plan in plans]

    def js_data(self) -> dict:
        """Per offered period, the texts the page shows for it, computed here: the
        renewal's end, its price and what happens to each extension. The script
        only swaps them in when the period changes."""
        return {
            "periods": {
                str(period.pk): {
                    "ends_on": fmt(period.end_for(self.starts_on)),
                    "price": format_tenge(period.price),
                    "warning": " ".join(self.warnings_for(period).values()),
                    "extensions": [
                        {"text": plan.describe(), "problem": bool(plan.problem)}
                        for plan in self.plans_for(period)
                    ],
                }
                for period in self.fields["period"].objects
            }
        }
