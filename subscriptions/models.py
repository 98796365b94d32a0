import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.formatting import fmt, format_tenge

from . import clock, pricing, rules
from .periods import (
    DAYS_PER_UNIT,
    MONTHS_PER_UNIT,
    Periodicity,
    PeriodOutOfRange,
    describe_period,
    period_end,
)
from .validators import (
    BUSINESS_FIRST_DAY,
    BUSINESS_LAST_DAY,
    REMINDER_DAYS_REGEX,
    in_business_range,
    normalize_reminder_days,
    parse_reminder_days,
    validate_business_date,
    validate_reminder_days,
)

# The database-wide bound of R8; each extension tariff sets its own, lower maximum.
QUANTITY_CEILING = 999


class Tariff(models.Model):
    """A priced offer of the service.

    A *base* tariff includes sessions and infobases; an *extension* tariff adds
    one resource (sessions or infobases), up to `max_quantity` per document,
    and is offered for a chosen set of base tariffs.

    `reminder_days` lists how many days before a base subscription's end its
    partner is reminded (stored normalized, largest first: «30,14,3»; empty:
    no reminders).
    """

    class Kind(models.TextChoices):
        BASE = "base", _("Основной")
        EXTENSION = "extension", _("Расширение")

    class Resource(models.TextChoices):
        SESSIONS = "sessions", _("Сеансы")
        INFOBASES = "infobases", _("Информационные базы")

    name = models.CharField(_("наименование"), max_length=200, unique=True)
    kind = models.CharField(_("вид тарифа"), max_length=16, choices=Kind.choices)
    sessions = models.PositiveIntegerField(
        _("включено сеансов"), default=0, help_text=_("Только для основного тарифа.")
    )
    infobases = models.PositiveIntegerField(
        _("включено информационных баз"), default=0, help_text=_("Только для основного тарифа.")
    )
    resource = models.CharField(
        _("ресурс расширения"),
        max_length=16,
        choices=Resource.choices,
        blank=True,
        help_text=_("Только для тарифа расширения: что добавляет одна единица."),
    )
    max_quantity = models.PositiveIntegerField(
        _("максимальное количество"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(QUANTITY_CEILING)],
        help_text=_(
            "Только для тарифа расширения: сколько единиц можно добавить одним документом."
        ),
    )
    offered_for = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="extension_tariffs",
        limit_choices_to={"kind": "base"},
        verbose_name=_("предлагается для тарифов"),
    )
    is_active = models.BooleanField(_("действует"), default=True)
    description = models.TextField(_("описание"), blank=True)
    reminder_days = models.CharField(
        _("напоминать за, дней"),
        max_length=64,
        blank=True,
        default="30,14,3",
        validators=[validate_reminder_days],
        help_text=_(
            "За сколько дней до окончания подписки на тариф напомнить партнеру, через запятую "
            "(например, «30,14,3»); пусто — не напоминать."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("тариф")
        verbose_name_plural = _("тарифы")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="base", resource="", max_quantity__isnull=True)
                | Q(
                    kind="extension",
                    resource__in=["sessions", "infobases"],
                    max_quantity__gte=1,
                    max_quantity__lte=QUANTITY_CEILING,
                ),
                name="subscriptions_tariff_kind_consistent",
                violation_error_code="tariff_kind_inconsistent",
                violation_error_message=_(
                    "У основного тарифа нет ресурса и максимума; "
                    "у тарифа расширения они обязательны."
                ),
            ),
            models.CheckConstraint(
                condition=Q(reminder_days__regex=REMINDER_DAYS_REGEX),
                name="subscriptions_tariff_reminder_days_format",
                violation_error_code="reminder_days_format",
                violation_error_message=_(
                    "Пороги напоминаний — целые числа дней через запятую, например «30,14,3»."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_extension(self) -> bool:
        return self.kind == self.Kind.EXTENSION

    @property
    def reminder_thresholds(self) -> tuple[int, ...]:
        """The reminder thresholds in days, largest first; () when none or unreadable."""
        try:
            return parse_reminder_days(self.reminder_days)
        except ValueError:
            return ()

    def save(self, *args, **kwargs):
        self.reminder_days = normalize_reminder_days(self.reminder_days)
        super().save(*args, **kwargs)

    def is_in_use(self) -> bool:
        return self.subscriptions.exists() or self.extension_subscriptions.exists()

    def clean(self):
        # Normalized before the constraints are validated: «30, 14, 3» is accepted.
        self.reminder_days = normalize_reminder_days(self.reminder_days)
        errors = {}
        # What documents already rely on (R2) does not change under them.
        stored = Tariff.objects.filter(pk=self.pk).values("kind", "resource").first()
        if stored is not None and self.is_in_use():
            for name in ("kind", "resource"):
                if stored[name] != getattr(self, name):
                    errors[name] = ValidationError(
                        _(
                            "По тарифу уже оформлены подписки: это поле изменить нельзя. "
                            "Заведите новый тариф."
                        ),
                        code="tariff_in_use",
                    )
        if stored is not None and self.kind == self.Kind.EXTENSION and self.max_quantity:
            # R8 «in use»: never below what is already posted (the service runs
            # this under the tariff's row lock, so no posting slips in between).
            posted_above = list(
                self.extension_subscriptions.filter(
                    status=Status.POSTED, quantity__gt=self.max_quantity
                ).order_by("-quantity", "pk")[: rules.DOCUMENTS_NAMED + 1]
            )
            errors.update(
                rules.check_max_quantity_keeps_posted(
                    max_quantity=self.max_quantity, posted_above=posted_above
                )
            )
        if self.kind == self.Kind.EXTENSION:
            if not self.resource:
                errors["resource"] = ValidationError(
                    _("Укажите, что добавляет тариф расширения: сеансы или базы."),
                    code="resource_required",
                )
            if not self.max_quantity:
                errors["max_quantity"] = ValidationError(
                    _("Укажите максимальное количество для тарифа расширения."),
                    code="max_quantity_required",
                )
        elif self.kind == self.Kind.BASE:
            if self.resource:
                errors["resource"] = ValidationError(
                    _("У основного тарифа нет ресурса расширения: оставьте поле пустым."),
                    code="resource_not_allowed",
                )
            if self.max_quantity is not None:
                errors["max_quantity"] = ValidationError(
                    _("У основного тарифа нет максимального количества: оставьте поле пустым."),
                    code="max_quantity_not_allowed",
                )
        if errors:
            raise ValidationError(errors)

    def clean_offered_for(self, offered_for) -> None:
        """R2 for the many-to-many «предлагается для тарифов», which clean() cannot see.

        Only base tariffs, and only for an extension tariff; a base tariff
        leaves the list only while no extension of this tariff stands on its
        subscriptions (the service calls this under the tariff's row lock).
        """
        offered = list(offered_for)
        if self.kind == self.Kind.BASE and offered:
            raise ValidationError(
                {
                    "offered_for": ValidationError(
                        _(
                            "Основной тариф не предлагается для других тарифов: оставьте "
                            "список пустым."
                        ),
                        code="base_offered_for",
                    )
                }
            )
        not_base = [t.name for t in offered if t.kind != self.Kind.BASE]
        if not_base:
            raise ValidationError(
                {
                    "offered_for": ValidationError(
                        _(
                            "Тариф расширения предлагается только для основных тарифов, а "
                            "%(names)s — не основной. Уберите его из списка."
                        ),
                        code="offered_for_not_base",
                        params={"names": ", ".join(f"«{name}»" for name in not_base)},
                    )
                }
            )
        if self.pk is None:
            return
        removed = set(
            Tariff.offered_for.through.objects.filter(from_tariff=self.pk).values_list(
                "to_tariff", flat=True
            )
        ) - {t.pk for t in offered}
        stranded = list(
            Tariff.objects.filter(pk__in=removed, subscriptions__extensions__tariff=self)
            .distinct()
            .order_by("name")
            .values_list("name", flat=True)
        )
        errors = rules.check_offered_for_keeps_extensions(
            tariff_name=self.name, stranded_names=stranded
        )
        if errors:
            raise ValidationError(errors)


class TariffPeriod(models.Model):
    """One duration a tariff is offered for («Период действия»), with its price in KZT."""

    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="periods", verbose_name=_("тариф")
    )
    periodicity = models.CharField(
        _("периодичность"), max_length=16, choices=Periodicity.choices, default=Periodicity.MONTH
    )
    count = models.PositiveSmallIntegerField(
        _("количество периодов"), default=1, validators=[MinValueValidator(1)]
    )
    price = models.DecimalField(
        _("цена, ₸"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    approx_days = models.PositiveIntegerField(_("примерная длительность, дней"), editable=False)
    is_active = models.BooleanField(_("предлагается"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("период действия")
        verbose_name_plural = _("периоды действия")
        ordering = ["tariff__name", "approx_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "periodicity", "count"],
                name="subscriptions_tariffperiod_unique",
                violation_error_message=_("Такой период у тарифа уже есть."),
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1),
                name="subscriptions_tariffperiod_count_positive",
                violation_error_code="count_positive",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="subscriptions_tariffperiod_price_not_negative",
                violation_error_code="price_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    periodicity__in=[
                        "day",
                        "week",
                        "decade",
                        "month",
                        "quarter",
                        "half_year",
                        "year",
                    ]
                ),
                name="subscriptions_tariffperiod_periodicity_valid",
                violation_error_code="periodicity_invalid",
            ),
        ]

    def __str__(self):
        return f"{self.label} — {format_tenge(self.price)}"

    @property
    def label(self) -> str:
        return describe_period(self.periodicity, self.count)

    def end_for(self, starts_on: datetime.date) -> datetime.date:
        return period_end(starts_on, self.periodicity, self.count)

    def is_in_use(self) -> bool:
        return (
            Subscription.objects.filter(period=self).exists()
            or ExtensionSubscription.objects.filter(period=self).exists()
        )

    def clean(self):
        """A period used by documents keeps its tariff and length: their `ends_on` follows (R3)."""
        stored = (
            TariffPeriod.objects.filter(pk=self.pk)
            .values("tariff_id", "periodicity", "count")
            .first()
        )
        if stored is None:
            return
        changed = (
            stored["tariff_id"] != self.tariff_id
            or stored["periodicity"] != self.periodicity
            or stored["count"] != self.count
        )
        if changed and self.is_in_use():
            raise ValidationError(
                {
                    "count": ValidationError(
                        _(
                            "Период уже есть в подписках: его длительность не меняется, "
                            "меняется только цена. Для другой длительности добавьте новый период."
                        ),
                        code="period_in_use",
                    )
                }
            )

    def save(self, *args, **kwargs):
        unit = Periodicity(self.periodicity)
        per_unit = DAYS_PER_UNIT.get(unit) or round(MONTHS_PER_UNIT[unit] * 30.44)
        self.approx_days = per_unit * self.count
        super().save(*args, **kwargs)


class NumberSequence(models.Model):
    """The last number given to a kind of document; incremented under a row lock."""

    name = models.CharField(max_length=32, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("нумератор документов")
        verbose_name_plural = _("нумераторы документов")

    def __str__(self):
        return f"{self.name}: {self.last_value}"


def next_document_number(prefix: str) -> str:
    """A 9-character document number: a letter and 8 digits (Т00000012)."""
    with transaction.atomic():
        NumberSequence.objects.get_or_create(name=prefix)
        NumberSequence.objects.filter(name=prefix).update(last_value=F("last_value") + 1)
        value = NumberSequence.objects.get(name=prefix).last_value
    return f"{prefix}{value:08d}"


class Status(models.TextChoices):
    DRAFT = "draft", _("Черновик")
    POSTED = "posted", _("Проведена")


class SubscriptionDocument(models.Model):
    """What base and extension subscriptions share: a numbered, dated document."""

    NUMBER_PREFIX = ""

    number = models.CharField(_("номер"), max_length=9, unique=True, editable=False)
    status = models.CharField(
        _("состояние"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    period = models.ForeignKey(
        TariffPeriod, on_delete=models.PROTECT, related_name="+", verbose_name=_("период действия")
    )
    starts_on = models.DateField(_("действует с"), validators=[validate_business_date])
    ends_on = models.DateField(
        _("действует по"),
        editable=False,
        help_text=_("Вычисляется: день перед «дата начала + период действия»."),
    )
    request_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("создал"),
        editable=False,
    )
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменена"), auto_now=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("провел"),
        editable=False,
    )
    posted_at = models.DateTimeField(_("проведена"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            name: value
            for name, value in zip(field_names, values, strict=True)
            if name in cls.TRACKED_FIELDS
        }
        return instance

    TRACKED_FIELDS = ("status", "starts_on", "period_id", "tariff_id", "subscriber_id")
    # The foreign key that leads to the subscriber's organization (see assign_organization).
    ORGANIZATION_SOURCE = ""

    def loaded_value(self, name):
        return getattr(self, "_loaded", {}).get(name)

    def assign_organization(self):
        """Keep the stored `organization` equal to the subscriber's organization.

        The organization is copied onto every document so that the cabinet's
        lists filter and order one table by one index, instead of reaching the
        organization through the subscriber (and the base) for every row. It
        follows the subscriber (a base) or the base (an extension) and costs
        no query when that object is loaded or the link did not change; a
        subscriber with subscriptions never changes organization
        (`Subscriber.clean()`).
        """
        field = self._meta.get_field(self.ORGANIZATION_SOURCE)
        source_id = getattr(self, field.attname)
        if source_id is None:
            return
        if field.is_cached(self):
            self.organization_id = getattr(self, field.name).organization_id
        elif self.organization_id is None or source_id != self.loaded_value(field.attname):
            self.organization_id = (
                field.related_model._base_manager.filter(pk=source_id)
                .values_list("organization_id", flat=True)
                .get()
            )

    @property
    def is_posted(self) -> bool:
        return self.status == Status.POSTED

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    def compute_ends_on(self):
        """R3: `ends_on` always follows from `starts_on` and the period."""
        if self.starts_on and self.period_id:
            try:
                self.ends_on = self.period.end_for(self.starts_on)
            except PeriodOutOfRange as exc:
                raise ValidationError(
                    rules.check_ends_in_business_range(None, beyond_calendar=True)
                ) from exc

    def clean_dates(self, errors) -> None:
        """R9 and R18 for the computed end (the typed start has its field validator)."""
        if "starts_on" in errors or not in_business_range(self.starts_on):
            return
        errors.update(rules.check_ends_in_business_range(self.ends_on))
        if "starts_on" not in errors:
            errors.update(rules.check_start_not_after_end(self.starts_on, self.ends_on))

    def takes_up_offer(self) -> bool:
        """Posting, or a posted document taking another tariff or period (R8: offered now)."""
        if not self.is_posted:
            return False
        if self._state.adding or self.loaded_value("status") != Status.POSTED:
            return True
        return self.tariff_id != self.loaded_value("tariff_id") or (
            self.period_id != self.loaded_value("period_id")
        )

    def clean_offer_active(self, errors) -> None:
        """R8: an inactive tariff or period is not posted — from the cabinet, the admin or a job."""
        if not self.takes_up_offer():
            return
        tariff = self.tariff if self.tariff_id else None
        period = self.period if self.period_id else None
        for field, error in rules.check_offer_active(
            tariff_name=tariff.name if tariff else "",
            tariff_is_active=tariff.is_active if tariff else None,
            period_label=period.label if period else "",
            period_is_active=period.is_active if period else None,
        ).items():
            errors.setdefault(field, error)

    def clean_period(self, errors):
        if self.period_id and self.tariff_id and self.period.tariff_id != self.tariff_id:
            errors["period"] = ValidationError(
                _(
                    "Период действия «%(period)s» не предлагается для тарифа «%(tariff)s»: "
                    "выберите период из списка."
                ),
                code="period_not_of_tariff",
                params={"period": self.period.label, "tariff": self.tariff.name},
            )

    def save(self, *args, **kwargs):
        self.compute_ends_on()
        self.assign_organization()
        if not self.number:
            self.number = next_document_number(self.NUMBER_PREFIX)
        super().save(*args, **kwargs)

    @property
    def amount_display(self):
        return format_tenge(self.current_amount)


class SubscriptionQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)

    def posted(self):
        return self.filter(status=Status.POSTED)

    def active_on(self, day):
        return self.filter(status=Status.POSTED, starts_on__lte=day, ends_on__gte=day)


class Subscription(SubscriptionDocument):
    """A base tariff subscription («Подписка на тариф»).

    Invariants: the tariff is a base tariff (R2); the period is the tariff's and
    `ends_on` follows from it (R3); `starts_on` ≤ `ends_on` (R9); no posted
    extension falls outside it (R10); a subscriber's posted subscriptions of one
    tariff never overlap (R11, on PostgreSQL also an exclusion constraint).
    A subscription that `renews` another starts the day after it ends.
    """

    NUMBER_PREFIX = "Т"
    ORGANIZATION_SOURCE = "subscriber"

    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("абонент"),
    )
    # The subscriber's organization, stored (set in save()) for the lists;
    # indexed by the composite indexes below, which start with it.
    organization = models.ForeignKey(
        "subscribers.ServiceOrganization",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
        verbose_name=_("обслуживающая организация"),
    )
    tariff = models.ForeignKey(
        Tariff,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        limit_choices_to={"kind": "base"},
        verbose_name=_("тариф"),
    )
    renews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("продлевает подписку"),
    )
    history = HistoricalRecords()

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("подписка на тариф")
        verbose_name_plural = _("подписки на тарифы")
        ordering = ["-starts_on", "-pk"]
        indexes = [
            models.Index(
                fields=["subscriber", "status", "starts_on", "ends_on"],
                name="sub_subscriber_dates_idx",
            ),
            models.Index(fields=["status", "ends_on"], name="sub_status_ends_idx"),
            models.Index(fields=["-starts_on", "-id"], name="sub_order_idx"),
            # organization_documents(): each part ordered by (-starts_on, number) and
            # limited; the filters on status and end dates.
            models.Index(fields=["organization", "-starts_on", "number"], name="sub_org_order_idx"),
            models.Index(
                fields=["organization", "status", "ends_on"], name="sub_org_status_ends_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="subscriptions_subscription_starts_before_ends",
                violation_error_code="ends_before_starts",
                violation_error_message=_("Дата окончания раньше даты начала."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "posted"]),
                name="subscriptions_subscription_status_valid",
                violation_error_code="status_invalid",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__gte=BUSINESS_FIRST_DAY, ends_on__lte=BUSINESS_LAST_DAY),
                name="subscriptions_subscription_dates_in_business_range",
                violation_error_code="date_out_of_range",
                violation_error_message=_(
                    "Даты подписки вне рабочего диапазона сервиса (01.01.2000 – 31.12.2099)."
                ),
            ),
        ]

    def __str__(self):
        return (
            f"№ {self.number} {self.subscriber} — {self.tariff} "
            f"({fmt(self.starts_on)}–{fmt(self.ends_on)})"
        )

    @property
    def kind_label(self) -> str:
        return _("Продлевающая") if self.renews_id else _("Основная")

    @property
    def current_amount(self):
        return pricing.document_amount(self)

    def clean(self):
        errors = {}
        self.compute_ends_on()
        if self.tariff_id and self.tariff.kind != Tariff.Kind.BASE:
            errors["tariff"] = ValidationError(
                _(
                    "«%(tariff)s» — тариф расширения. Для подписки на тариф выберите основной "
                    "тариф; расширение оформляется в карточке подписки."
                ),
                code="tariff_not_base",
                params={"tariff": self.tariff.name},
            )
        self.clean_period(errors)
        self.clean_dates(errors)
        self.clean_offer_active(errors)
        if self.renews_id and self.starts_on:
            renewed = self.renews
            if renewed.subscriber_id != self.subscriber_id or renewed.tariff_id != self.tariff_id:
                errors["__all__"] = ValidationError(
                    _("Продлевающая подписка — того же абонента и того же тарифа."),
                    code="renewal_other_subscriber_or_tariff",
                )
            else:
                errors.update(
                    rules.check_renewal_follows(
                        renewed_ends_on=renewed.ends_on, renewal_starts_on=self.starts_on
                    )
                )
        if self.pk and not errors:
            errors.update(self._check_stored_documents_stay_valid())
        if self.is_posted and not errors:
            errors.update(self._check_no_overlap())
        if errors:
            raise ValidationError(errors)

    def _check_stored_documents_stay_valid(self) -> dict:
        """R10, and what the documents that rely on this one need (R1, R2, renewals).

        Compares with the row as stored, never with what the instance was
        loaded with: a form or the admin may build the instance afresh.
        """
        stored = (
            Subscription.objects.filter(pk=self.pk).values("subscriber_id", "tariff_id").first()
        )
        if stored is None:
            return {}
        if stored["subscriber_id"] != self.subscriber_id and (
            self.extensions.exists() or self.renewals.exists() or self.renews_id
        ):
            return {
                "subscriber": ValidationError(
                    _(
                        "К подписке оформлены расширения или продления, поэтому абонента "
                        "изменить нельзя. Оформите подписку заново у нужного абонента."
                    ),
                    code="subscriber_change_with_documents",
                )
            }
        posted = list(self.extensions.filter(status=Status.POSTED).order_by("starts_on", "pk"))
        errors = rules.check_base_keeps_extensions(
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            is_posted=self.is_posted,
            posted_extensions=posted,
        )
        if errors:
            return errors
        renewal = self.renewals.filter(status=Status.POSTED).order_by("pk").first()
        if renewal is not None:
            errors = rules.check_renewal_follows(
                renewed_ends_on=self.ends_on,
                renewal_starts_on=renewal.starts_on,
                renewal_number=renewal.number,
            )
            if not errors and not self.is_posted:
                errors = {
                    "__all__": ValidationError(
                        _(
                            "Подписку продлевает проведенная подписка № %(number)s: сначала "
                            "отмените ее проведение."
                        ),
                        code="base_unpost_strands_renewal",
                        params={"number": renewal.number},
                    )
                }
            if errors:
                return errors
        if self.tariff_id and stored["tariff_id"] != self.tariff_id:
            foreign = self.extensions.exclude(tariff__offered_for=self.tariff_id)
            if foreign.exists():
                return {
                    "tariff": ValidationError(
                        _(
                            "К подписке оформлены расширения %(list)s, которые не предлагаются "
                            "для тарифа «%(tariff)s»: сначала отмените их проведение и удалите "
                            "их."
                        ),
                        code="tariff_change_strands_extensions",
                        params={
                            "list": rules.describe_documents(foreign),
                            "tariff": self.tariff.name,
                        },
                    )
                }
        return {}

    def _check_no_overlap(self) -> dict:
        if not (self.subscriber_id and self.tariff_id and self.starts_on and self.ends_on):
            return {}
        overlapping = list(
            Subscription.objects.filter(
                subscriber_id=self.subscriber_id,
                tariff_id=self.tariff_id,
                status=Status.POSTED,
                starts_on__lte=self.ends_on,
                ends_on__gte=self.starts_on,
            )
            .exclude(pk=self.pk)
            .order_by("starts_on")
        )
        return rules.check_base_no_overlap(tariff_name=self.tariff.name, overlapping=overlapping)


class ExtensionSubscriptionQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)

    def posted(self):
        return self.filter(status=Status.POSTED)

    def active_on(self, day):
        return self.filter(status=Status.POSTED, starts_on__lte=day, ends_on__gte=day)


class ExtensionSubscription(SubscriptionDocument):
    """An extension subscription («Подписка на расширение тарифа»).

    Invariants: it belongs to one base subscription (R1); its tariff is an
    extension tariff offered for the base's tariff (R2); its period is its
    tariff's and `ends_on` follows from it (R3); it lies inside the base
    (R4, R5); it is posted only on a posted base that has not ended, starting
    today or later (R6, R7); 1 ≤ quantity ≤ the tariff's maximum (R8).
    Its price is kept as it was when posted.
    """

    NUMBER_PREFIX = "Р"
    ORGANIZATION_SOURCE = "subscription"
    TRACKED_FIELDS = (
        "status",
        "starts_on",
        "period_id",
        "tariff_id",
        "quantity",
        "subscription_id",
    )

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        related_name="extensions",
        verbose_name=_("подписка на тариф"),
    )
    # The base's organization, stored (set in save()) for the lists.
    organization = models.ForeignKey(
        "subscribers.ServiceOrganization",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
        verbose_name=_("обслуживающая организация"),
    )
    tariff = models.ForeignKey(
        Tariff,
        on_delete=models.PROTECT,
        related_name="extension_subscriptions",
        limit_choices_to={"kind": "extension"},
        verbose_name=_("тариф"),
    )
    quantity = models.PositiveIntegerField(
        _("количество расширений"),
        default=1,
        validators=[
            MinValueValidator(1, _("Количество расширений — не меньше 1.")),
            # The upper bound is the tariff's (clean(), one message naming it);
            # QUANTITY_CEILING is the database's backstop.
        ],
    )
    unit_price = models.DecimalField(
        _("цена за единицу, ₸"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    amount = models.DecimalField(
        _("сумма, ₸"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    history = HistoricalRecords()

    objects = ExtensionSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("подписка на расширение тарифа")
        verbose_name_plural = _("подписки на расширение тарифа")
        ordering = ["-starts_on", "-pk"]
        indexes = [
            models.Index(
                fields=["subscription", "status", "starts_on", "ends_on"], name="ext_base_dates_idx"
            ),
            models.Index(fields=["status", "starts_on", "ends_on"], name="ext_status_dates_idx"),
            models.Index(fields=["-starts_on", "-id"], name="ext_order_idx"),
            models.Index(fields=["organization", "-starts_on", "number"], name="ext_org_order_idx"),
            models.Index(
                fields=["organization", "status", "ends_on"], name="ext_org_status_ends_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="subscriptions_extension_starts_before_ends",
                violation_error_code="ends_before_starts",
                violation_error_message=_("Дата окончания раньше даты начала."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=QUANTITY_CEILING),
                name="subscriptions_extension_quantity_range",
                violation_error_code="quantity_out_of_range",
                violation_error_message=_("Количество расширений — от 1 до 999."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "posted"]),
                name="subscriptions_extension_status_valid",
                violation_error_code="status_invalid",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__gte=BUSINESS_FIRST_DAY, ends_on__lte=BUSINESS_LAST_DAY),
                name="subscriptions_extension_dates_in_business_range",
                violation_error_code="date_out_of_range",
                violation_error_message=_(
                    "Даты подписки вне рабочего диапазона сервиса (01.01.2000 – 31.12.2099)."
                ),
            ),
        ]

    def __str__(self):
        return f"№ {self.number} {self.tariff} × {self.quantity}"

    kind_label = _("Расширяющая")

    @property
    def current_amount(self):
        """The kept amount once posted; for a draft, today's price × quantity."""
        return pricing.document_amount(self)

    def is_being_posted(self) -> bool:
        """Posting, or changing what a posted document says: R6 and R7 apply."""
        if not self.is_posted:
            return False
        if self._state.adding or self.loaded_value("status") != Status.POSTED:
            return True
        return any(
            getattr(self, name) != self.loaded_value(name)
            for name in self.TRACKED_FIELDS
            if name != "status"
        )

    def clean(self):
        errors = {}
        self.compute_ends_on()
        base = self.subscription if self.subscription_id else None
        tariff = self.tariff if self.tariff_id else None
        if tariff is not None:
            if tariff.kind != Tariff.Kind.EXTENSION:
                errors["tariff"] = ValidationError(
                    _(
                        "«%(tariff)s» — основной тариф. Для расширения выберите «Дополнительный "
                        "сеанс» или «Дополнительная база»."
                    ),
                    code="tariff_not_extension",
                    params={"tariff": tariff.name},
                )
            elif base is not None and not tariff.offered_for.filter(pk=base.tariff_id).exists():
                errors["tariff"] = ValidationError(
                    _("Тариф «%(tariff)s» не предлагается для тарифа «%(base_tariff)s»."),
                    code="tariff_not_offered",
                    params={"tariff": tariff.name, "base_tariff": base.tariff.name},
                )
            else:
                errors.update(
                    rules.check_quantity(quantity=self.quantity, max_quantity=tariff.max_quantity)
                )
        self.clean_period(errors)
        self.clean_dates(errors)
        self.clean_offer_active(errors)
        if base is not None:
            for field, error in rules.check_extension_within_base(
                starts_on=self.starts_on,
                ends_on=self.ends_on,
                base_starts_on=base.starts_on,
                base_ends_on=base.ends_on,
            ).items():
                errors.setdefault(field, error)
            if self.is_being_posted():
                posting = rules.check_extension_posting(
                    today=clock.today(),
                    starts_on=self.starts_on,
                    base_number=base.number,
                    base_is_posted=base.is_posted,
                    base_ends_on=base.ends_on,
                )
                if posting.get("__all__") and posting["__all__"].code == "base_ended":
                    # No period can fit an ended base: «choose a shorter one» would mislead.
                    errors.pop("period", None)
                for field, error in posting.items():
                    errors.setdefault(field, error)
        if errors:
            raise ValidationError(errors)


class ReminderSent(models.Model):
    """A reminder mail about a base subscription's end, sent at one threshold.

    At most one row per (subscription, threshold): `send_reminders` inserts the
    row before it sends, in the same transaction, and mails only what it could
    insert — so a second run, or two runs at once, never mail twice, and a
    failed send leaves no row, so the next run tries again.
    """

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("подписка на тариф"),
    )
    threshold_days = models.PositiveSmallIntegerField(
        _("порог, дней до окончания"), validators=[MinValueValidator(1)]
    )
    ends_on = models.DateField(
        _("действует по"), help_text=_("Дата окончания подписки, о которой напомнили.")
    )
    recipients = models.TextField(_("получатели"), blank=True)
    sent_at = models.DateTimeField(_("отправлено"), default=timezone.now)

    class Meta:
        verbose_name = _("отправленное напоминание")
        verbose_name_plural = _("отправленные напоминания")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "threshold_days"],
                name="subscriptions_remindersent_once_per_threshold",
                violation_error_message=_("Об этой подписке на этом пороге уже напомнили."),
            ),
            models.CheckConstraint(
                condition=Q(threshold_days__gte=1),
                name="subscriptions_remindersent_threshold_positive",
                violation_error_code="threshold_positive",
            ),
        ]

    def __str__(self):
        return f"{self.subscription.number}: за {self.threshold_days} дн."


# Today's limits kept per subscriber for sorting lists (its own module: how they stay true).
from .kept_limits import SubscriberLimits, SubscriberLimitsPending  # noqa: E402, F401
