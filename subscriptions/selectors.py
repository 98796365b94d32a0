"""Read queries that pages share: a subscriber's limits on a day.

sessions(D) = Σ included sessions of the posted base subscriptions active on D
            + Σ quantity of the posted «sessions» extensions active on D;
infobases(D) likewise. Computed in the database: one query for one subscriber
or for any number of them.
"""

import datetime
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import ExtensionSubscription, Status, Subscription, Tariff


@dataclass(frozen=True)
class Limits:
    sessions: int
    infobases: int


def _sum_subquery(queryset, group_by: str, field: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values(group_by).annotate(total=Sum(field)).values("total")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def annotate_limits(subscribers, day: datetime.date):
    """Annotate a Subscriber queryset with `limit_sessions` and `limit_infobases` on `day`."""
    bases = Subscription.objects.filter(
        subscriber=OuterRef("pk"), status=Status.POSTED, starts_on__lte=day, ends_on__gte=day
    )
    extensions = ExtensionSubscription.objects.filter(
        subscription__subscriber=OuterRef("pk"),
        status=Status.POSTED,
        starts_on__lte=day,
        ends_on__gte=day,
    )
    group = "subscription__subscriber"
    return subscribers.annotate(
        limit_sessions=_sum_subquery(bases, "subscriber", "tariff__sessions")
        + _sum_subquery(extensions.filter(tariff__resource=Tariff.Resource.SESSIONS), group, "quantity"),
        limit_infobases=_sum_subquery(bases, "subscriber", "tariff__infobases")
        + _sum_subquery(
            extensions.filter(tariff__resource=Tariff.Resource.INFOBASES), group, "quantity"
        ),
    )


def annotate_active_tariff(subscribers, day: datetime.date):
    """Annotate `active_tariff_name`: the tariff of the latest-started posted base active on `day`."""
    active = (
        Subscription.objects.filter(
            subscriber=OuterRef("pk"), status=Status.POSTED, starts_on__lte=day, ends_on__gte=day
        )
        .order_by("-starts_on", "-pk")
        .values("tariff__name")[:1]
    )
    return subscribers.annotate(active_tariff_name=Subquery(active))


def limits_for_subscribers(subscribers, day: datetime.date) -> dict[int, Limits]:
    """Limits of every subscriber in a queryset on `day`, in one query."""
    rows = annotate_limits(subscribers.order_by(), day).values_list(
        "pk", "limit_sessions", "limit_infobases"
    )
    return {pk: Limits(sessions, infobases) for pk, sessions, infobases in rows}


def subscriber_limits(subscriber, day: datetime.date) -> Limits:
    """One subscriber's limits on `day`, in one query."""
    from subscribers.models import Subscriber

    return limits_for_subscribers(Subscriber.objects.filter(pk=subscriber.pk), day).get(
        subscriber.pk, Limits(0, 0)
    )


@dataclass(frozen=True)
class LimitsBreakdown:
    limits: Limits
    bases: list
    extensions: list


def limits_breakdown(subscriber, day: datetime.date) -> LimitsBreakdown:
    """What makes up a subscriber's limits on `day`: each active base and extension (2 queries)."""
    bases = list(
        Subscription.objects.active_on(day)
        .filter(subscriber=subscriber)
        .select_related("tariff")
        .order_by("starts_on", "pk")
    )
    extensions = list(
        ExtensionSubscription.objects.active_on(day)
        .filter(subscription__subscriber=subscriber)
        .select_related("tariff", "subscription")
        .order_by("starts_on", "pk")
    )
    sessions = sum(b.tariff.sessions for b in bases) + sum(
        e.quantity for e in extensions if e.tariff.resource == Tariff.Resource.SESSIONS
    )
    infobases = sum(b.tariff.infobases for b in bases) + sum(
        e.quantity for e in extensions if e.tariff.resource == Tariff.Resource.INFOBASES
    )
    return LimitsBreakdown(Limits(sessions, infobases), bases, extensions)
