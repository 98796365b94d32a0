"""The grace subscription («Продлевающая», «обещанный платеж», R13): what a page and
the service ask about a base before recording one.

The rule is `rules.grace_refusal` / `rules.check_grace` (its own refusals, one
home); this module reads what they need from the rows. `services.grace_create`
writes the subscription under the base's lock, and the model's `clean()` checks
R13 again there.
"""

import datetime

from django.core.exceptions import ValidationError

from . import rules
from .models import Status, Subscription
from .periods import Periodicity, period_end


def grace_ends_on(starts_on: datetime.date, days: int) -> datetime.date:
    """The last day of a grace subscription of `days` days from `starts_on` (R3 style)."""
    return period_end(starts_on, Periodicity.DAY, days)


def grace_of(base: Subscription) -> Subscription | None:
    """The grace subscription recorded for `base` (at most one: a unique constraint)."""
    return base.renewals.filter(kind=Subscription.Kind.GRACE).order_by("pk").first()


def grace_refusal_for(base: Subscription, today: datetime.date) -> ValidationError | None:
    """Why no grace subscription can be recorded for `base` today, or None (R13's rule)."""
    tariff = base.tariff
    renewal = (
        base.renewals.filter(kind=Subscription.Kind.MAIN, status=Status.POSTED)
        .order_by("pk")
        .first()
    )
    # A subscription of the tariff in force today; one that begins later only
    # shortens the grace (`rules.check_grace`).
    covering = list(
        Subscription.objects.filter(
            subscriber_id=base.subscriber_id,
            tariff_id=base.tariff_id,
            status=Status.POSTED,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .exclude(pk=base.pk)
        .order_by("starts_on", "pk")
    )
    return rules.grace_refusal(
        today=today,
        base_number=base.number,
        base_is_posted=base.is_posted,
        base_is_grace=base.is_grace,
        base_ends_on=base.ends_on,
        window_days=tariff.grace_window_days,
        used=grace_of(base),
        renewed_by=renewal,
        covering=covering,
    )
