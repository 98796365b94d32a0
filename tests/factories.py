"""Factories that cannot produce invalid data.

Every factory builds its instance, runs `full_clean()` — the model's field
validators, `clean()` with its cross-row rules, the constraints — and only then
saves, so a factory refuses what a form, the admin or a service would refuse.
A test that needs an invalid row (a constraint test) writes it past the rules
explicitly, with `objects.create()` or `.update()`.

A base subscription's end follows from its start and period; an extension takes
its dates from its base. «Today» is the one clock's (`clock.today()`, fixed per
test by the `today` fixture), read when a factory runs, never at import.
"""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from subscribers.models import Membership, ServiceOrganization, Subscriber
from subscribers.validators import bin_iin_control_digit
from subscriptions import clock, pricing
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from subscriptions.periods import Periodicity

DEFAULT_PASSWORD = "secret-pass-123"


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


# «Today» for the factories and for tests that ask `factories.today()`: the one clock.
today = clock.today


class ValidModelFactory(factory.django.DjangoModelFactory):
    """Creates through `full_clean()`: builds the instance, validates it, saves it.

    With `django_get_or_create`, an existing row with those fields is returned
    as it is (as `get_or_create` does); only a new row is validated and saved.
    """

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        keys = cls._meta.django_get_or_create
        if keys:
            lookup = {key: kwargs[key] for key in keys}
            existing = cls._get_manager(model_class).filter(**lookup).first()
            if existing is not None:
                return existing
        instance = cls._instance(model_class, *args, **kwargs)
        cls._validate(instance)
        instance.save()
        return instance

    @classmethod
    def _instance(cls, model_class, *args, **kwargs):
        return model_class(*args, **kwargs)

    @classmethod
    def _validate(cls, instance):
        instance.full_clean()


class UserFactory(ValidModelFactory):
    """A user whose password is `password` (stored hashed: the tests' hasher is fast)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = DEFAULT_PASSWORD

    @classmethod
    def _instance(cls, model_class, *args, password, **kwargs):
        user = model_class(*args, **kwargs)
        user.set_password(password)
        return user


class OrganizationFactory(ValidModelFactory):
    class Meta:
        model = ServiceOrganization

    name = factory.Sequence(lambda n: f"Партнер {n}")


class MembershipFactory(ValidModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OPERATOR


class SubscriberFactory(ValidModelFactory):
    class Meta:
        model = Subscriber

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f'ТОО "Абонент {n:04d}"')
    bin_iin = factory.Sequence(valid_bin_iin)
    city = "Алматы"


class BaseTariffFactory(ValidModelFactory):
    class Meta:
        model = Tariff
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Тариф {n}")
    kind = Tariff.Kind.BASE
    sessions = 5
    infobases = 2


class ExtensionTariffFactory(ValidModelFactory):
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


class TariffPeriodFactory(ValidModelFactory):
    class Meta:
        model = TariffPeriod
        django_get_or_create = ("tariff", "periodicity", "count")

    tariff = factory.SubFactory(BaseTariffFactory)
    periodicity = Periodicity.MONTH
    count = 12
    price = 120000


class SubscriptionFactory(ValidModelFactory):
    """A posted base subscription; by default a year that began 30 days ago.

    `ends_on` follows from `starts_on` and the period (the model computes it
    again in `clean()`); a posted one may not overlap another posted base of
    its subscriber and tariff (R11).
    """

    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    tariff = factory.SubFactory(BaseTariffFactory)
    period = factory.LazyAttribute(
        lambda o: TariffPeriodFactory(tariff=o.tariff, periodicity=Periodicity.MONTH, count=12)
    )
    starts_on = factory.LazyFunction(lambda: clock.today() - datetime.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.period.end_for(o.starts_on))
    status = Status.POSTED
    # Posted now, as the services record it (R15 counts the day it was posted).
    posted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Status.POSTED else None
    )

    @classmethod
    def _validate(cls, instance):
        instance.full_clean()
        if instance.status == Status.POSTED and instance.amount is None:
            # Both prices, as posting keeps them (R16): the service's and the partner's.
            instance.amount, instance.partner_amount = pricing.base_kept_prices(
                instance, instance.subscriber.organization_id, clock.today()
            )


def _partner_prices(extension):
    """The partner's (unit price, amount) as posting keeps them: the price list's on today."""
    organization_id = extension.subscription.organization_id
    if extension.until_base_end:
        span = (extension.starts_on, extension.ends_on)
        month = extension.tariff.month_period()
        return pricing.partner_kept_prices(
            organization_id, month, extension.quantity, clock.today(), span=span
        )
    return pricing.partner_kept_prices(
        organization_id, extension.period, extension.quantity, clock.today()
    )


class ExtensionFactory(ValidModelFactory):
    """A posted «Дополнительный сеанс» on a base, starting today, for one month.

    It lies within its base (R4, R5), its tariff is offered for the base's
    (R2), its quantity within the tariff's maximum (R8). A posted one is
    checked as it was on the day it was posted: today, or its first day when
    that has passed — posting needs a posted base that has not ended and a
    start not before the posting day (R6, R7).
    """

    class Meta:
        model = ExtensionSubscription

    subscription = factory.SubFactory(SubscriptionFactory)
    tariff = factory.LazyAttribute(
        lambda o: ExtensionTariffFactory(offered_for=[o.subscription.tariff])
    )
    # «до окончания подписки на тариф»: no period, to the base's last day.
    until_base_end = False
    period = factory.LazyAttribute(
        lambda o: (
            None
            if o.until_base_end
            else TariffPeriodFactory(
                tariff=o.tariff, periodicity=Periodicity.MONTH, count=1, price=3000
            )
        )
    )
    starts_on = factory.LazyFunction(clock.today)
    ends_on = factory.LazyAttribute(
        lambda o: o.subscription.ends_on if o.until_base_end else o.period.end_for(o.starts_on)
    )
    quantity = 1
    status = Status.POSTED
    # Posted now, as the services record it (R15 counts the day it was posted).
    posted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Status.POSTED else None
    )

    @classmethod
    def _validate(cls, instance):
        if instance.status == Status.POSTED and instance.starts_on:
            with clock.today_is(min(clock.today(), instance.starts_on)):
                instance.full_clean()
            if instance.amount is None:
                # What posting keeps (R16), as services.extension_save would.
                instance.unit_price, instance.amount = instance.current_prices()
            if instance.partner_amount is None:
                instance.partner_unit_price, instance.partner_amount = _partner_prices(instance)
        else:
            instance.full_clean()
