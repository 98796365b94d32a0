import datetime
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from subscribers.models import Membership, ServiceOrganization, Subscriber
from subscribers.validators import is_valid_bin_iin
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from subscriptions.periods import add_months

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-12345"


def seed(*args):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot():
    """Every demo row by its natural key, with what matters about it."""
    user_model = get_user_model()
    return {
        "tariffs": sorted(
            Tariff.objects.values_list(
                "name", "kind", "sessions", "infobases", "resource", "max_quantity", "is_active"
            )
        ),
        "offered_for": sorted(
            Tariff.offered_for.through.objects.values_list("from_tariff__name", "to_tariff__name")
        ),
        "periods": sorted(
            TariffPeriod.objects.values_list("tariff__name", "periodicity", "count", "price")
        ),
        "organizations": sorted(ServiceOrganization.objects.values_list("name", "bin")),
        "users": sorted(
            user_model.objects.values_list("username", "is_staff", "is_superuser", "password")
        ),
        "memberships": sorted(
            Membership.objects.values_list("user__username", "organization__name", "role")
        ),
        "subscribers": sorted(
            Subscriber.objects.values_list(
                "code", "name", "bin_iin", "organization__name", "city", "email", "phone"
            )
        ),
        "subscriptions": sorted(
            Subscription.objects.values_list(
                "request_token",
                "number",
                "subscriber__code",
                "tariff__name",
                "period__count",
                "starts_on",
                "ends_on",
                "status",
                "renews__number",
            )
        ),
        "extensions": sorted(
            ExtensionSubscription.objects.values_list(
                "request_token",
                "number",
                "subscription__number",
                "tariff__name",
                "period__count",
                "starts_on",
                "ends_on",
                "quantity",
                "status",
                "amount",
            )
        ),
        "history": (
            Subscription.history.count(),
            ExtensionSubscription.history.count(),
            Subscriber.history.count(),
            Tariff.history.count(),
        ),
    }


@pytest.fixture
def no_demo_password(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


@pytest.fixture
def seeded(no_demo_password):
    out, err = seed("--password", PASSWORD)
    assert err == ""
    return out


def _subscriber(name, organization="Демо-партнер"):
    return Subscriber.objects.get(name=name, organization__name=organization)


def _active_today(subscriber, today):
    return subscriber.subscriptions.filter(
        status=Status.POSTED, starts_on__lte=today, ends_on__gte=today
    )


def test_running_twice_leaves_the_same_data(seeded):
    first = snapshot()

    out, err = seed("--password", PASSWORD)

    assert err == ""
    assert snapshot() == first
    assert set(re.findall(r"создано (\d+), изменено (\d+)", out)) == {("0", "0")}


def test_romashka_has_a_long_posted_base_active_today(seeded, today):
    romashka = _subscriber('ТОО "Ромашка"')

    (current,) = _active_today(romashka, today)

    assert current.starts_on <= add_months(today, -2)
    assert current.ends_on >= add_months(today, 8)
    assert current.extensions.filter(status=Status.POSTED, starts_on__lte=today).exists()


def test_sadykov_only_base_ended_before_today(seeded, today):
    (only,) = _subscriber("ИП Садыков").subscriptions.all()

    assert only.ends_on < today


def test_vesna_base_starts_at_least_a_month_after_today(seeded, today):
    vesna = _subscriber('ТОО "Весна"')

    assert vesna.subscriptions.filter(
        status=Status.POSTED, starts_on__gte=add_months(today, 1)
    ).exists()


def test_alatau_of_the_other_partner_is_active_today(seeded, today):
    alatau = _subscriber('ТОО "Алатау"', organization="Другой партнер")

    assert _active_today(alatau, today).exists()


def test_partners_users_and_roles(seeded):
    roles = dict(Membership.objects.values_list("user__username", "role"))
    organizations = dict(Membership.objects.values_list("user__username", "organization__name"))

    assert roles == {
        "owner": "owner",
        "operator": "operator",
        "viewer": "user",
        "other": "operator",
    }
    assert organizations["other"] == "Другой партнер"
    assert {organizations[u] for u in ("owner", "operator", "viewer")} == {"Демо-партнер"}
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    for username in ("admin", "owner", "operator", "viewer", "other"):
        assert authenticate(username=username, password=PASSWORD) is not None


def test_demo_partner_has_a_realistic_mix(seeded, today):
    demo = Subscriber.objects.filter(organization__name="Демо-партнер")
    posted_today = Subscription.objects.active_on(today).filter(subscriber__in=demo)
    soon = today + datetime.timedelta(days=30)

    assert demo.count() >= 40
    assert all(is_valid_bin_iin(s.bin_iin) for s in Subscriber.objects.all())
    assert posted_today.values("subscriber").distinct().count() >= 25
    assert posted_today.filter(ends_on__lte=soon).count() >= 3
    assert ExtensionSubscription.objects.active_on(today).count() >= 3
    assert Subscription.objects.filter(status=Status.DRAFT).exists()
    assert ExtensionSubscription.objects.filter(status=Status.DRAFT).exists()
    tariffs = set(Tariff.objects.values_list("name", flat=True))
    assert {"Дополнительный сеанс", "Дополнительная база"} <= tariffs
    assert set(TariffPeriod.objects.values_list("count", flat=True)) == {1, 3, 6, 12}


def test_every_demo_document_obeys_every_rule(seeded):
    documents = [*Subscription.objects.all(), *ExtensionSubscription.objects.all()]
    assert Subscription.objects.exists() and ExtensionSubscription.objects.posted().exists()
    for document in documents:
        document.full_clean()
    # what full_clean() does not re-check once posted: the price kept at posting
    for extension in ExtensionSubscription.objects.posted().select_related("period"):
        assert extension.amount == extension.unit_price * extension.quantity, extension
        assert extension.posted_by_id is not None and extension.posted_at is not None


def test_generated_password_is_printed_once_and_kept(no_demo_password):
    out, _ = seed()
    password = out.split("Пароль новых пользователей (admin, owner, operator, viewer, other): ")[1]
    password = password.split()[0]

    again, _ = seed()

    assert authenticate(username="owner", password=password) is not None
    assert password not in again
    assert "не изменены" in again


def test_explicit_password_updates_existing_users(seeded, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment-1")

    seed()

    assert authenticate(username="viewer", password="from-the-environment-1") is not None
    assert authenticate(username="viewer", password=PASSWORD) is None
