"""Login throttling with django-axes: per username and per address, each with its own limit.

Axes counts failed logins in the database (so all app servers share the
counts) and compares one number with one limit. The cabinet wants two limits —
a few failures per username, more per address, since one office may share an
address — so the handler below answers Axes with the parameter closest to its
own limit. Settings: LOGIN_FAILURE_LIMIT_PER_USERNAME, LOGIN_FAILURE_LIMIT_PER_ADDRESS,
LOGIN_COOLOFF_MINUTES, TRUSTED_PROXY_COUNT.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import npgettext

from common.formatting import plural_word

from .forms.auth import CabinetAuthenticationForm

# Each lockout parameter of AXES_LOCKOUT_PARAMETERS and the setting with its limit.
LIMIT_SETTINGS = {
    ("username",): "LOGIN_FAILURE_LIMIT_PER_USERNAME",
    ("ip_address",): "LOGIN_FAILURE_LIMIT_PER_ADDRESS",
}


def failure_limit(parameter) -> int:
    key = (parameter,) if isinstance(parameter, str) else tuple(parameter)
    return getattr(settings, LIMIT_SETTINGS[key])


class CabinetAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures of the parameter nearest its own limit, in AXES_FAILURE_LIMIT units.

        Axes locks when this reaches AXES_FAILURE_LIMIT. Scaling each count by
        AXES_FAILURE_LIMIT / its own limit (rounding down) reaches that exactly
        when the count reaches its own limit: 20 failures from one address
        lock it, 19 do not, whatever the username limit is.
        """
        scale = settings.AXES_FAILURE_LIMIT
        parameters = get_lockout_parameters(request, credentials)
        attempts_per_parameter = self.get_user_attempts(request, credentials)
        nearest = 0
        for parameter, attempts in zip(parameters, attempts_per_parameter, strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            nearest = max(nearest, failures * scale // failure_limit(parameter))
        return nearest

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login: forget the failures of that username only.

        Axes would delete every lockout parameter's records, the address's
        included — so logging in to one's own account would wipe the failures
        run against other usernames from the same address.
        """
        username = get_client_username(request, credentials)
        count, _deleted = AccessAttempt.objects.filter(username=username).delete()
        return count


def client_ip_address(request) -> str | None:
    """The client's address: the connection's, or, behind TRUSTED_PROXY_COUNT
    proxies, the one the outermost of them appended to X-Forwarded-For.

    Entries left of that one are whatever the client sent and are never
    trusted. A malformed value falls back to the connection's address.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = _valid_address(forwarded[-proxies])
            if candidate is not None:
                return candidate
    return _valid_address(remote)


def _valid_address(value) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # "fe80::1%eth0" parses, but PostgreSQL's inet column would refuse it.
    if getattr(address, "scope_id", None):
        return None
    return str(address)


def lockout_message() -> str:
    minutes = settings.LOGIN_COOLOFF_MINUTES
    unit = plural_word(
        minutes, ("минуту", "минуты", "минут"), npgettext("after", "минуту", "минут", minutes)
    )
    return _(
        "Слишком много неудачных попыток входа. Попробуйте через %(minutes)s %(unit)s "
        "или обратитесь к владельцу организации."
    ) % {"minutes": minutes, "unit": unit}


def lockout_response(request, original_response=None, credentials=None):
    """The login page in the cabinet's layout, with the lockout message (status 429).

    Used for the admin's login too: it has no page of its own for this.
    """
    return render(
        request,
        "registration/login.html",
        {
            "title": _("Вход"),
            "form": CabinetAuthenticationForm(request),
            "lockout_message": lockout_message(),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
