"""«Продлевающая подписка» («обещанный платеж», R13): the number of days.

The base is fixed by the page; the grace subscription starts today and lasts
the days chosen (1 to the tariff's grace days, all of them by default). R13
is the rule's (`rules.check_grace`), checked by the service under the base's lock;
its refusal lands next to «Дней» or above the form.
"""

import datetime
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions import rules
from subscriptions.grace import grace_ends_on
from subscriptions.models import Subscription
from subscriptions.periods import Periodicity, describe_period

from .documents import DocumentFormMixin


class GraceForm(DocumentFormMixin, forms.Form):
    days = forms.IntegerField(
        label=_("Дней"),
        # No bounds here: the rule's message names the tariff's grace days (R13).
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
    )
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, base: Subscription, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.base = base
        self.today = today
        self.fields["days"].widget.attrs["max"] = base.tariff.grace_days
        self.fields["days"].help_text = _("От 1 до %(max)s; последний день вычисляется.") % {
            "max": base.tariff.grace_days
        }
        if not self.is_bound:
            self.initial["days"] = base.tariff.grace_days
            self.initial["request_token"] = uuid.uuid4()

    def most_days(self) -> str:
        """«7 дней»: the tariff's grace days, in words."""
        return describe_period(Periodicity.DAY, self.base.tariff.grace_days)

    def ends_on(self) -> datetime.date | None:
        """«по» for the days on the form, computed the service's way (None until readable)."""
        days = self.value_of("days")
        if rules.check_grace_days(days=days, grace_days=self.base.tariff.grace_days):
            return None
        return grace_ends_on(self.today, days)
