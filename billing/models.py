"""Billing: the partner's requisites and its own price list.

Invoices and acts will build on these: the requisites are what an invoice
prints about the partner, and the price list is what the client pays
(`billing.pricing.partner_price`, R16) beside the service's price, which is
what the partner pays the service.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.formatting import fmt, format_tenge
from subscriptions import clock
from subscriptions.validators import validate_business_date

from .validators import normalize_code, validate_bik, validate_bin_iin, validate_iik, validate_kbe

DEFAULT_VAT_RATE = Decimal("12")
DEFAULT_INVOICE_DUE_DAYS = 5
MAX_INVOICE_DUE_DAYS = 90


class OrganizationRequisites(models.Model):
    """A partner's legal and bank details («Реквизиты»), printed on its invoices.

    One row per organization, written by its owner through
    `billing.services.requisites_save` (the organization's row locked), every
    change in the history. Invariants: БИН passes Kazakhstan's control digit,
    ИИК is a Kazakhstan IBAN with a valid checksum, БИК is a bank BIC, КБе two
    digits (field validators); the VAT rate is 0…100 % and the invoice due days
    1…90 (validators and CheckConstraints). The VAT rate matters only when the
    organization pays VAT (`pays_vat`, off by default).
    """

    # Typed with spaces or in lower case, these are stored as upper case without spaces.
    NORMALIZED_CODES = ("bin", "iik", "bik", "kbe")

    organization = models.OneToOneField(
        "subscribers.ServiceOrganization",
        on_delete=models.CASCADE,
        related_name="requisites",
        verbose_name=_("обслуживающая организация"),
    )
    legal_name = models.CharField(
        _("полное наименование"),
        max_length=300,
        help_text=_("Как в документах о регистрации, например ТОО «Ромашка»."),
    )
    bin = models.CharField(_("БИН/ИИН"), max_length=12, validators=[validate_bin_iin])
    legal_address = models.CharField(_("юридический адрес"), max_length=500)
    bank_name = models.CharField(_("банк"), max_length=200)
    bik = models.CharField(
        _("БИК"), max_length=8, validators=[validate_bik], help_text=_("Например HSBKKZKX.")
    )
    iik = models.CharField(
        _("ИИК"),
        max_length=20,
        validators=[validate_iik],
        help_text=_("Номер счета в формате IBAN: KZ и 18 знаков."),
    )
    kbe = models.CharField(
        _("КБе"), max_length=2, validators=[validate_kbe], help_text=_("Например 17.")
    )
    director_name = models.CharField(
        _("руководитель"), max_length=200, help_text=_("Фамилия и инициалы: подписывает счета.")
    )
    accountant_name = models.CharField(
        _("главный бухгалтер"),
        max_length=200,
        blank=True,
        help_text=_("Если бухгалтера нет, оставьте пустым: подпишет руководитель."),
    )
    pays_vat = models.BooleanField(_("плательщик НДС"), default=False)
    vat_rate = models.DecimalField(
        _("ставка НДС, %"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_VAT_RATE,
        validators=[
            MinValueValidator(0, _("Ставка НДС — от 0 до 100 %%.")),
            MaxValueValidator(100, _("Ставка НДС — от 0 до 100 %%.")),
        ],
        help_text=_("Учитывается, только если организация — плательщик НДС."),
    )
    invoice_due_days = models.PositiveSmallIntegerField(
        _("срок оплаты счета, дней"),
        default=DEFAULT_INVOICE_DUE_DAYS,
        validators=[
            MinValueValidator(1, _("Срок оплаты — от 1 до 90 календарных дней.")),
            MaxValueValidator(
                MAX_INVOICE_DUE_DAYS, _("Срок оплаты — от 1 до 90 календарных дней.")
            ),
        ],
        help_text=_("Календарных дней от даты счета до срока оплаты."),
    )
    updated_at = models.DateTimeField(_("изменены"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("реквизиты организации")
        verbose_name_plural = _("реквизиты организаций")
        ordering = ["organization__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lte=100),
                name="billing_requisites_vat_rate_0_100",
                violation_error_code="vat_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(invoice_due_days__gte=1, invoice_due_days__lte=MAX_INVOICE_DUE_DAYS),
                name="billing_requisites_due_days_1_90",
                violation_error_code="invoice_due_days_range",
            ),
        ]

    def __str__(self):
        return self.legal_name or str(self.organization_id)

    def clean_fields(self, exclude=None):
        # The codes as stored before their validators see them: «kz86 125…» is KZ86125….
        for name in self.NORMALIZED_CODES:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, normalize_code(value))
        super().clean_fields(exclude=exclude)


class PartnerPriceQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)


class PartnerPrice(models.Model):
    """One change of a partner's own price of a tariff period («Прайс-лист», R16).

    The partner's price on a day is the price of its latest row with
    `valid_from` ≤ that day; without one — or when that row has no price — it
    is the service's (`TariffPeriod.price`): `billing.pricing.partner_price`.
    A row is written by `billing.services.price_list_save` with who and when;
    a change applies from today or later (R18's range), so what applied on a
    past day never changes. Unique per (organization, period, day).
    """

    organization = models.ForeignKey(
        "subscribers.ServiceOrganization",
        on_delete=models.CASCADE,
        related_name="partner_prices",
        verbose_name=_("обслуживающая организация"),
    )
    period = models.ForeignKey(
        "subscriptions.TariffPeriod",
        on_delete=models.CASCADE,
        related_name="partner_prices",
        verbose_name=_("период действия"),
    )
    price = models.DecimalField(
        _("цена партнера, ₸"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, _("Цена — не меньше 0 ₸."))],
        help_text=_("Пусто — по цене сервиса."),
    )
    valid_from = models.DateField(_("действует с"), validators=[validate_business_date])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("изменил"),
        editable=False,
    )
    created_at = models.DateTimeField(_("изменена"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = PartnerPriceQuerySet.as_manager()

    class Meta:
        verbose_name = _("цена партнера")
        verbose_name_plural = _("цены партнеров")
        ordering = [
            "organization__name",
            "period__tariff__name",
            "period__approx_days",
            "-valid_from",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period", "valid_from"],
                name="billing_partnerprice_unique_day",
                violation_error_message=_("С этой даты цена периода уже задана."),
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="billing_partnerprice_price_not_negative",
                violation_error_code="price_negative",
            ),
        ]

    def __str__(self):
        price = format_tenge(self.price) if self.price is not None else gettext("цена сервиса")
        if self.valid_from is None:
            return price
        return gettext("%(price)s с %(day)s") % {"price": price, "day": fmt(self.valid_from)}

    def clean(self):
        # A new price applies from today or later: what applied on a past day stays.
        if self._state.adding and self.valid_from:
            refusal = price_start_refusal(self.valid_from, clock.today())
            if refusal is not None:
                raise ValidationError({"valid_from": refusal})


def price_start_refusal(valid_from, today) -> ValidationError | None:
    """A price-list change applies from today or later; None when `valid_from` is such a day."""
    if valid_from >= today:
        return None
    return ValidationError(
        _("Новая цена действует с сегодняшнего дня или позже: укажите дату не раньше %(today)s."),
        code="valid_from_in_past",
        params={"today": fmt(today)},
    )
