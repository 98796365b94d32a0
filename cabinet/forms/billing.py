"""«Реквизиты» and «Прайс-лист»: the owner's forms for the organization's billing.

The forms check what a field can say on its own (a number, a date); the
rules — the control digits, the ranges, «from today or later» — are the
models' and billing/services.py's, which run them again under the
organization's lock. Nothing here writes: the views call the services.
"""

import re
from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from billing.models import OrganizationRequisites
from billing.services import REQUISITES_FIELDS
from billing.validators import normalize_code
from common.formatting import format_tenge
from subscriptions.validators import validate_business_date

from ..widgets import DATE_INPUT_FORMATS, DateControl

DATE_ERRORS = {"invalid": _("Введите дату в формате ДД.ММ.ГГГГ.")}


class RequisitesForm(forms.ModelForm):
    """The organization's requisites. The codes may be typed with spaces or in lower
    case («kz86 125k…»): they are kept as the bank prints them («KZ86125K…»)."""

    class Meta:
        model = OrganizationRequisites
        fields = list(REQUISITES_FIELDS)
        widgets = {
            "legal_address": forms.Textarea(attrs={"rows": 2, "cols": 60}),
            "vat_rate": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
            "invoice_due_days": forms.NumberInput(attrs={"min": "1", "max": "90"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in OrganizationRequisites.NORMALIZED_CODES:
            field = self.fields[name]
            # The length is the model's check, after the spaces are gone.
            field.max_length = None
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ]
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["bin"].widget.attrs["inputmode"] = "numeric"
        self.fields["kbe"].widget.attrs["inputmode"] = "numeric"

    def _clean_code(self, name):
        return normalize_code(self.cleaned_data.get(name, ""))

    def clean_bin(self):
        return self._clean_code("bin")

    def clean_iik(self):
        return self._clean_code("iik")

    def clean_bik(self):
        return self._clean_code("bik")

    def clean_kbe(self):
        return self._clean_code("kbe")


_MONEY_SPACES = re.compile(r"[\s\u00a0\u202f₸]")


class MoneyField(forms.DecimalField):
    """Tenge as an operator types them: «12 000», «12000,50», «12 000 ₸». Empty: no value."""

    def to_python(self, value):
        if isinstance(value, str):
            value = _MONEY_SPACES.sub("", value).replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        # Shown as typed: «12000», «12000.50» — never «12000,00» or «1.2E+4».
        if isinstance(value, Decimal):
            return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
        return value


PRICE_ERRORS = {
    "invalid": _("Цена — число в тенге, например 12 000 или 12 000,50."),
    "min_value": _("Цена — не меньше 0 ₸."),
    "max_digits": _("Цена — не больше 9 999 999 999,99 ₸."),
    "max_whole_digits": _("Цена — не больше 9 999 999 999,99 ₸."),
    "max_decimal_places": _("Цена — с точностью до тиына: не больше 2 знаков после запятой."),
}


class PriceListForm(forms.Form):
    """The price list as one form: a new price per period (empty: the service's price)
    and one «Действует с» for all of them.

    Only the rows the owner changed count (`changes()`): an untouched row keeps
    whatever is in effect or scheduled for it, whatever the chosen day.
    """

    valid_from = forms.DateField(
        label=_("Действует с"),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateControl,
        validators=[validate_business_date],
        error_messages={
            **DATE_ERRORS,
            "required": _("Укажите, с какого дня действуют новые цены."),
        },
        help_text=_("Сегодня или позже: цены прошлых дней не меняются."),
    )

    def __init__(self, *args, rows, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.fields["valid_from"].initial = today
        for row in rows:
            period = row.period
            self.fields[self.price_name(period)] = MoneyField(
                label=_("Новая цена: %(tariff)s, %(period)s")
                % {"tariff": period.tariff.name, "period": period.label},
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                initial=row.own_price,
                error_messages=PRICE_ERRORS,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        # Empty is the service's price: shown greyed in the field.
                        "placeholder": format_tenge(row.service_price),
                        "size": 12,
                    }
                ),
            )

    @staticmethod
    def price_name(period) -> str:
        return f"price_{period.pk}"

    def price_field(self, period):
        return self[self.price_name(period)]

    def changes(self) -> list[tuple[object, Decimal | None]]:
        """(period, new price or None for the service's) for each row the owner changed.

        A row whose field was not sent at all is not a change (a partial or
        tampered form never resets prices it did not show)."""
        changed = set(self.changed_data)
        return [
            (row.period, self.cleaned_data[self.price_name(row.period)])
            for row in self.rows
            if self.price_name(row.period) in changed
            and self.add_prefix(self.price_name(row.period)) in self.data
        ]


class CancelPriceChangeForm(forms.Form):
    """«Отменить» on a scheduled change (a row of the price list's history)."""

    cancel = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
