"""«Прекратить» and «Изменить количество» (R14): the forms behind the cards' buttons.

The forms offer the dates the rules allow, say why a value is refused next to
its field (the rules of subscriptions/rules.py, checked again by the service
under its locks) and show what the action would do — the unused part, the
extensions ended with a base, the new extension's price — computed by the
one price module. They write nothing: the views call the services.
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from common.formatting import fmt
from subscriptions import pricing, rules
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import describe_months_and_days, months_and_days

from ..widgets import DATE_INPUT_FORMATS, DateControl
from .documents import DocumentFormMixin

DAY = datetime.timedelta(days=1)
DATE_ERRORS = {"invalid": _("Введите дату в формате ДД.ММ.ГГГГ.")}
REASON_MAX_LENGTH = Subscription._meta.get_field("early_end_reason").max_length


class EndEarlyForm(DocumentFormMixin, forms.Form):
    """«Прекратить»: the new last day (today … the current end), the reason and,
    for a base with posted extensions, «прекратить и расширения»."""

    last_day = forms.DateField(
        label=_("Последний день действия"),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateControl,
        error_messages=DATE_ERRORS,
    )
    reason = forms.CharField(
        label=_("Причина"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={
            "required": _("Укажите причину прекращения: она сохранится в истории документа.")
        },
    )
    end_extensions = forms.BooleanField(label=_("прекратить и расширения"), required=False)

    def __init__(self, *args, document, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        self.today = today
        self.is_base = isinstance(document, Subscription)
        self.first_day, self.last_allowed = rules.early_end_range(
            today=today, starts_on=document.starts_on, ends_on=document.ends_on
        )
        self.fields["last_day"].help_text = _(
            "С %(first)s по %(last)s. Со следующего дня документ не действует и не "
            "учитывается в лимитах абонента."
        ) % {"first": fmt(self.first_day), "last": fmt(self.last_allowed)}
        self.posted_extensions = (
            list(
                document.extensions.filter(status=Status.POSTED)
                .select_related("tariff", "period")
                .order_by("starts_on", "pk")
            )
            if self.is_base
            else []
        )
        if not self.is_base or not self.posted_extensions:
            del self.fields["end_extensions"]
        else:
            self.fields["end_extensions"].help_text = _(
                "Проведенные расширения, которые действуют после последнего дня, закончатся "
                "в тот же день — каждое со своей неиспользованной суммой и записью в истории."
            )
        if not self.is_bound:
            self.initial.setdefault("last_day", self.first_day)

    def refusal(self) -> str:
        """Why the document cannot be ended at all (not posted, already ended), or ""."""
        error = rules.check_early_end_day(
            today=self.today,
            last_day=None,
            starts_on=self.document.starts_on,
            ends_on=self.document.ends_on,
            is_posted=self.document.is_posted,
        ).get("__all__")
        return " ".join(error.messages) if error else ""

    def clean_last_day(self):
        last_day = self.cleaned_data["last_day"]
        error = rules.check_early_end_day(
            today=self.today,
            last_day=last_day,
            starts_on=self.document.starts_on,
            ends_on=self.document.ends_on,
            is_posted=self.document.is_posted,
        )
        if error:
            raise next(iter(error.values()))
        return last_day

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        error = rules.check_early_end_reason(reason)
        if error:
            raise error["reason"]
        return reason

    def clean(self):
        cleaned = super().clean()
        last_day = cleaned.get("last_day")
        if self.is_base and last_day is not None:
            for field, error in rules.check_base_early_end_keeps_extensions(
                starts_on=self.document.starts_on,
                last_day=last_day,
                posted_extensions=self.posted_extensions,
                end_extensions=cleaned.get("end_extensions", False),
            ).items():
                self.add_error(field if field in self.fields else None, error)
        return cleaned

    # --- What it would do (for the page) ---------------------------------------------

    def chosen_day(self) -> datetime.date | None:
        day = self.value_of("last_day")
        if day is None or not self.first_day <= day <= self.last_allowed:
            return None
        return day

    def unused(self):
        """The document's unused part for the chosen day (None until a day is valid)."""
        day = self.chosen_day()
        return pricing.unused_amount(self.document, day) if day is not None else None

    def ended_with_base(self) -> list[tuple[ExtensionSubscription, object]]:
        """The posted extensions the chosen day would end too, each with its unused part."""
        day = self.chosen_day()
        if day is None:
            return []
        return [
            (extension, pricing.unused_amount(extension, day))
            for extension in self.posted_extensions
            if extension.ends_on > day
        ]


class ChangeQuantityForm(DocumentFormMixin, forms.Form):
    """«Изменить количество»: from a date (after the first day, today … the end) the
    extension continues with another quantity, to the same end."""

    change_on = forms.DateField(
        label=_("Новое количество действует с"),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateControl,
        error_messages=DATE_ERRORS,
    )
    quantity = forms.IntegerField(
        label=_("Количество расширений"),
        min_value=1,
        error_messages={
            "required": _("Укажите новое количество расширений."),
            "invalid": _("Количество расширений — целое число."),
            "min_value": _("Количество расширений — не меньше 1."),
        },
    )

    def __init__(self, *args, extension: ExtensionSubscription, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.extension = extension
        self.today = today
        self.max_quantity = extension.tariff.max_quantity
        self.first_day, self.last_allowed = rules.quantity_change_range(
            today=today, starts_on=extension.starts_on, ends_on=extension.ends_on
        )
        self.fields["change_on"].help_text = _(
            "С %(first)s по %(last)s. Текущее расширение закончится накануне, новое будет "
            "действовать по %(ends_on)s."
        ) % {
            "first": fmt(self.first_day),
            "last": fmt(self.last_allowed),
            "ends_on": fmt(extension.ends_on),
        }
        self.fields["quantity"].help_text = _("От 1 до %(max)s; сейчас — %(quantity)s.") % {
            "max": self.max_quantity,
            "quantity": extension.quantity,
        }
        self.fields["quantity"].widget.attrs.update({"max": self.max_quantity})
        self.month_period = pricing.month_price_period(extension.tariff_id)
        if not self.is_bound:
            self.initial.setdefault("change_on", self.first_day)
            self.initial.setdefault("quantity", extension.quantity)

    def _rule_errors(self, *, change_on=None, quantity=None) -> dict:
        replaced_by = self.extension.replacements.filter(status=Status.POSTED).first()
        return rules.check_quantity_change(
            today=self.today,
            change_on=change_on,
            starts_on=self.extension.starts_on,
            ends_on=self.extension.ends_on,
            is_posted=self.extension.is_posted,
            quantity=self.extension.quantity,
            new_quantity=quantity,
            max_quantity=self.max_quantity,
            replaced_by_number=replaced_by.number if replaced_by else None,
        )

    def refusal(self) -> str:
        """Why the quantity cannot be changed at all, or ""."""
        error = self._rule_errors().get("__all__")
        return " ".join(error.messages) if error else ""

    def clean(self):
        cleaned = super().clean()
        errors = self._rule_errors(
            change_on=cleaned.get("change_on"), quantity=cleaned.get("quantity")
        )
        for field, error in errors.items():
            self.add_error(field if field in self.fields else None, error)
        return cleaned

    # --- What it would do (for the page) ---------------------------------------------

    def chosen(self) -> tuple[datetime.date | None, int | None]:
        day, quantity = self.value_of("change_on"), self.value_of("quantity")
        if day is None or not self.first_day <= day <= self.last_allowed:
            day = None
        if quantity is None or not 1 <= quantity <= (self.max_quantity or 0):
            quantity = None
        return day, quantity

    def span_label(self) -> str:
        day, _quantity = self.chosen()
        if day is None:
            return ""
        return describe_months_and_days(*months_and_days(day, self.extension.ends_on))

    def new_unit_price(self):
        day, _quantity = self.chosen()
        if day is None:
            return None
        monthly = self.month_period.price if self.month_period else None
        return pricing.span_unit_price(
            self.extension, day, self.extension.ends_on, monthly_price=monthly
        )

    def new_amount(self):
        unit, (_day, quantity) = self.new_unit_price(), self.chosen()
        return pricing.units_amount(unit, quantity)

    def unused(self):
        day, _quantity = self.chosen()
        if day is None:
            return None
        return pricing.unused_amount(self.extension, day - DAY)
