"""«Продление за месяц»: the page's filters and the rows the operator selects."""

import datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Tariff

from ..widgets import MONTH_FORMAT
from .documents import ListedModelChoiceField
from .reports import MonthField

CARRY = "carry"
KEEP = "keep"


class BulkRenewalFilterForm(forms.Form):
    """The month whose endings are listed, the tariff, and whether the extensions that
    end with a base are carried onto its renewal. Empty fields take their defaults:
    the current month, every tariff, carried (as the single renewal form offers)."""

    month = MonthField(label=_("Заканчиваются в месяце"), required=False)
    tariff = ListedModelChoiceField(
        queryset=Tariff.objects.filter(kind=Tariff.Kind.BASE).order_by("name", "pk"),
        label=_("Тариф"),
        required=False,
        empty_label=_("Все тарифы"),
    )
    extensions = forms.ChoiceField(
        label=_("Расширения"),
        choices=[
            (CARRY, _("Перенести на продление")),
            (KEEP, _("Не переносить")),
        ],
        required=False,
        help_text=_(
            "Расширения, которые заканчиваются вместе с подпиской, переносятся на продление "
            "с тем же тарифом и количеством, как в «Продлить»."
        ),
    )

    def __init__(self, data=None, *, today: datetime.date, **kwargs):
        defaults = {"month": today.replace(day=1).strftime(MONTH_FORMAT), "extensions": CARRY}
        # The page shows what it lists, also when it was a default.
        data = (data or {}).copy()
        for name, default in defaults.items():
            if not str(data.get(name, "")).strip():
                data[name] = default
        super().__init__(data, **kwargs)

    @property
    def month_value(self) -> datetime.date:
        return self.cleaned_data["month"]

    @property
    def carry(self) -> bool:
        return self.cleaned_data["extensions"] != KEEP

    def query(self) -> dict:
        """The filters as a query string's values (links, the job's page back to the list)."""
        query = {
            "month": self.month_value.strftime(MONTH_FORMAT),
            "extensions": self.cleaned_data["extensions"],
        }
        if self.cleaned_data.get("tariff") is not None:
            query["tariff"] = self.cleaned_data["tariff"].pk
        return query


class BulkRenewalForm(forms.Form):
    """The rows to renew: checked bases, or every row of the month; per row of the page
    a period (`period_<pk>`, one of its tariff's offered periods); the one-time token.

    `month_ids`: the pks of every row of the month (the filters'); `page_periods`:
    {pk: (offered periods, default period)} for the rows of the page shown.
    """

    request_token = forms.UUIDField(widget=forms.HiddenInput)
    base = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        error_messages={
            "invalid_choice": _(
                "Часть отмеченных подписок больше не заканчивается в этом месяце: обновите "
                "страницу и отметьте их снова."
            ),
        },
    )
    all_rows = forms.BooleanField(required=False)

    def __init__(self, data=None, *, month_ids, page_periods: dict, **kwargs):
        super().__init__(data, **kwargs)
        self.month_ids = list(month_ids)
        self.fields["base"].choices = [(pk, pk) for pk in self.month_ids]
        self.page_periods = page_periods
        for pk, (periods, default) in page_periods.items():
            self.fields[self.period_name(pk)] = forms.TypedChoiceField(
                label=_("Период продления"),
                choices=[(period.pk, period.label) for period in periods],
                coerce=int,
                required=False,
                initial=default.pk if default is not None else None,
                error_messages={
                    "invalid_choice": _(
                        "Тариф больше не предлагает этот период: обновите страницу и выберите "
                        "период снова."
                    )
                },
            )

    @staticmethod
    def period_name(pk) -> str:
        return f"period_{pk}"

    def full_clean(self):
        super().full_clean()
        # The checkboxes have no place of their own for a message: it goes above the table.
        if self._errors and "base" in self._errors:
            moved = self._errors.pop("base").as_data()
            self._errors.setdefault(NON_FIELD_ERRORS, self.error_class()).extend(moved)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("all_rows") and not cleaned.get("base"):
            raise forms.ValidationError(
                _(
                    "Отметьте подписки, которые нужно продлить, или «Все строки месяца» — и "
                    "нажмите «Продлить выбранные»."
                ),
                code="nothing_selected",
            )
        return cleaned

    def forget_nothing_selected(self) -> None:
        """Drop the «nothing selected» refusal (a preview needs no row ticked)."""
        errors = self.errors.get(NON_FIELD_ERRORS)
        if not errors:
            return
        kept = [error for error in errors.as_data() if error.code != "nothing_selected"]
        if kept:
            self._errors[NON_FIELD_ERRORS] = self.error_class(kept)
        else:
            del self._errors[NON_FIELD_ERRORS]

    def chosen_period_id(self, pk) -> int | None:
        """The period chosen for the page's row `pk` (None: its own, or not on the page)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return None
        return self.cleaned_data.get(self.period_name(pk)) or None

    def items(self) -> list[tuple[int, int | None]]:
        """(base pk, period pk or None for its own) of every row to renew, in the list's
        order: the checked ones, or every row of the month."""
        chosen = (
            set(self.month_ids) if self.cleaned_data["all_rows"] else set(self.cleaned_data["base"])
        )
        return [(pk, self.chosen_period_id(pk)) for pk in self.month_ids if pk in chosen]
