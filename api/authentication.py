"""`Authorization: Bearer <key>` (or `Token <key>`) → the token's organization.

A request authenticated this way has `request.user` = an `ApiClient` (not a
Django user: a key belongs to an organization, not to a person) and
`request.auth` = the ApiToken. An unknown or revoked key is a 401.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_key

KEYWORDS = ("bearer", "token")
# last_used_at is written at most this often per token, not on every request.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class ApiClient:
    """The caller of an API request: a partner organization's system."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token: ApiToken):
        self.token = token
        self.organization = token.organization

    @property
    def pk(self):
        return None

    def __str__(self):
        return f"API: {self.token.name} ({self.organization})"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Заголовок Authorization: укажите «Bearer <ключ>» — одно слово ключа.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _(
                    "Недействительный ключ API: в ключе только латинские буквы, цифры, «_» "
                    "и «-» — скопируйте его целиком."
                )
            ) from None
        token = (
            ApiToken.objects.active()
            .select_related("organization")
            .filter(key_hash=hash_key(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(
                _(
                    "Ключ API неверен или отозван: проверьте ключ или создайте новый в кабинете, "
                    "«Ключи API»."
                )
            )
        self._touch(token)
        return ApiClient(token), token

    def authenticate_header(self, request):
        # A WWW-Authenticate header makes DRF answer 401 (not 403) without a key.
        return 'Bearer realm="api"'

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How drf-spectacular describes the authentication in the OpenAPI document."""

    target_class = "api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Ключ API организации: `Authorization: Bearer <ключ>` "
            "(или `Token <ключ>`). Ключ создает владелец в кабинете, «Ключи API».",
        }
