"""Reference data under the same locks as the documents (R1, R2, R3, R8, R12).

A subscriber's organization, a tariff's offers and maximum, a period's length
and price change only through a service that locks the row and checks «in
use» under the lock; posting share-locks the rows it relies on and reads them
again under that lock. The race tests open a window in the admin right after
its form was validated — where the old code checked, before it locked — and
post from the cabinet's service inside that window (PostgreSQL, threads).
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from common.locking import LockOrderError, locked_transaction
from subscribers import services as subscriber_services
from subscribers.admin import SubscriberAdmin
from subscribers.models import Subscriber
from subscriptions import services
from subscriptions.admin import TariffAdmin, TariffPeriodAdmin
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from subscriptions.periods import add_months
from tests import factories
from tests.admin_forms import page_data
from tests.conftest import requires_postgres
from tests.races import Window, run_in_window

DAY = datetime.timedelta(days=1)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _codes(error: ValidationError, field) -> list[str]:
    return [e.code for e in error.error_dict.get(field, [])]


def draft_extension(
    base_twelve_months_from_the_first, tariff, *, months=1, quantity=1, starts_on=None
):
    return services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_twelve_months_from_the_first,
            tariff=tariff,
            period=tariff.periods.get(count=months),
            starts_on=starts_on or factories.today(),
            quantity=quantity,
        ),
        user=None,
    )


def new_base(subscriber, tariff, today, *, months=12):
    return Subscription(
        subscriber=subscriber,
        tariff=tariff,
        period=tariff.periods.get(count=months),
        starts_on=today,
        status=Status.POSTED,
    )


def admin_client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def no_invariant_is_broken():
    call_command("check_invariants", stdout=StringIO())


# --- R1: a subscriber's organization ------------------------------------------------


@pytest.mark.django_db
def test_a_base_posted_for_a_subscriber_read_before_its_move_is_refused(
    subscriber, other_organization, base_tariff, operator, admin_user, today
):
    # given the operator's page read the subscriber, then the admin moved it
    seen_by_operator = Subscriber.objects.get(pk=subscriber.pk)
    moved = Subscriber.objects.get(pk=subscriber.pk)
    moved.organization = other_organization
    subscriber_services.subscriber_save(subscriber=moved, user=admin_user)

    # when the operator posts its first base subscription
    with pytest.raises(ValidationError) as refusal:
        services.subscription_save(
            subscription=new_base(seen_by_operator, base_tariff, today), user=operator
        )

    # then nothing is filed under the old partner
    assert _codes(refusal.value, "subscriber") == ["subscriber_moved"]
    assert "другой обслуживающей организации" in " ".join(refusal.value.messages)
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_subscriber_with_a_subscription_keeps_its_organization(
    base_twelve_months_from_the_first, other_organization, admin_user
):
    moved = Subscriber.objects.get(pk=base_twelve_months_from_the_first.subscriber_id)
    moved.organization = other_organization

    with pytest.raises(ValidationError) as refusal:
        subscriber_services.subscriber_save(subscriber=moved, user=admin_user)

    assert _codes(refusal.value, "organization") == ["organization_change_with_subscriptions"]
    assert (
        Subscriber.objects.get(pk=base_twelve_months_from_the_first.subscriber_id).organization_id
        != other_organization.pk
    )


@pytest.mark.django_db
def test_the_admin_refuses_to_move_a_subscriber_with_subscriptions_next_to_the_field(
    admin_client, base_twelve_months_from_the_first, other_organization
):
    url = _url(Subscriber, "change", base_twelve_months_from_the_first.subscriber_id)
    data = page_data(admin_client.get(url))
    data["organization"] = str(other_organization.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["organization"]] == [
        "organization_change_with_subscriptions"
    ]
    assert (
        Subscriber.objects.get(pk=base_twelve_months_from_the_first.subscriber_id).organization_id
        == base_twelve_months_from_the_first.organization_id
    )


def protection_seen_before_the_posting(monkeypatch, admin_class):
    """The admin's «are you sure» page was drawn before the subscriber had a subscription:
    Django's own check of protected rows found none, so only the service stands."""
    monkeypatch.setattr(
        admin_class,
        "get_deleted_objects",
        lambda self, objs, request: ([str(o) for o in objs], {}, set(), []),
    )


@pytest.mark.django_db
def test_a_subscriber_with_subscriptions_is_not_deleted_from_the_admin(
    admin_client, monkeypatch, base_twelve_months_from_the_first
):
    protection_seen_before_the_posting(monkeypatch, SubscriberAdmin)
    url = _url(Subscriber, "delete", base_twelve_months_from_the_first.subscriber_id)

    response = admin_client.post(url, {"post": "yes"}, follow=True)

    assert Subscriber.objects.filter(pk=base_twelve_months_from_the_first.subscriber_id).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert any("есть подписки: удалить его нельзя" in m for m in shown), shown


@pytest.mark.django_db
def test_bulk_deletion_of_subscribers_is_all_or_nothing(
    admin_client, monkeypatch, base_twelve_months_from_the_first, organization
):
    protection_seen_before_the_posting(monkeypatch, SubscriberAdmin)
    lonely = factories.SubscriberFactory(organization=organization)
    url = _url(Subscriber, "changelist")

    response = admin_client.post(
        url,
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [
                str(base_twelve_months_from_the_first.subscriber_id),
                str(lonely.pk),
            ],
        },
        follow=True,
    )

    assert (
        Subscriber.objects.filter(
            pk__in=[base_twelve_months_from_the_first.subscriber_id, lonely.pk]
        ).count()
        == 2
    )
    shown = [str(m) for m in response.context["messages"]]
    assert any("есть подписки" in m for m in shown), shown


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_moving_a_subscriber_while_its_first_base_is_posted_never_splits_the_organization(
    round_, monkeypatch, subscriber, other_organization, base_tariff, operator, admin_user, today
):
    # the admin's change page is open; the operator's page has read the subscriber
    url = _url(Subscriber, "change", subscriber.pk)
    client = admin_client_for(admin_user)
    data = page_data(client.get(url))
    data["organization"] = str(other_organization.pk)
    seen_by_operator = Subscriber.objects.get(pk=subscriber.pk)
    window = Window()
    monkeypatch.setattr(SubscriberAdmin, "save_model", window.wrap(SubscriberAdmin.save_model))
    answers = {}

    def move():
        answers["admin"] = client.post(url, data)

    def post_first_base():
        services.subscription_save(
            subscription=new_base(seen_by_operator, base_tariff, today), user=operator
        )

    # the operator posts while the admin is between its check and its write
    outcomes = run_in_window(move, post_first_base, window)

    assert outcomes == ["done", "done"], outcomes
    subscriber.refresh_from_db()
    bases = list(Subscription.objects.filter(subscriber=subscriber))
    assert len(bases) == 1
    # the posting won; the move was refused on the admin's form, under the lock
    assert bases[0].organization_id == subscriber.organization_id != other_organization.pk
    form = answers["admin"].context["adminform"].form
    assert "organization" in form.errors
    no_invariant_is_broken()


# --- R2: «предлагается для тарифов» ------------------------------------------------------


@pytest.mark.django_db
def test_offers_are_written_with_the_tariff_by_the_service(session_tariff, admin_user):
    other = factories.BaseTariffFactory(name="Профи")
    tariff = Tariff.objects.get(pk=session_tariff.pk)

    services.tariff_save(tariff=tariff, user=admin_user, offered_for=[other])

    assert list(session_tariff.offered_for.all()) == [other]


@pytest.mark.django_db
def test_a_base_tariff_with_extensions_stays_in_the_offers(
    base_twelve_months_from_the_first, session_tariff, admin_user
):
    draft_extension(base_twelve_months_from_the_first, session_tariff)
    tariff = Tariff.objects.get(pk=session_tariff.pk)

    with pytest.raises(ValidationError) as refusal:
        services.tariff_save(tariff=tariff, user=admin_user, offered_for=[])

    assert _codes(refusal.value, "offered_for") == ["offered_for_in_use"]
    assert list(session_tariff.offered_for.all()) == [base_twelve_months_from_the_first.tariff]


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_narrowing_offers_while_an_extension_is_posted_never_strands_it(
    round_,
    monkeypatch,
    base_twelve_months_from_the_first,
    session_tariff,
    operator,
    admin_user,
    today,
):
    url = _url(Tariff, "change", session_tariff.pk)
    client = admin_client_for(admin_user)
    data = page_data(client.get(url))
    data["offered_for"] = []
    # the window is after the tariff's row was written, before the admin commits:
    # under the new code the offers are already narrowed there, under its lock
    window = Window()
    monkeypatch.setattr(TariffAdmin, "save_related", window.wrap(TariffAdmin.save_related))
    answers = {}

    def narrow():
        answers["admin"] = client.post(url, data)

    def post_extension():
        draft = draft_extension(base_twelve_months_from_the_first, session_tariff)
        services.extension_post(extension=draft, user=operator)

    outcomes = run_in_window(narrow, post_extension, window)

    assert outcomes[0] == "done", outcomes
    offered = session_tariff.offered_for.filter(
        pk=base_twelve_months_from_the_first.tariff_id
    ).exists()
    posted = ExtensionSubscription.objects.filter(status=Status.POSTED).exists()
    # the posting waited for the admin's commit, then saw the narrowed offers
    assert (offered, posted, outcomes[1]) == (False, False, "tariff_not_offered"), outcomes
    no_invariant_is_broken()


# --- R3: a period's length and price -------------------------------------------------------


@pytest.mark.django_db
def test_an_extension_posted_after_its_period_changed_takes_the_new_length_and_price(
    base_twelve_months_from_the_first, session_tariff, operator, admin_user
):
    # given the operator's form read a period as «2 месяца, 5 000 ₸»
    unused = factories.TariffPeriodFactory(tariff=session_tariff, count=2, price=5000)
    on_the_form = ExtensionSubscription(
        subscription=base_twelve_months_from_the_first,
        tariff=session_tariff,
        period=TariffPeriod.objects.get(pk=unused.pk),
        starts_on=factories.today(),
        quantity=1,
    )
    # and the admin then made it «4 месяца, 8 000 ₸» (no document used it yet)
    changed = TariffPeriod.objects.get(pk=unused.pk)
    changed.count, changed.price = 4, Decimal("8000")
    services.tariff_period_save(period=changed, user=admin_user)

    # when the operator posts the form
    services.extension_save(extension=on_the_form, user=operator, post=True)

    # then it is posted with the period as it is now
    posted = ExtensionSubscription.objects.get()
    assert posted.ends_on == add_months(posted.starts_on, 4) - DAY
    assert (posted.unit_price, posted.amount) == (Decimal("8000"), Decimal("8000"))
    no_invariant_is_broken()


@pytest.mark.django_db
def test_a_period_in_use_keeps_its_length_and_is_not_deleted(
    base_twelve_months_from_the_first, session_tariff, admin_user
):
    draft = draft_extension(base_twelve_months_from_the_first, session_tariff)
    period = TariffPeriod.objects.get(pk=draft.period_id)
    period.count = 2

    with pytest.raises(ValidationError) as refusal:
        services.tariff_period_save(period=period, user=admin_user)
    assert _codes(refusal.value, "count") == ["period_in_use"]

    with pytest.raises(ValidationError) as refusal:
        services.tariff_period_delete(period=period, user=admin_user)
    assert refusal.value.error_list[0].code == "period_in_use"
    assert TariffPeriod.objects.get(pk=period.pk).count == 1


@pytest.mark.django_db
def test_a_used_period_price_changes_but_posted_documents_keep_theirs(
    base_twelve_months_from_the_first, session_tariff, operator, admin_user
):
    posted = services.extension_post(
        extension=draft_extension(base_twelve_months_from_the_first, session_tariff, quantity=2),
        user=operator,
    )
    period = TariffPeriod.objects.get(pk=posted.period_id)
    period.price = Decimal("4000")

    services.tariff_period_save(period=period, user=admin_user)

    posted.refresh_from_db()
    assert posted.amount == Decimal("6000")
    assert TariffPeriod.objects.get(pk=period.pk).price == Decimal("4000")


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_changing_a_period_while_it_is_posted_never_leaves_dates_that_disagree(
    round_, monkeypatch, base_twelve_months_from_the_first, session_tariff, operator, admin_user
):
    unused = factories.TariffPeriodFactory(tariff=session_tariff, count=2, price=5000)
    url = _url(TariffPeriod, "change", unused.pk)
    client = admin_client_for(admin_user)
    data = page_data(client.get(url))
    data.update(count="4", price="8000")
    # the operator's creation form read the period before the admin's change
    on_the_form = TariffPeriod.objects.get(pk=unused.pk)
    window = Window()
    monkeypatch.setattr(TariffPeriodAdmin, "save_model", window.wrap(TariffPeriodAdmin.save_model))
    answers = {}

    def change_period():
        answers["admin"] = client.post(url, data)

    def post_extension():
        services.extension_save(
            extension=ExtensionSubscription(
                subscription=base_twelve_months_from_the_first,
                tariff=session_tariff,
                period=on_the_form,
                starts_on=factories.today(),
                quantity=1,
            ),
            user=operator,
            post=True,
        )

    outcomes = run_in_window(change_period, post_extension, window)

    assert outcomes == ["done", "done"], outcomes
    period = TariffPeriod.objects.get(pk=unused.pk)
    posted = ExtensionSubscription.objects.get()
    assert posted.status == Status.POSTED
    # the posting won; the admin's change of a now used period was refused
    assert (period.count, period.price) == (2, Decimal("5000"))
    assert posted.ends_on == period.end_for(posted.starts_on)
    assert "count" in answers["admin"].context["adminform"].form.errors
    no_invariant_is_broken()


# --- R8: maximum quantity and activity ------------------------------------------------------


@pytest.mark.django_db
def test_lowering_a_maximum_below_posted_quantities_is_refused_naming_them(
    base_twelve_months_from_the_first, session_tariff, operator, admin_user
):
    big = services.extension_post(
        extension=draft_extension(base_twelve_months_from_the_first, session_tariff, quantity=8),
        user=operator,
    )
    tariff = Tariff.objects.get(pk=session_tariff.pk)
    tariff.max_quantity = 5

    with pytest.raises(ValidationError) as refusal:
        services.tariff_save(tariff=tariff, user=admin_user)

    assert _codes(refusal.value, "max_quantity") == ["max_quantity_in_use"]
    text = " ".join(refusal.value.messages)
    assert f"№ {big.number} × 8" in text and "не может быть меньше 8" in text
    assert Tariff.objects.get(pk=session_tariff.pk).max_quantity == 10


@pytest.mark.django_db
def test_lowering_a_maximum_in_the_admin_lands_next_to_the_field(
    admin_client, base_twelve_months_from_the_first, session_tariff, operator
):
    big = services.extension_post(
        extension=draft_extension(base_twelve_months_from_the_first, session_tariff, quantity=8),
        user=operator,
    )
    url = _url(Tariff, "change", session_tariff.pk)
    data = page_data(admin_client.get(url))
    data["max_quantity"] = "5"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert big.number in " ".join(errors["max_quantity"])
    assert Tariff.objects.get(pk=session_tariff.pk).max_quantity == 10


@pytest.mark.django_db
def test_an_inactive_tariff_is_not_posted_from_the_admin(
    admin_client, base_twelve_months_from_the_first, session_tariff, today
):
    Tariff.objects.filter(pk=session_tariff.pk).update(is_active=False)
    url = _url(ExtensionSubscription, "add")
    data = page_data(admin_client.get(url))
    data.update(
        subscription=str(base_twelve_months_from_the_first.pk),
        tariff=str(session_tariff.pk),
        period=str(session_tariff.periods.get(count=1).pk),
        starts_on=today.isoformat(),
        quantity="1",
        status=Status.POSTED,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "больше не действует" in " ".join(errors["tariff"])
    assert not ExtensionSubscription.objects.exists()


@pytest.mark.django_db
def test_an_inactive_period_is_not_posted_from_the_cabinet_card(
    client, base_twelve_months_from_the_first, session_tariff, operator
):
    draft = draft_extension(base_twelve_months_from_the_first, session_tariff)
    TariffPeriod.objects.filter(pk=draft.period_id).update(is_active=False)
    client.force_login(operator)

    response = client.post(reverse("extension_post", args=[draft.pk]), follow=True)

    assert ExtensionSubscription.objects.get(pk=draft.pk).status == Status.DRAFT
    shown = [str(m) for m in response.context["messages"]]
    assert any("больше не предлагается" in m for m in shown), shown


@pytest.mark.django_db
def test_a_base_of_an_inactive_tariff_is_not_posted(subscriber, base_tariff, operator, today):
    draft = services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=today,
        ),
        user=operator,
    )
    Tariff.objects.filter(pk=base_tariff.pk).update(is_active=False)

    with pytest.raises(ValidationError) as refusal:
        services.subscription_post(subscription=draft, user=operator)

    assert _codes(refusal.value, "tariff") == ["tariff_inactive"]
    assert Subscription.objects.get(pk=draft.pk).status == Status.DRAFT


@pytest.mark.django_db
def test_a_used_tariff_is_not_deleted(base_twelve_months_from_the_first, base_tariff, admin_user):
    with pytest.raises(ValidationError) as refusal:
        services.tariff_delete(tariff=Tariff.objects.get(pk=base_tariff.pk), user=admin_user)

    assert refusal.value.error_list[0].code == "tariff_in_use"
    assert Tariff.objects.filter(pk=base_tariff.pk).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_lowering_a_maximum_while_a_larger_quantity_is_posted_is_refused(
    round_, monkeypatch, base_twelve_months_from_the_first, session_tariff, operator, admin_user
):
    url = _url(Tariff, "change", session_tariff.pk)
    client = admin_client_for(admin_user)
    data = page_data(client.get(url))
    data["max_quantity"] = "5"
    draft = draft_extension(base_twelve_months_from_the_first, session_tariff, quantity=8)
    window = Window()
    monkeypatch.setattr(TariffAdmin, "save_model", window.wrap(TariffAdmin.save_model))
    answers = {}

    def lower():
        answers["admin"] = client.post(url, data)

    def post_eight():
        services.extension_post(extension=draft, user=operator)

    outcomes = run_in_window(lower, post_eight, window)

    assert outcomes == ["done", "done"], outcomes
    assert ExtensionSubscription.objects.get(pk=draft.pk).status == Status.POSTED
    assert Tariff.objects.get(pk=session_tariff.pk).max_quantity == 10
    assert "max_quantity" in answers["admin"].context["adminform"].form.errors
    no_invariant_is_broken()


# --- The lock order --------------------------------------------------------------------


@pytest.mark.django_db
def test_locks_taken_against_the_named_order_are_a_programming_error(
    base_twelve_months_from_the_first,
):
    with pytest.raises(LockOrderError), locked_transaction() as locks:
        locks.exclusive(Subscription, [base_twelve_months_from_the_first.pk])
        locks.exclusive(Subscriber, [base_twelve_months_from_the_first.subscriber_id])


# --- The admin writes reference data through the services ----------------------------


@pytest.mark.django_db
def test_a_tariff_added_in_the_admin_gets_its_offers_and_periods(admin_client, base_tariff):
    url = _url(Tariff, "add")
    data = page_data(admin_client.get(url))
    data.update(
        name="Дополнительный сеанс+",
        kind=Tariff.Kind.EXTENSION,
        resource=Tariff.Resource.SESSIONS,
        max_quantity="3",
        offered_for=[str(base_tariff.pk)],
        reminder_days="",
    )
    data.update(
        {
            "periods-TOTAL_FORMS": "1",
            "periods-0-periodicity": "month",
            "periods-0-count": "1",
            "periods-0-price": "2500",
            "periods-0-is_active": "on",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    tariff = Tariff.objects.get(name="Дополнительный сеанс+")
    assert list(tariff.offered_for.all()) == [base_tariff]
    assert [(p.count, p.price) for p in tariff.periods.all()] == [(1, Decimal("2500"))]
    assert tariff.history.latest().history_user.username == "admin"


@pytest.mark.django_db
def test_a_partner_is_deleted_only_when_it_serves_nobody(
    subscriber, organization, other_organization, admin_user
):
    with pytest.raises(ValidationError) as refusal:
        subscriber_services.organization_delete(organization=organization, user=admin_user)
    assert refusal.value.error_list[0].code == "organization_in_use"

    subscriber_services.organization_delete(organization=other_organization, user=admin_user)

    assert organization.__class__.objects.filter(pk=organization.pk).exists()
    assert not organization.__class__.objects.filter(pk=other_organization.pk).exists()
