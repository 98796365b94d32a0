import datetime
import sqlite3

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common import constraints
from common.formatting import fmt, format_tenge

from . import clock, pricing, rules
from .periods import (
    DAYS_PER_UNIT,
    MONTHS_PER_UNIT,
    Periodicity,
    PeriodOutOfRange,
    describe_months_and_days,
    describe_period,
    months_and_days,
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
# R13's defaults (1C:Фреш: up to 7 days, within 30 days of the end) and bounds.
GRACE_DAYS_DEFAULT = 7
GRACE_DAYS_CEILING = 31
GRACE_WINDOW_DEFAULT = 30
GRACE_WINDOW_CEILING = 365


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
    offers_until_base_end = models.BooleanField(
        _("предлагать «до окончания подписки на тариф»"),
        default=True,
        help_text=_(
            "Только для тарифа расширения: кроме периодов действия предлагать расширение по "
            "последний день подписки на тариф. Сумма — полные календарные месяцы по цене "
            "периода «1 месяц» и остальные дни по 1/30 этой цены за день, с округлением до "
            "тенге. Нужен предлагаемый период «1 месяц»: без него вариант не предлагается."
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
    # R13: the grace subscription («Продлевающая», «обещанный платеж») of a base tariff.
    grace_days = models.PositiveSmallIntegerField(
        _("продлевающая подписка, дней"),
        default=GRACE_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(GRACE_DAYS_CEILING)],
        help_text=_(
            "Только для основного тарифа: сколько дней самое большее длится продлевающая "
            "подписка («обещанный платеж») после окончания подписки на тариф."
        ),
    )
    grace_window_days = models.PositiveSmallIntegerField(
        _("оформлять продлевающую в течение, дней"),
        default=GRACE_WINDOW_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(GRACE_WINDOW_CEILING)],
        help_text=_(
            "Только для основного тарифа: сколько дней после окончания подписки на тариф "
            "можно оформить продлевающую подписку."
        ),
    )
    grace_price = models.DecimalField(
        _("цена продлевающей подписки, ₸"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Только для основного тарифа: сумма продлевающей подписки, сколько бы дней она ни "
            "длилась; 0 — бесплатно."
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
            models.CheckConstraint(
                condition=Q(
                    grace_days__gte=1,
                    grace_days__lte=GRACE_DAYS_CEILING,
                    grace_window_days__gte=1,
                    grace_window_days__lte=GRACE_WINDOW_CEILING,
                    grace_price__gte=0,
                ),
                name="subscriptions_tariff_grace_settings_valid",
                violation_error_code="grace_settings_invalid",
                violation_error_message=_(
                    "Продлевающая подписка — от 1 до 31 дня, оформляется в течение 1–365 дней, "
                    "цена не меньше нуля."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind="extension") | Q(offers_until_base_end=False),
                name="subscriptions_tariff_until_base_end_extension_only",
                violation_error_code="until_base_end_not_extension",
                violation_error_message=_(
                    "«До окончания подписки на тариф» предлагается только для тарифа расширения."
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
        self.normalize_until_base_end()
        super().save(*args, **kwargs)

    def normalize_until_base_end(self) -> None:
        """«До окончания подписки на тариф» is an extension tariff's option: a base
        tariff never offers it (the field's default is for extension tariffs)."""
        if self.kind != self.Kind.EXTENSION:
            self.offers_until_base_end = False

    def month_period(self) -> "TariffPeriod | None":
        """The offered «1 месяц» period, whose price prices «до окончания подписки на тариф»."""
        return self.periods.filter(periodicity=Periodicity.MONTH, count=1, is_active=True).first()

    def is_in_use(self) -> bool:
        return self.subscriptions.exists() or self.extension_subscriptions.exists()

    def clean(self):
        # Normalized before the constraints are validated: «30, 14, 3» is accepted.
        self.reminder_days = normalize_reminder_days(self.reminder_days)
        self.normalize_until_base_end()
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
                    max_quantity=self.max_quantity, posted_above=posted_above, today=clock.today()
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
    """A 9-character document number: a letter and 8 digits (Т00000012).

    One statement: the sequence's row is made at its first use, else
    incremented under its row lock (held to the end of the transaction, the
    last lock a posting takes), and the new value returned.
    """
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        with transaction.atomic():  # no RETURNING before SQLite 3.35
            NumberSequence.objects.get_or_create(name=prefix)
            NumberSequence.objects.filter(name=prefix).update(last_value=F("last_value") + 1)
            value = NumberSequence.objects.get(name=prefix).last_value
        return f"{prefix}{value:08d}"
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, last_value) VALUES (%s, 1) "
            f"ON CONFLICT (name) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [prefix],
        )
        value = cursor.fetchone()[0]
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
    # R14 «Прекратить»: a posted document ended before its end by contract. `ends_on`
    # is then `ended_early_on`; `planned_ends_on` keeps the end by contract.
    ended_early_on = models.DateField(
        _("прекращена, последний день"), null=True, blank=True, editable=False
    )
    planned_ends_on = models.DateField(
        _("действовала бы по"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Окончание по договору: до досрочного прекращения или по замене."),
    )
    early_end_reason = models.CharField(
        _("причина прекращения"), max_length=300, blank=True, editable=False
    )
    ended_early_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("прекратил"),
        editable=False,
    )
    ended_early_at = models.DateTimeField(_("прекращена"), null=True, blank=True, editable=False)
    unused_amount = models.DecimalField(
        _("не использовано, ₸"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        kept = cls._loaded_names()
        instance._loaded = {
            name: value for name, value in zip(field_names, values, strict=True) if name in kept
        }
        return instance

    @classmethod
    def _loaded_names(cls) -> frozenset:
        """What `_loaded` keeps as read: the tracked fields and every foreign key."""
        names = cls.__dict__.get("_loaded_names_cache")
        if names is None:
            keys = {field.attname for field in cls._meta.concrete_fields if field.many_to_one}
            names = cls._loaded_names_cache = frozenset(cls.TRACKED_FIELDS) | keys
        return names

    TRACKED_FIELDS = ("status", "starts_on", "period_id", "tariff_id", "subscriber_id")
    # The foreign key that leads to the subscriber's organization (see assign_organization).
    ORGANIZATION_SOURCE = ""

    def loaded_value(self, name):
        return getattr(self, "_loaded", {}).get(name)

    def clean_fields(self, exclude=None):
        """Field validation, without a query for a foreign key known to point at a row.

        `ForeignKey.validate()` looks every key up in the database, even when
        its object is loaded. Known already: a key unchanged since the row was
        read (every key of a document protects its target or is set to NULL
        with it), and a loaded object — read from the database, as a service
        reads what it relies on under its locks or a form's choice field just
        did — that meets the key's `limit_choices_to`. The database's foreign
        keys stay the last line.
        """
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            if field.many_to_one and field.name not in exclude and self._key_is_known(field):
                exclude.add(field.name)
        super().clean_fields(exclude=exclude)

    def stored_as_read(self) -> dict | None:
        """The stored row, when the service saving this instance read it under its lock,
        in this transaction, and says so (`services._save_checked(stored_as_read=True)`):
        its values as loaded, which `clean()` need not read again. Else None."""
        return getattr(self, "_loaded", None) if self.__dict__.get("_stored_as_read") else None

    def validate_constraints(self, exclude=None):
        """Django's, deciding the plain conditions without a query (`common.constraints`):
        the check constraints, and the conditional unique one a row is not bound by."""
        constraints.validate_constraints(self, exclude)

    def _key_is_known(self, field) -> bool:
        value = getattr(self, field.attname)
        if value is None or not field.target_field.primary_key:
            return False
        if self.loaded_value(field.attname) == value:
            return True
        if not field.is_cached(self):
            return False
        related = field.get_cached_value(self)
        if related is None or related._state.adding or related.pk != value:
            return False
        limits = field.get_limit_choices_to()
        return isinstance(limits, dict) and all(
            "__" not in name and getattr(related, name) == wanted for name, wanted in limits.items()
        )

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

    @property
    def posted_on(self) -> datetime.date | None:
        """The day (the service's time zone) it was posted, which R15 counts; None if unknown."""
        if self.posted_at is None:
            return None
        return timezone.localtime(self.posted_at, timezone.get_default_timezone()).date()

    def compute_ends_on(self):
        """R3: `ends_on` always follows from `starts_on` and the period."""
        if self.starts_on and self.period_id:
            try:
                self.ends_on = self.period.end_for(self.starts_on)
            except PeriodOutOfRange as exc:
                raise ValidationError(
                    rules.check_ends_in_business_range(
                        None, beyond_calendar=True, period=self.period
                    )
                ) from exc
            self.keep_contract_end()

    @property
    def is_replacement(self) -> bool:
        return getattr(self, "replaces_id", None) is not None

    @property
    def is_ended_early(self) -> bool:
        return self.ended_early_on is not None

    def keep_contract_end(self) -> None:
        """R14: the end by contract, and the last day of a document ended early.

        A replacement («Изменить количество») runs to the end it took over,
        kept in `planned_ends_on`; any other document's end by contract is its
        period's. Ended early («Прекратить»), the document's last day is
        `ended_early_on`, and `planned_ends_on` keeps the end by contract.
        """
        if self.is_replacement and self.planned_ends_on is not None:
            self.ends_on = self.planned_ends_on
        if self.ended_early_on is not None:
            if not self.is_replacement:
                self.planned_ends_on = self.ends_on
            self.ends_on = self.ended_early_on

    def clean_dates(self, errors) -> None:
        """R9 and R18 for the computed end (the typed start has its field validator)."""
        if "starts_on" in errors or not in_business_range(self.starts_on):
            return
        errors.update(
            rules.check_ends_in_business_range(
                self.ends_on, period=self.period if self.period_id else None
            )
        )
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

    def clean_early_end(self, errors) -> None:
        """R14: a document ended early keeps its start and period (its unused part
        was computed from them); change them only after un-posting."""
        if self.ended_early_on is None or self._state.adding:
            return
        changed = self.starts_on != self.loaded_value("starts_on") or (
            self.period_id != self.loaded_value("period_id")
        )
        errors.update(
            rules.check_ended_early_keeps_term(last_day=self.ended_early_on, changed=changed)
        )

    def offered_periods(self):
        """The tariff's offered periods (lazy: read only when a refusal advises one)."""
        return TariffPeriod.objects.filter(tariff_id=self.tariff_id, is_active=True).order_by(
            "approx_days", "pk"
        )

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

    @property
    def period_label(self) -> str:
        """«Период действия» as every page, download and the API show it (`describe_term`):
        «3 месяца»; «до окончания подписки на тариф»; a replacement's span."""
        if getattr(self, "until_base_end", False):
            return describe_term(until_base_end=True)
        if self.is_replacement and self.starts_on:
            return describe_term(replacement_span=(self.starts_on, pricing.contract_ends_on(self)))
        return describe_term(period_label=self.period.label if self.period_id else "")


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

    Two kinds («Тип подписки»). An «Основная» (main) subscription has a period;
    one that continues another (`renews`: a renewal, «Продление») starts the day
    after the continued one ends — after its grace subscription, if it has one.
    A «Продлевающая» (grace, R13, «обещанный платеж») continues an ended posted
    main subscription for a few days: the base's subscriber and tariff (so it
    counts in the limits like a base), no period — its last day is computed from
    the days chosen — starting the day it is recorded, at most once per base (a
    unique constraint).
    """

    class Kind(models.TextChoices):
        MAIN = "main", _("Основная")
        GRACE = "grace", _("Продлевающая")

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
        verbose_name=_("продолжает подписку"),
    )
    kind = models.CharField(
        _("тип подписки"),
        max_length=8,
        choices=Kind.choices,
        default=Kind.MAIN,
        editable=False,
    )
    # None exactly for a grace subscription (the constraint below): it lasts days.
    period = models.ForeignKey(
        TariffPeriod,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("период действия"),
    )
    # R16: kept at posting, NULL while a draft — the service's price (the partner's cost)
    # and the partner's own (what the client pays, billing's price list).
    amount = models.DecimalField(
        _("сумма по цене сервиса, ₸"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    partner_amount = models.DecimalField(
        _("сумма по цене партнера, ₸"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
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
            # limited; the filters on status and end dates. A page's keys are read from
            # this index alone: it carries what the list's filters compare.
            models.Index(
                fields=[
                    "organization",
                    "-starts_on",
                    "number",
                    "id",
                    "status",
                    "ends_on",
                    "tariff",
                ],
                name="sub_org_order_idx",
            ),
            # With starts_on: «действуют на сегодня» counted from the index alone.
            # (Key columns, not INCLUDE: the same index on SQLite, which has none.)
            models.Index(
                fields=["organization", "status", "ends_on", "starts_on"],
                name="sub_org_status_ends_idx",
            ),
            # The organization alone: the list's count reads the narrowest index.
            models.Index(fields=["organization"], name="sub_org_idx"),
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
            models.CheckConstraint(
                condition=Q(kind="main", period__isnull=False)
                | Q(kind="grace", period__isnull=True, renews__isnull=False),
                name="subscriptions_subscription_kind_shape",
                violation_error_code="kind_shape",
                violation_error_message=_(
                    "У основной подписки есть период действия; продлевающая — без периода, к "
                    "подписке на тариф."
                ),
            ),
            # R13: at most one grace subscription per base.
            models.UniqueConstraint(
                fields=["renews"],
                condition=Q(kind="grace"),
                name="subscriptions_subscription_one_grace_per_base",
                violation_error_code="grace_used",
                violation_error_message=_(
                    "К этой подписке уже оформлена продлевающая подписка: она оформляется один раз."
                ),
            ),
        ]

    def __str__(self):
        return (
            f"№ {self.number} {self.subscriber} — {self.tariff} "
            f"({fmt(self.starts_on)}–{fmt(self.ends_on)})"
        )

    @property
    def is_grace(self) -> bool:
        return self.kind == self.Kind.GRACE

    @property
    def kind_label(self) -> str:
        """«Основная» (a renewal too: it continues a subscription) or «Продлевающая»."""
        return self.get_kind_display()

    @property
    def period_label(self) -> str:
        """«12 месяцев»; a grace subscription's days, «7 дней»."""
        if self.is_grace and self.starts_on and self.ends_on:
            return describe_period(Periodicity.DAY, (self.ends_on - self.starts_on).days + 1)
        return super().period_label

    def posted_grace(self) -> "Subscription | None":
        """The posted grace subscription that continues this one, if any."""
        return (
            self.renewals.filter(kind=self.Kind.GRACE, status=Status.POSTED).order_by("pk").first()
        )

    def continued_until(self) -> datetime.date:
        """The last day this subscription and its posted grace subscription cover: a
        renewal starts the day after."""
        grace = self.posted_grace()
        return max(self.ends_on, grace.ends_on) if grace is not None else self.ends_on

    @property
    def current_amount(self):
        return pricing.document_amount(self)

    def compute_ends_on(self):
        """R3; a grace subscription has no period: its last day was chosen when it was
        recorded, and «Прекратить» ends it earlier like any document (R14), its end by
        contract kept in `planned_ends_on`."""
        if not self.is_grace:
            return super().compute_ends_on()
        if self.planned_ends_on is not None:
            self.ends_on = self.planned_ends_on
        self.keep_contract_end()
        return None

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
        self.clean_early_end(errors)
        if self.renews_id and self.starts_on:
            renewed = self.renews
            if renewed.subscriber_id != self.subscriber_id or renewed.tariff_id != self.tariff_id:
                errors["__all__"] = ValidationError(
                    _("Подписка, которая продолжает другую, — того же абонента и того же тарифа."),
                    code="renewal_other_subscriber_or_tariff",
                )
            elif self.is_grace:
                if self.is_being_posted() and not errors:
                    errors.update(self._check_grace(renewed))
            else:
                errors.update(
                    rules.check_renewal_follows(
                        renewed_ends_on=renewed.continued_until(),
                        renewal_starts_on=self.starts_on,
                    )
                )
        if self.pk and not errors:
            errors.update(self._check_stored_documents_stay_valid())
        if self.is_posted and not errors:
            errors.update(self._check_no_overlap())
        if errors:
            raise ValidationError(errors)

    def is_being_posted(self) -> bool:
        """Posting, or changing what a posted subscription says (R13 applies to a grace)."""
        if not self.is_posted:
            return False
        if self._state.adding or self.loaded_value("status") != Status.POSTED:
            return True
        return any(
            getattr(self, name) != self.loaded_value(name)
            for name in self.TRACKED_FIELDS
            if name != "status"
        )

    def _check_grace(self, base) -> dict:
        """R13 for this grace subscription of `base`, with what the rule needs from the rows."""
        used = (
            Subscription.objects.filter(renews=base, kind=self.Kind.GRACE)
            .exclude(pk=self.pk)
            .order_by("pk")
            .first()
        )
        covering = []
        if self.starts_on and self.ends_on and self.ends_on >= self.starts_on:
            covering = list(
                Subscription.objects.filter(
                    subscriber_id=self.subscriber_id,
                    tariff_id=self.tariff_id,
                    status=Status.POSTED,
                    starts_on__lte=self.ends_on,
                    ends_on__gte=self.starts_on,
                )
                .exclude(pk=self.pk)
                .order_by("starts_on", "pk")
            )
        return rules.check_grace(
            today=clock.today(),
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            grace_days=self.tariff.grace_days,
            base_number=base.number,
            base_is_posted=base.is_posted,
            base_is_grace=base.is_grace,
            base_ends_on=base.ends_on,
            window_days=self.tariff.grace_window_days,
            used=used,
            renewed_by=base.renewals.filter(kind=self.Kind.MAIN, status=Status.POSTED)
            .order_by("pk")
            .first(),
            covering=covering,
        )

    def _check_stored_documents_stay_valid(self) -> dict:
        """R10, and what the documents that rely on this one need (R1, R2, renewals,
        its grace subscription).

        Compares with the row as stored, never with what the instance was
        loaded with: a form or the admin may build the instance afresh.
        """
        stored = self.stored_as_read() or (
            Subscription.objects.filter(pk=self.pk)
            .values("subscriber_id", "tariff_id", "starts_on", "period_id", "status")
            .first()
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
        # What continues this one, posted — its grace subscription (R13), a renewal: one query.
        continuing = list(self.renewals.filter(status=Status.POSTED).order_by("pk"))
        grace = next((d for d in continuing if d.kind == self.Kind.GRACE), None)
        if grace is not None and any(
            stored[name] != getattr(self, name) for name in ("starts_on", "period_id", "status")
        ):
            # R13: the grace continues the base as it ended; the base stays as it is.
            return rules.check_base_keeps_grace(grace=grace, today=clock.today())
        posted = list(self.extensions.filter(status=Status.POSTED).order_by("starts_on", "pk"))
        # The advice keeps a posted renewal adjacent: the base then ends the day before it.
        renewal = next((d for d in continuing if d.kind == self.Kind.MAIN), None)
        errors = rules.check_base_keeps_extensions(
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            is_posted=self.is_posted,
            posted_extensions=posted,
            period=self.period if self.period_id and self.ended_early_on is None else None,
            periods=self.offered_periods(),
            fixed_end=renewal.starts_on - datetime.timedelta(days=1) if renewal else None,
            today=clock.today(),
        )
        if errors:
            return errors
        if renewal is not None:
            errors = rules.check_renewal_follows(
                renewed_ends_on=max(self.ends_on, grace.ends_on) if grace else self.ends_on,
                renewal_starts_on=renewal.starts_on,
                renewal_number=renewal.number,
                renewal_unpost_allowed=rules.unpost_allowed(
                    today=clock.today(), starts_on=renewal.starts_on, posted_on=renewal.posted_on
                ),
            )
            if not errors and not self.is_posted:
                errors = {
                    "__all__": ValidationError(
                        _(
                            "Подписку продолжает проведенная подписка № %(number)s: сначала "
                            "отмените ее проведение."
                        ),
                        code="base_unpost_strands_renewal",
                        params={"number": renewal.number},
                    )
                }
            if errors:
                return errors
        if self.tariff_id and stored["tariff_id"] != self.tariff_id:
            foreign = list(
                self.extensions.exclude(tariff__offered_for=self.tariff_id).order_by(
                    "starts_on", "pk"
                )
            )
            if foreign:
                return rules.check_tariff_change_keeps_extensions(
                    tariff_name=self.tariff.name,
                    foreign=foreign,
                    today=clock.today(),
                    base_pk=self.pk,
                    base_ends_on=self.ends_on,
                )
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
        if not overlapping:
            return {}
        # For the advice: the posted bases of the tariff from this start on.
        posted = Subscription.objects.filter(
            subscriber_id=self.subscriber_id,
            tariff_id=self.tariff_id,
            status=Status.POSTED,
            ends_on__gte=self.starts_on,
        ).exclude(pk=self.pk)
        return rules.check_base_no_overlap(
            tariff_name=self.tariff.name,
            overlapping=overlapping,
            starts_on=self.starts_on,
            period=self.period if self.ended_early_on is None else None,
            periods=self.offered_periods(),
            posted=list(posted.only("starts_on", "ends_on")),
            is_renewal=self.renews_id is not None,
        )


class ExtensionSubscriptionQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)

    def posted(self):
        return self.filter(status=Status.POSTED)

    def active_on(self, day):
        return self.filter(status=Status.POSTED, starts_on__lte=day, ends_on__gte=day)


UNTIL_BASE_END_LABEL = _("до окончания подписки на тариф")


def describe_term(
    *, period_label: str = "", until_base_end: bool = False, replacement_span=None
) -> str:
    """«Период действия» of a document — its term by contract — in the one wording every
    page, download and the API use (the model's `period_label`, the lists' rows).

    An extension without a period, a replacement of one too: «до окончания подписки
    на тариф». A replacement («Изменить количество») with a period runs from its start
    to the end it took over (`replacement_span`, both days), not for its period:
    «7 мес. + 12 дн. (изменение количества)». Any other: its period, «3 месяца». A
    document ended early («Прекратить») keeps its term's label; its dates and its
    «прекращена» line show the early end.
    """
    if until_base_end:
        return str(UNTIL_BASE_END_LABEL)
    if replacement_span is not None and all(replacement_span):
        span = describe_months_and_days(*months_and_days(*replacement_span))
        return gettext("%(span)s (изменение количества)") % {"span": span}
    return period_label


class ExtensionSubscription(SubscriptionDocument):
    """An extension subscription («Подписка на расширение тарифа»).

    Invariants: it belongs to one base subscription (R1); its tariff is an
    extension tariff offered for the base's tariff (R2); its period is its
    tariff's and `ends_on` follows from it (R3); it lies inside the base
    (R4, R5); it is posted only on a posted base that has not ended, starting
    today or later (R6, R7); 1 ≤ quantity ≤ the tariff's maximum (R8).
    Its price is kept as it was when posted.

    «До окончания подписки на тариф» (`until_base_end`): no period (NULL exactly
    then, a CheckConstraint); `ends_on` is the base's `ends_on`, computed, never
    typed — followed while a draft, kept once posted (a base is not shortened
    below it, R10; lengthened, it keeps its end and price). Posted only when its
    tariff offers it and has an offered «1 месяц» period, whose price prices it
    (R16, `pricing.span_amount`); its `unit_price` and `amount` are kept while a
    draft too, recomputed on every save (the lists' SQL reads them).
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
        "until_base_end",
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
    # None exactly when `until_base_end` (the constraint below).
    period = models.ForeignKey(
        TariffPeriod,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("период действия"),
    )
    until_base_end = models.BooleanField(
        UNTIL_BASE_END_LABEL,
        default=False,
        help_text=_(
            "Вместо периода действия: по последний день подписки на тариф. Сумма — полные "
            "календарные месяцы по цене периода «1 месяц» тарифа и остальные дни по 1/30 этой "
            "цены за день."
        ),
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
    # R16: the partner's own price (billing's price list), kept at posting beside the
    # service's `unit_price` and `amount` (the partner's cost); NULL while a draft.
    partner_unit_price = models.DecimalField(
        _("цена партнера за единицу, ₸"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    partner_amount = models.DecimalField(
        _("сумма по цене партнера, ₸"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    # R14 «Изменить количество»: this one continues `replaces` (ended the day before)
    # with another quantity, to the same end (kept in `planned_ends_on`).
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="replacements",
        verbose_name=_("заменяет подписку"),
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
            models.Index(
                fields=[
                    "organization",
                    "-starts_on",
                    "number",
                    "id",
                    "status",
                    "ends_on",
                    "tariff",
                ],
                name="ext_org_order_idx",
            ),
            models.Index(
                fields=["organization", "status", "ends_on", "starts_on"],
                name="ext_org_status_ends_idx",
            ),
            models.Index(fields=["organization"], name="ext_org_idx"),
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
            models.CheckConstraint(
                condition=Q(until_base_end=True, period__isnull=True)
                | Q(until_base_end=False, period__isnull=False),
                name="subscriptions_extension_period_or_until_base_end",
                violation_error_code="period_or_until_base_end",
                violation_error_message=_(
                    "У расширения либо период действия, либо «до окончания подписки на тариф»."
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

    @property
    def until_base_end_span(self) -> str:
        """«7 мес. + 12 дн.»: the span an extension «до окончания подписки на тариф» is
        priced for (its start to its end by contract); "" for any other."""
        if not (self.until_base_end and self.starts_on and self.ends_on):
            return ""
        contract_end = getattr(self, "planned_ends_on", None) or self.ends_on
        return describe_months_and_days(*months_and_days(self.starts_on, contract_end))

    def current_prices(self):
        """(unit price, amount) at today's prices — what posting would keep now; None
        until it can be priced. «До окончания подписки на тариф»: the span at the
        tariff's «1 месяц» price (one query)."""
        if self.until_base_end:
            month = self.tariff.month_period() if self.tariff_id else None
            return pricing.span_prices(month, self.starts_on, self.ends_on, self.quantity)
        if not self.period_id or self.quantity is None or self.quantity < 1:
            return None
        return pricing.kept_prices(self.period, self.quantity)

    def _stored_as_posted(self) -> bool:
        return not self._state.adding and self.loaded_value("status") == Status.POSTED

    def compute_ends_on(self):
        """R3; «до окончания подписки на тариф»: the base's last day while a draft or
        being posted, the end it was posted with once posted (kept like its price)."""
        if not self.until_base_end:
            return super().compute_ends_on()
        if self._stored_as_posted() and self.is_posted:
            contract_end = getattr(self, "planned_ends_on", None) or self.ends_on
        elif self.subscription_id:
            contract_end = self.subscription.ends_on
        else:
            return None
        self.ends_on = contract_end
        if hasattr(self, "keep_contract_end"):
            self.keep_contract_end()
        return None

    def takes_up_offer(self) -> bool:
        if super().takes_up_offer():
            return True
        return self._stored_as_posted() and (
            self.until_base_end != self.loaded_value("until_base_end")
        )

    def clean_until_base_end(self, errors, base, tariff) -> None:
        """A period, or «до окончания подписки на тариф» — never both (never neither:
        the constraint); the latter starts by the base's last day and is posted only as
        its tariff offers it, priced by an offered «1 месяц» (rules.check_until_base_end)."""
        if not self.until_base_end:
            return
        if self.period_id:
            errors["period"] = ValidationError(
                _(
                    "Расширение «до окончания подписки на тариф» оформляется без периода "
                    "действия: уберите период или выберите вместо него этот вариант."
                ),
                code="period_with_until_base_end",
            )
            return
        # A replacement («Изменить количество») continues a posted contract to its end,
        # priced by the service (without a «1 месяц», at the replaced one's monthly
        # share): it takes up no new offer.
        posting = self.takes_up_offer() and not self.is_replacement
        usable = tariff is not None and tariff.kind == Tariff.Kind.EXTENSION
        for field, error in rules.check_until_base_end(
            starts_on=self.starts_on,
            base_ends_on=base.ends_on if base is not None else None,
            tariff_name=tariff.name if usable else "",
            offered=tariff.offers_until_base_end if usable and posting else None,
            has_month_price=(tariff.month_period() is not None) if usable and posting else None,
        ).items():
            errors.setdefault(field, error)

    def save(self, *args, **kwargs):
        if self.until_base_end and not self.is_posted:
            # A draft keeps today's price for its dates: the lists' SQL reads it.
            self.compute_ends_on()
            self.unit_price, self.amount = self.current_prices() or (None, None)
        super().save(*args, **kwargs)

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
        self.clean_until_base_end(errors, base, tariff)
        self.clean_dates(errors)
        self.clean_offer_active(errors)
        self.clean_early_end(errors)
        if base is not None:
            today = clock.today()
            # The refusals' advice (R4, R5, R7): a start and period that would succeed.
            # A replacement's end is not its period's, so it gets no period advice.
            advice = {
                "today": today,
                "period": self.period if self.period_id and not self.is_replacement else None,
                "periods": self.offered_periods(),
                # Asked only when no period fits: «до окончания подписки на тариф».
                "until_base_end": lambda: bool(
                    tariff is not None
                    and tariff.offers_until_base_end
                    and tariff.month_period() is not None
                ),
            }
            posting = {}
            if self.is_being_posted():
                posting = rules.check_extension_posting(
                    starts_on=self.starts_on,
                    base_number=base.number,
                    base_is_posted=base.is_posted,
                    base_ends_on=base.ends_on,
                    base_starts_on=base.starts_on,
                    base_is_grace=base.is_grace,
                    **advice,
                )
            for field, error in rules.check_extension_within_base(
                starts_on=self.starts_on,
                ends_on=self.ends_on,
                base_starts_on=base.starts_on,
                base_ends_on=base.ends_on,
                start_refused="starts_on" in posting,
                **advice,
            ).items():
                errors.setdefault(field, error)
            if posting:
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
        # The admin's list, newest first, a page at a time.
        indexes = [models.Index(fields=["-sent_at", "-id"], name="reminder_sent_order_idx")]
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
