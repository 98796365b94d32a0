"""Per-organization API tokens for partners' own systems.

The plain key is shown once, when the token is issued; the database keeps
only its SHA-256 hash (a random 256-bit key needs no salt or slow hash) and a
short prefix that lets a partner tell its keys apart.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "fc_"
VISIBLE_PREFIX_LENGTH = 10  # «fc_» and 7 random characters


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A key that gives read access to one organization's data through the API.

    Invariants: `key_hash` is the SHA-256 of the key and unique; the key itself
    is never stored; a revoked token (`revoked_at` set) never authenticates
    again and is never un-revoked.
    """

    organization = models.ForeignKey(
        "subscribers.ServiceOrganization",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("обслуживающая организация"),
    )
    name = models.CharField(
        _("название"), max_length=100, help_text=_("Для чего ключ: например, «1С:Бухгалтерия».")
    )
    key_hash = models.CharField(
        _("хеш ключа (SHA-256)"), max_length=64, unique=True, editable=False
    )
    prefix = models.CharField(_("начало ключа"), max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("создал"),
        editable=False,
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    last_used_at = models.DateTimeField(
        _("последнее использование"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("ключ API")
        verbose_name_plural = _("ключи API")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"),
                name="api_apitoken_key_hash_sha256",
                violation_error_code="key_hash_format",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, *, organization, name: str, created_by=None) -> tuple["ApiToken", str]:
        """Create a token; returns it and its plain key, which is not kept anywhere."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organization=organization,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:VISIBLE_PREFIX_LENGTH],
            created_by=created_by,
        )
        return token, key

    def revoke(self) -> None:
        """Revoke for good (again is a no-op: the first revocation time stays)."""
        if self.revoked_at is None:
            ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            self.refresh_from_db(fields=["revoked_at"])
