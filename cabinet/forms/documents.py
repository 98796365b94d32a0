"""Forms of the subscription documents: a base subscription and an extension.

The forms only offer choices and carry what the page needs (the computed «по»,
availability of each period, the total, the extension as it would be); every
rule is the model's `clean()`, which the ModelForm runs, and the service runs
again under a lock. The document's fixed parent (the subscriber, the base) is
set on the instance by the view before validation, so `clean()` sees it (STYLE
rule 4).

The page's script computes nothing: as the operator types it asks the preview
endpoints (cabinet/views/preview.py), which answer from these same forms.
"""

import datetime
import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model, Q
from django.forms.models import ModelChoiceIterator
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.formatting import fmt, format_tenge
from subscriptions import periods, rules
from subscriptions.models import (
    UNTIL_BASE_END_LABEL,
    ExtensionSubscription,
    Subscription,
    Tariff,
    TariffPeriod,
)
from subscriptions.periods import (
    Periodicity,
    PeriodOutOfRange,
    describe_months_and_days,
    months_and_days,
)
from subscriptions.pricing import period_amount, span_prices

from ..timeline import ProposedExtension

DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]

ENDS_ON_HELP = _(
    "«По» — день перед «дата начала + период». Месяцы календарные; если такого числа в "
    "месяце нет, берется последний день месяца: 31.01.2027 + 1 месяц = 28.02.2027, "
    "значит «по» — 27.02.2027."
)
UNTIL_BASE_END_HELP = _(
    "«До окончания подписки на тариф» — по последний день подписки на тариф: полные "
    "календарные месяцы по цене периода «1 месяц», остальные дни — по 1/30 этой цены за день, "
    "с округлением до тенге."
)
# Django's stock texts («Выберите корректный вариант…») do not say what to do.
TARIFF_ERRORS = {
    "invalid_choice": _("Этот тариф сейчас не предлагается: выберите тариф из списка."),
}
PERIOD_ERRORS = {
    "invalid_choice": _("Этот период сейчас не предлагается: выберите период из списка."),
}
DATE_ERRORS = {"invalid": _("Введите дату в формате ДД.ММ.ГГГГ.")}


# --- Choices from one query ----------------------------------------------------


class ListedChoiceIterator(ModelChoiceIterator):
    """Choices from the field's evaluated list, optionally as <optgroup>s."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        group_by = self.field.group_by
        if group_by is None:
            for obj in self.field.objects:
                yield self.choice(obj)
            return
        for group, items in itertools.groupby(self.field.objects, key=group_by):
            yield (group, [self.choice(obj) for obj in items])

    def __len__(self):
        return len(self.field.objects) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.objects)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that reads its queryset once per form.

    Rendering, the page's JSON and validation all use the same evaluated list,
    so a form costs one query per select whatever it does; a value that is not
    in the list (another tariff's, another organization's, a made-up id) is the
    field's «invalid choice» error, never a query that could find it.
    """

    iterator = ListedChoiceIterator

    def __init__(self, queryset, *, group_by=None, **kwargs):
        self.group_by = group_by
        self._objects = None
        super().__init__(queryset, **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result._objects = None
        return result

    def _set_queryset(self, queryset):
        self._objects = None
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    @property
    def objects(self) -> list:
        if self._objects is None:
            self._objects = list(self.queryset)
        return self._objects

    def by_pk(self, value):
        if isinstance(value, Model):
            value = value.pk
        key = str(value)
        return next((obj for obj in self.objects if str(obj.pk) == key), None)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        found = self.by_pk(value)
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return found


class PeriodSelect(forms.Select):
    """<option>s that carry their tariff and can be marked unavailable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unavailable = {}
        self.keep_enabled = None

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        period = getattr(value, "instance", None)
        if period is not None:
            option["attrs"]["data-tariff"] = str(period.tariff_id)
            if period.pk in self.unavailable and str(period.pk) != str(self.keep_enabled):
                option["attrs"]["disabled"] = True
        return option


# --- «До окончания подписки на тариф» among the periods -------------------------------


@dataclass(frozen=True)
class UntilBaseEnd:
    """The choice «до окончания подписки на тариф» of one tariff, listed after that
    tariff's periods in «Период действия» (value «until:<tariff id>»). It is no
    period: the form turns it into `until_base_end` on the document. Priced by
    `month_period`, the tariff's offered «1 месяц» (None only for a draft that
    already says it while its tariff no longer offers it; the model refuses to
    post it and says why)."""

    tariff: Tariff
    month_period: TariffPeriod | None

    PREFIX = "until:"

    @property
    def pk(self) -> str:
        return f"{self.PREFIX}{self.tariff.pk}"

    @property
    def tariff_id(self) -> int:
        return self.tariff.pk


class ExtensionPeriodField(ListedModelChoiceField):
    """The tariffs' periods, each tariff's «до окончания подписки на тариф» after them."""

    def add_choices(self, choices) -> None:
        """Put each `UntilBaseEnd` right after its tariff's last period (the list is
        grouped by tariff in the database's order, which the <optgroup>s follow)."""
        objects = list(self.objects)
        for choice in choices:
            own = [i for i, obj in enumerate(objects) if obj.tariff_id == choice.tariff_id]
            objects.insert(own[-1] + 1 if own else len(objects), choice)
        self._objects = objects

    def prepare_value(self, value):
        if isinstance(value, UntilBaseEnd):
            return value.pk
        return super().prepare_value(value)


def month_period_of(tariff_id, periods) -> TariffPeriod | None:
    """The tariff's offered «1 месяц» among listed `periods` (no query)."""
    return next(
        (
            period
            for period in periods
            if isinstance(period, TariffPeriod)
            and period.tariff_id == tariff_id
            and period.periodicity == Periodicity.MONTH
            and period.count == 1
            and period.is_active
        ),
        None,
    )


def end_or_none(period: TariffPeriod, starts_on: datetime.date) -> datetime.date | None:
    """The last day of `period` from `starts_on`; None past the calendar's end."""
    try:
        return period.end_for(starts_on)
    except PeriodOutOfRange:
        return None


# --- Alignment with the base ---------------------------------------------------


def is_aligned(base: Subscription, day: datetime.date) -> bool:
    return periods.is_aligned(base.starts_on, day)


def recommended_start(base: Subscription, today: datetime.date) -> datetime.date:
    return periods.recommended_start(
        anchor=base.starts_on, not_before=max(today, base.starts_on), last_day=base.ends_on
    )


# --- Shared behaviour ------------------------------------------------------------


class DocumentFormMixin:
    """What both document forms share.

    A rule's ValidationError may name a field the form does not show (a model
    field fixed by the page, a computed one); it lands in the non-field errors
    instead of raising ValueError, so a refusal from the service can always be
    put back onto the form with `form.add_error(None, error)`.
    """

    def add_error(self, field, error):
        if field is None:
            if isinstance(error, dict):
                error = ValidationError(error)
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                remapped = {}
                for name, errors in error.error_dict.items():
                    key = name if name in self.fields else NON_FIELD_ERRORS
                    remapped.setdefault(key, []).extend(errors)
                error = ValidationError(remapped)
        super().add_error(field, error)

    def ends_on(self):
        """«по» for the start and period on the form (None until both are valid)."""
        starts_on, period = self.value_of("starts_on"), self.value_of("period")
        if starts_on and period:
            return end_or_none(period, starts_on)
        return None

    def value_of(self, name):
        """The field's current value: cleaned when valid, else parsed from the data or initial."""
        if getattr(self, "cleaned_data", None) is not None and name in self.cleaned_data:
            return self.cleaned_data[name]
        field = self.fields[name]
        raw = self[name].value()
        try:
            return field.clean(raw)
        except ValidationError:
            return None


def _date_input():
    # The cabinet's one date control: ДД.ММ.ГГГГ in every language (cabinet/widgets.py).
    from cabinet.widgets import DateControl

    return DateControl()


# --- Base subscription ---------------------------------------------------------


class SubscriptionForm(DocumentFormMixin, forms.ModelForm):
    """«Подписка на тариф»: tariff, period, start. The subscriber comes from the page.

    On a change (an existing document) the tariff is shown but fixed; only the
    period and the start change, and R10/R11 decide whether that is allowed.
    """

    tariff = ListedModelChoiceField(
        queryset=Tariff.objects.none(),
        label=_("Тариф"),
        empty_label=_("— выберите тариф —"),
        error_messages=TARIFF_ERRORS,
    )
    period = ListedModelChoiceField(
        queryset=TariffPeriod.objects.none(),
        label=_("Период действия"),
        empty_label=_("— выберите период —"),
        error_messages=PERIOD_ERRORS,
        widget=PeriodSelect,
        group_by=lambda period: period.tariff.name,
    )
    starts_on = forms.DateField(
        label=_("Действует с"),
        input_formats=DATE_INPUT_FORMATS,
        error_messages=DATE_ERRORS,
        widget=_date_input(),
        help_text=ENDS_ON_HELP,
    )
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Subscription
        fields = ["tariff", "period", "starts_on"]

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        instance = self.instance
        editing = instance.pk is not None
        tariffs = Tariff.objects.filter(kind=Tariff.Kind.BASE)
        periods = TariffPeriod.objects.filter(tariff__kind=Tariff.Kind.BASE).select_related(
            "tariff"
        )
        if editing:
            tariffs = tariffs.filter(pk=instance.tariff_id)
            periods = periods.filter(Q(is_active=True) | Q(pk=instance.period_id)).filter(
                tariff_id=instance.tariff_id
            )
            self.fields["tariff"].disabled = True
            del self.fields["request_token"]
        else:
            tariffs = tariffs.filter(is_active=True)
            periods = periods.filter(is_active=True, tariff__is_active=True)
            if not self.is_bound:
                # model_to_dict() put the new instance's empty values in `initial`.
                self.initial["starts_on"] = self.initial.get("starts_on") or today
                self.initial["request_token"] = uuid.uuid4()
        self.fields["tariff"].queryset = tariffs.order_by("name")
        self.fields["period"].queryset = periods.order_by("tariff__name", "approx_days", "pk")
        self.fields["period"].label_from_instance = lambda p: (
            f"{p.tariff.name} — {p.label} — {format_tenge(p.price)}"
        )

    @property
    def editing(self) -> bool:
        return self.instance.pk is not None

    def js_data(self) -> dict:
        """Where the page's script asks for the live «по» (it computes nothing itself)."""
        params = {"subscription": self.instance.pk} if self.editing else {}
        url = reverse("subscription_preview", args=[self.instance.subscriber_id])
        return {"preview": {"url": url, "params": params}}


# --- Extension subscription ----------------------------------------------------


class ExtensionForm(DocumentFormMixin, forms.ModelForm):
    """«Подписка (создание)»: an extension of the base given by the page.

    Offers only the extension tariffs offered for the base's tariff and their
    periods; marks the periods that would end after the base for the current
    start; computes «по», the recommended aligned start and the total.
    """

    tariff = ListedModelChoiceField(
        queryset=Tariff.objects.none(),
        label=_("Тариф"),
        empty_label=_("— выберите тариф —"),
        error_messages=TARIFF_ERRORS,
    )
    period = ExtensionPeriodField(
        queryset=TariffPeriod.objects.none(),
        label=_("Период действия"),
        empty_label=_("— выберите период —"),
        error_messages=PERIOD_ERRORS,
        widget=PeriodSelect,
        group_by=lambda period: period.tariff.name,
    )
    starts_on = forms.DateField(
        label=_("Действует с"),
        input_formats=DATE_INPUT_FORMATS,
        error_messages=DATE_ERRORS,
        widget=_date_input(),
        help_text=ENDS_ON_HELP,
    )
    quantity = forms.IntegerField(
        label=_("Количество расширений"),
        # No min/max here: the model's validators and clean() give the messages
        # that name the tariff's maximum (R8).
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
    )
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ExtensionSubscription
        fields = ["tariff", "period", "starts_on", "quantity"]

    def __init__(self, *args, today: datetime.date, starts_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        base = self.base
        instance = self.instance
        # The extension tariffs offered for the base's tariff; on a change, also
        # the document's own tariff and period, so the form shows what it says
        # and the model's rule explains why it no longer fits.
        offered = Q(kind=Tariff.Kind.EXTENSION, is_active=True, offered_for=base.tariff_id)
        if instance.tariff_id:
            offered |= Q(pk=instance.tariff_id)
        self.fields["tariff"].queryset = Tariff.objects.filter(offered).distinct().order_by("name")
        tariff_ids = [t.pk for t in self.fields["tariff"].objects]
        periods = Q(is_active=True, tariff__in=tariff_ids)
        if instance.period_id:
            periods |= Q(pk=instance.period_id)
        self.fields["period"].queryset = (
            TariffPeriod.objects.filter(periods)
            .select_related("tariff")
            .order_by("tariff__name", "approx_days", "pk")
        )
        self._add_until_base_end_choices()
        self._until_choice = None
        self.recommended = recommended_start(base, today)
        if instance.until_base_end and instance.tariff_id and not self.is_bound:
            self.initial["period"] = f"{UntilBaseEnd.PREFIX}{instance.tariff_id}"
        if instance.pk is None:
            if not self.is_bound:
                # model_to_dict() put the new instance's empty values in `initial`.
                self.initial["starts_on"] = starts_on or self.recommended
                self.initial["quantity"] = self.initial.get("quantity") or 1
                self.initial["request_token"] = uuid.uuid4()
        else:
            del self.fields["request_token"]
            if starts_on and not self.is_bound:
                self.initial["starts_on"] = starts_on
        max_quantity = max((t.max_quantity or 1 for t in self.fields["tariff"].objects), default=1)
        selected_tariff = self.value_of("tariff")
        if selected_tariff is not None and selected_tariff.max_quantity:
            max_quantity = selected_tariff.max_quantity
        self.fields["quantity"].widget.attrs["max"] = max_quantity
        self._mark_unavailable_periods()

    @property
    def base(self) -> Subscription:
        return self.instance.subscription

    def _add_until_base_end_choices(self) -> None:
        """«До окончания подписки на тариф» for each listed tariff that offers it and has
        an offered «1 месяц» to price it; and for the draft that already says it."""
        field = self.fields["period"]
        listed = field.objects
        choices = []
        for tariff in self.fields["tariff"].objects:
            month = month_period_of(tariff.pk, listed)
            offered = tariff.offers_until_base_end and month is not None
            own = self.instance.until_base_end and self.instance.tariff_id == tariff.pk
            if offered or own:
                choices.append(UntilBaseEnd(tariff, month))
        field.add_choices(choices)
        if choices:
            field.help_text = UNTIL_BASE_END_HELP

    @property
    def offers_until_base_end(self) -> bool:
        return any(isinstance(obj, UntilBaseEnd) for obj in self.fields["period"].objects)

    def period_choice(self):
        """The chosen period, or the chosen `UntilBaseEnd` (also after validation, which
        turns it into `until_base_end` on the instance and no period)."""
        if self._until_choice is not None:
            return self._until_choice
        return self.value_of("period")

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("period")
        if "period" in cleaned:
            self.instance.until_base_end = isinstance(choice, UntilBaseEnd)
        if isinstance(choice, UntilBaseEnd):
            self._until_choice = choice
            cleaned["period"] = None
            tariff = cleaned.get("tariff")
            if tariff is not None and tariff.pk != choice.tariff_id:
                self.add_error(
                    "period",
                    ValidationError(
                        _(
                            "Период действия «%(period)s» не предлагается для тарифа "
                            "«%(tariff)s»: выберите период из списка."
                        ),
                        code="period_not_of_tariff",
                        params={"period": UNTIL_BASE_END_LABEL, "tariff": tariff.name},
                    ),
                )
        return cleaned

    def ends_on(self):
        """«по»: for «до окончания подписки на тариф», the base's last day."""
        if isinstance(self.period_choice(), UntilBaseEnd):
            return self.base.ends_on
        return super().ends_on()

    def until_base_end_prices(self, choice: "UntilBaseEnd", quantity=1):
        """(unit price, amount) from the current start to the base's end (pricing.py)."""
        return span_prices(choice.month_period, self.current_start(), self.base.ends_on, quantity)

    def span(self) -> str | None:
        """«7 мес. + 12 дн.»: the current start to the base's end, when «до окончания
        подписки на тариф» is chosen and the start lies in the base."""
        starts_on = self.current_start()
        if not isinstance(self.period_choice(), UntilBaseEnd) or starts_on is None:
            return None
        if starts_on > self.base.ends_on:
            return None
        return describe_months_and_days(*months_and_days(starts_on, self.base.ends_on))

    def until_base_end_label(self, choice: "UntilBaseEnd") -> str:
        text = gettext("до окончания подписки на тариф (по %(ends_on)s)") % {
            "ends_on": fmt(self.base.ends_on)
        }
        starts_on = self.current_start()
        prices = self.until_base_end_prices(choice)
        if prices is not None:
            span = describe_months_and_days(*months_and_days(starts_on, self.base.ends_on))
            return f"{text} — {span}, {format_tenge(prices[0])}"
        if choice.month_period is not None:
            return gettext("%(text)s — %(price)s за месяц") % {
                "text": text,
                "price": format_tenge(choice.month_period.price),
            }
        return text

    def current_start(self) -> datetime.date | None:
        return self.value_of("starts_on")

    def unavailable_reason(self, period: TariffPeriod, starts_on) -> str | None:
        if starts_on is None:
            return None
        if isinstance(period, UntilBaseEnd):
            if starts_on > self.base.ends_on:
                return gettext(
                    "недоступно: подписка на тариф заканчивается %(base_ends_on)s, раньше "
                    "даты начала"
                ) % {"base_ends_on": fmt(self.base.ends_on)}
            return None
        ends_on = end_or_none(period, starts_on)
        if ends_on is None:
            return gettext("недоступно: закончится позже окончания подписки %(base_ends_on)s") % {
                "base_ends_on": fmt(self.base.ends_on)
            }
        outside = rules.check_extension_within_base(
            starts_on=None, ends_on=ends_on, base_starts_on=None, base_ends_on=self.base.ends_on
        )
        if "period" in outside:  # R5, decided by its rule; the label says it briefly
            return gettext(
                "недоступно: закончится %(ends_on)s, позже окончания подписки %(base_ends_on)s"
            ) % {"ends_on": fmt(ends_on), "base_ends_on": fmt(self.base.ends_on)}
        return None

    def _mark_unavailable_periods(self):
        starts_on = self.current_start()
        reasons = {}
        for period in self.fields["period"].objects:
            reason = self.unavailable_reason(period, starts_on)
            if reason:
                reasons[period.pk] = reason
        field = self.fields["period"]
        field.widget.unavailable = reasons
        # The chosen period stays selectable: the refusal next to the field
        # says why it does not fit, and the browser would drop a disabled value.
        field.widget.keep_enabled = self["period"].value()

        def label(period):
            if isinstance(period, UntilBaseEnd):
                text = self.until_base_end_label(period)
            else:
                text = f"{period.label} — {format_tenge(period.price)}"
            if period.pk in reasons:
                text = f"{text} ({reasons[period.pk]})"
            return text

        field.label_from_instance = label

    def total(self) -> Decimal | None:
        period, quantity = self.period_choice(), self.value_of("quantity")
        if isinstance(period, UntilBaseEnd):
            prices = self.until_base_end_prices(period, quantity)
            return prices[1] if prices else None
        return period_amount(period, quantity)

    def total_formula(self) -> str:
        period, quantity = self.period_choice(), self.value_of("quantity")
        if isinstance(period, UntilBaseEnd):
            prices = self.until_base_end_prices(period, quantity)
            if prices is None:
                return gettext(
                    "полные месяцы по цене периода «1 месяц», остальные дни — по 1/30 этой цены "
                    "за день; × количество расширений"
                )
            return gettext(
                "%(span)s по цене периода «1 месяц» %(month_price)s (день — 1/30 этой цены) = "
                "%(unit)s × %(quantity)s"
            ) % {
                "span": self.span(),
                "month_price": format_tenge(period.month_period.price),
                "unit": format_tenge(prices[0]),
                "quantity": quantity,
            }
        if self.total() is None:
            return gettext("цена периода × количество расширений")
        return f"{format_tenge(period.price)} × {quantity}"

    def quantity_help(self) -> str:
        tariff = self.value_of("tariff")
        if tariff is not None and tariff.max_quantity:
            return gettext("От 1 до %(max)s.") % {"max": tariff.max_quantity}
        limits = "; ".join(
            gettext("«%(name)s» — до %(max)s") % {"name": t.name, "max": t.max_quantity}
            for t in self.fields["tariff"].objects
        )
        return gettext("От 1 до максимума тарифа: %(limits)s.") % {"limits": limits}

    def alignment_note(self) -> str:
        starts_on = self.current_start()
        if starts_on is None or is_aligned(self.base, starts_on):
            return ""
        return alignment_note_text(self.base)

    def period_options(self) -> list[dict]:
        """Each offered period as its <option> shows it for the current start: its
        text (with the reason when unavailable) and whether it can be chosen."""
        field = self.fields["period"]
        widget = field.widget
        return [
            {
                "value": str(period.pk),
                "tariff": str(period.tariff_id),
                "label": field.label_from_instance(period),
                "unavailable": widget.unavailable.get(period.pk, ""),
                "disabled": period.pk in widget.unavailable
                and str(period.pk) != str(widget.keep_enabled),
            }
            for period in field.objects
        ]

    def proposal(self) -> ProposedExtension | None:
        """The extension as the form would write it, for the what-if picture and
        limits; None until the tariff, a period of it, the start and the quantity
        are readable. Its end is the model's (periods.py); whether it leaves the
        base is the rule's (R4, R5)."""
        tariff, period = self.value_of("tariff"), self.period_choice()
        starts_on, quantity = self.current_start(), self.value_of("quantity")
        if tariff is None or period is None or starts_on is None or quantity is None:
            return None
        if period.tariff_id != tariff.pk or quantity < 1:
            return None
        if isinstance(period, UntilBaseEnd):
            # To the base's last day (the model's rule); a start after it draws nothing.
            ends_on = self.base.ends_on if starts_on <= self.base.ends_on else None
        else:
            ends_on = end_or_none(period, starts_on)
        if ends_on is None:
            return None
        outside = rules.check_extension_within_base(
            starts_on=starts_on,
            ends_on=ends_on,
            base_starts_on=self.base.starts_on,
            base_ends_on=self.base.ends_on,
        )
        return ProposedExtension(
            tariff=tariff,
            quantity=quantity,
            starts_on=starts_on,
            ends_on=ends_on,
            outside_base=bool(outside),
        )

    def js_data(self) -> dict:
        """Where the page's script asks for the preview (it computes nothing itself)."""
        params = {"extension": self.instance.pk} if self.instance.pk else {}
        url = reverse("extension_preview", args=[self.base.pk])
        return {"preview": {"url": url, "params": params}}


def alignment_note_text(base: Subscription) -> str:
    return gettext(
        "Дата начала не совпадает с числом начала подписки (%(day)s-е число, подписка с "
        "%(starts_on)s): клиент заплатит за неполный месяц."
    ) % {"day": base.starts_on.day, "starts_on": fmt(base.starts_on)}
