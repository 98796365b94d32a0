import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .validators import validate_bin_iin, validate_subscriber_code


class ServiceOrganization(models.Model):
    """A partner («обслуживающая организация») that serves subscribers.

    Everything a partner user sees is scoped to its organization.
    """

    name = models.CharField(_("наименование"), max_length=200, unique=True)
    bin = models.CharField(_("БИН"), max_length=12, blank=True, validators=[validate_bin_iin])
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("обслуживающая организация")
        verbose_name_plural = _("обслуживающие организации")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's place in one partner organization, with a role.

    A user belongs to at most one organization; the role decides what the
    user may do there (owner and operator write, user reads). `language` is
    the user's chosen cabinet language (the header's switch stores it here as
    well as in the cookie): the reminder mails are written in it.
    """

    class Role(models.TextChoices):
        OWNER = "owner", _("Владелец")
        OPERATOR = "operator", _("Оператор")
        USER = "user", _("Пользователь")

    organization = models.ForeignKey(
        ServiceOrganization,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("обслуживающая организация"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("пользователь"),
    )
    role = models.CharField(_("роль"), max_length=16, choices=Role.choices, default=Role.USER)
    language = models.CharField(
        _("язык"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Язык кабинета и писем сотрудника; меняется переключателем языка в кабинете."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("сотрудник партнера")
        verbose_name_plural = _("сотрудники партнеров")
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["owner", "operator", "user"]),
                name="subscribers_membership_role_valid",
                violation_error_code="role_invalid",
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="subscribers_membership_language_valid",
                violation_error_code="language_invalid",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.organization} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.OPERATOR)


class SubscriberQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)


def generate_subscriber_code() -> str:
    """A random, unused 12-digit subscriber code (never starting with 0)."""
    while True:
        code = str(10**11 + secrets.randbelow(9 * 10**11))
        if not Subscriber.objects.filter(code=code).exists():
            return code


class Subscriber(models.Model):
    """A client («абонент») of one partner organization.

    `code` is a unique 12-digit code; `bin_iin` passes Kazakhstan's
    control-digit check.
    """

    organization = models.ForeignKey(
        ServiceOrganization,
        on_delete=models.PROTECT,
        related_name="subscribers",
        verbose_name=_("обслуживающая организация"),
    )
    name = models.CharField(_("наименование"), max_length=200)
    code = models.CharField(
        _("код абонента"),
        max_length=12,
        unique=True,
        blank=True,
        validators=[validate_subscriber_code],
        help_text=_("12 цифр; если не указан, назначается автоматически."),
    )
    bin_iin = models.CharField(_("БИН/ИИН"), max_length=12, validators=[validate_bin_iin])
    city = models.CharField(_("город"), max_length=100, blank=True)
    email = models.EmailField(_("электронная почта"), blank=True)
    phone = models.CharField(_("телефон"), max_length=32, blank=True)
    # What an invoice to the subscriber needs (billing/): the buyer's address and where to send it.
    legal_address = models.CharField(_("юридический адрес"), max_length=500, blank=True)
    invoice_email = models.EmailField(
        _("электронная почта для счетов"),
        blank=True,
        help_text=_("Если не указана, счета отправляются на электронную почту абонента."),
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    history = HistoricalRecords()

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("абонент")
        verbose_name_plural = _("абоненты")
        ordering = ["name", "pk"]
        indexes = [
            # With the id: a page's keys in name order are read from the index alone,
            # its search filter too (no table row read for the names it skips).
            models.Index(fields=["organization", "name", "id"], name="subscriber_org_name_idx"),
            models.Index(fields=["bin_iin"], name="subscriber_bin_iin_idx"),
            # The admin's list of every partner's subscribers, in `ordering`'s order.
            models.Index(fields=["name", "id"], name="subscriber_name_pk_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{12}$"),
                name="subscribers_subscriber_code_12_digits",
                violation_error_code="subscriber_code_format",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def invoice_recipient(self) -> str:
        """Where the subscriber's invoices go: its e-mail for invoices, else its e-mail."""
        return self.invoice_email or self.email

    def clean(self):
        # The code is assigned before the constraints are validated, so a
        # form that leaves it empty still passes full_clean().
        if not self.code:
            self.code = generate_subscriber_code()
        # Its subscriptions store the organization (for the lists): a subscriber
        # that has any stays with its organization.
        # Compared with the row as stored: a form may build the instance afresh.
        stored = (
            Subscriber.objects.filter(pk=self.pk).values_list("organization_id", flat=True).first()
            if self.pk and self.organization_id is not None
            else None
        )
        if stored is not None and stored != self.organization_id and self.subscriptions.exists():
            raise ValidationError(
                {
                    "organization": ValidationError(
                        _(
                            "У абонента уже есть подписки, поэтому его обслуживающую "
                            "организацию изменить нельзя. Заведите абонента заново в "
                            "другой организации."
                        ),
                        code="organization_change_with_subscriptions",
                    )
                }
            )

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = generate_subscriber_code()
        super().save(*args, **kwargs)
