"""Factories that cannot produce invalid data.

A base subscription's end follows from its start and period; an extension takes
its dates from its base; dates are computed when a factory runs.
"""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from subscribers.models import Membership, ServiceOrganization, Subscriber
from subscribers.validators import bin_iin_control_digit
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from subscriptions.periods import Periodicity


def valid_bin_iin(n: int) -> str:
    """The n-th valid 12-digit BIN/IIN: distinct for every n.

    The last 10 digits of the body are n; the first digit is the smallest that
    leaves a possible control digit.
    """
    for first_digit in range(10):
        body = f"{first_digit}{n % 10**10:010d}"
        control = bin_iin_control_digit(body)
        if control is not None:
            return body + str(control)
    raise AssertionError(f"no valid BIN/IIN for {n}")


def today():
    return timezone.localdate()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOrganization

    name = factory.Sequence(lambda n: f"Партнер {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OPERATOR


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f'ТОО "Абонент {n:04d}"')
    bin_iin = factory.Sequence(valid_bin_iin)
    city = "Алматы"


class BaseTariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Тариф {n}")
    kind = Tariff.Kind.BASE
    sessions = 5
    infobases = 2


class ExtensionTariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = "Дополнительный сеанс"
    kind = Tariff.Kind.EXTENSION
    resource = Tariff.Resource.SESSIONS
    max_quantity = 10

    @factory.post_generation
    def offered_for(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.offered_for.add(*extracted)


class TariffPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffPeriod
        django_get_or_create = ("tariff", "periodicity", "count")

    tariff = factory.SubFactory(BaseTariffFactory)
    periodicity = Periodicity.MONTH
    count = 12
    price = 120000


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A posted base subscription; by default a year that began a month ago."""

    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    tariff = factory.SubFactory(BaseTariffFactory)
    period = factory.LazyAttribute(
        lambda o: TariffPeriodFactory(tariff=o.tariff, periodicity=Periodicity.MONTH, count=12)
    )
    starts_on = factory.LazyFunction(lambda: today() - datetime.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.period.end_for(o.starts_on))
    status = Status.POSTED


class ExtensionFactory(factory.django.DjangoModelFactory):
    """A posted «Дополнительный сеанс» on a base, starting today, for one month."""

    class Meta:
        model = ExtensionSubscription

    subscription = factory.SubFactory(SubscriptionFactory)
    tariff = factory.LazyAttribute(
        lambda o: ExtensionTariffFactory(offered_for=[o.subscription.tariff])
    )
    period = factory.LazyAttribute(
        lambda o: TariffPeriodFactory(
            tariff=o.tariff, periodicity=Periodicity.MONTH, count=1, price=3000
        )
    )
    starts_on = factory.LazyFunction(today)
    ends_on = factory.LazyAttribute(lambda o: o.period.end_for(o.starts_on))
    quantity = 1
    status = Status.POSTED
