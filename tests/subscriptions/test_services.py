"""The write path: one transaction, the base locked, the rules re-run, history kept."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription, TariffPeriod
from tests import factories
from tests.conftest import requires_postgres

DAY = datetime.timedelta(days=1)


def new_extension(
    base_twelve_months_from_the_first, tariff, *, months=1, starts_on=None, quantity=2
):
    return ExtensionSubscription(
        subscription=base_twelve_months_from_the_first,
        tariff=tariff,
        period=tariff.periods.get(count=months),
        starts_on=starts_on or factories.today(),
        quantity=quantity,
    )


def test_posting_keeps_the_price_as_it_was(
    base_twelve_months_from_the_first, session_tariff, operator
):
    ext = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff, quantity=3),
        user=operator,
        post=True,
    )
    assert ext.status == Status.POSTED and ext.posted_by == operator and ext.posted_at
    assert ext.unit_price == Decimal("3000") and ext.amount == Decimal("9000")
    TariffPeriod.objects.filter(pk=ext.period_id).update(price=5000)
    ext.refresh_from_db()
    assert ext.amount == Decimal("9000")


def test_refused_posting_saves_nothing(
    base_twelve_months_from_the_first, session_tariff, operator, today
):
    before = ExtensionSubscription.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.extension_save(
            extension=new_extension(
                base_twelve_months_from_the_first, session_tariff, starts_on=today - DAY
            ),
            user=operator,
            post=True,
        )
    assert exc.value.error_dict["starts_on"][0].code == "extension_starts_in_past"
    assert ExtensionSubscription.objects.count() == before


def test_draft_then_post_then_unpost(base_twelve_months_from_the_first, session_tariff, operator):
    draft = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff), user=operator
    )
    assert draft.status == Status.DRAFT and draft.amount is None
    posted = services.extension_post(extension=draft, user=operator)
    assert posted.status == Status.POSTED and posted.amount == Decimal("6000")
    again = services.extension_post(extension=posted, user=operator)
    assert again.status == Status.POSTED  # posting twice changes nothing
    unposted = services.extension_unpost(extension=posted, user=operator)
    assert (
        unposted.status == Status.DRAFT and unposted.amount is None and unposted.posted_by is None
    )


def test_posted_extension_is_not_edited_or_deleted_in_place(
    base_twelve_months_from_the_first, session_tariff, operator
):
    ext = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff),
        user=operator,
        post=True,
    )
    ext.quantity = 5
    with pytest.raises(ValidationError) as exc:
        services.extension_save(extension=ext, user=operator)
    assert exc.value.error_list[0].code == "edit_posted"
    with pytest.raises(ValidationError):
        services.extension_delete(extension=ext, user=operator)
    assert ExtensionSubscription.objects.get(pk=ext.pk).quantity == 2


def test_draft_extension_is_deleted(base_twelve_months_from_the_first, session_tariff, operator):
    ext = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff), user=operator
    )
    services.extension_delete(extension=ext, user=operator)
    assert not ExtensionSubscription.objects.filter(pk=ext.pk).exists()


def test_the_same_request_token_twice_makes_one_document(
    base_twelve_months_from_the_first, session_tariff, operator
):
    token = uuid.uuid4()
    first = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff),
        user=operator,
        post=True,
        request_token=token,
    )
    second = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff),
        user=operator,
        post=True,
        request_token=token,
    )
    assert first.pk == second.pk
    assert (
        ExtensionSubscription.objects.filter(subscription=base_twelve_months_from_the_first).count()
        == 1
    )


def test_shortening_a_posted_base_names_the_extensions_in_the_way(
    base_twelve_months_from_the_first, base_tariff, session_tariff, operator
):
    ext = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff, months=6),
        user=operator,
        post=True,
    )
    change = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    change.period = base_tariff.periods.get(count=1)
    with pytest.raises(ValidationError) as exc:
        services.subscription_save(subscription=change, user=operator)
    assert ext.number in str(exc.value)
    assert Subscription.objects.get(pk=base_twelve_months_from_the_first.pk).period.count == 12
    with pytest.raises(ValidationError):
        services.subscription_unpost(subscription=base_twelve_months_from_the_first, user=operator)
    assert Subscription.objects.get(pk=base_twelve_months_from_the_first.pk).status == Status.POSTED


def test_base_with_draft_extensions_is_unposted_and_reposted(
    base_twelve_months_from_the_first, session_tariff, operator
):
    services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff), user=operator
    )
    unposted = services.subscription_unpost(
        subscription=base_twelve_months_from_the_first, user=operator
    )
    assert unposted.status == Status.DRAFT
    reposted = services.subscription_post(
        subscription=base_twelve_months_from_the_first, user=operator
    )
    assert reposted.status == Status.POSTED and reposted.posted_by == operator


def test_overlapping_base_is_refused_when_posted(
    base_twelve_months_from_the_first, subscriber, base_tariff, operator
):
    draft = services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=base_twelve_months_from_the_first.ends_on,
        ),
        user=operator,
    )
    with pytest.raises(ValidationError) as exc:
        services.subscription_post(subscription=draft, user=operator)
    assert exc.value.error_dict["starts_on"][0].code == "base_overlaps"
    assert Subscription.objects.get(pk=draft.pk).status == Status.DRAFT


def test_draft_base_is_deleted_but_posted_one_is_not(
    base_twelve_months_from_the_first, subscriber, base_tariff, operator, today
):
    with pytest.raises(ValidationError):
        services.subscription_delete(subscription=base_twelve_months_from_the_first, user=operator)
    draft = services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=base_twelve_months_from_the_first.ends_on + DAY,
        ),
        user=operator,
    )
    services.subscription_delete(subscription=draft, user=operator)
    assert not Subscription.objects.filter(pk=draft.pk).exists()


def test_every_change_is_recorded_with_who_and_why(
    base_twelve_months_from_the_first, session_tariff, operator, owner
):
    ext = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff), user=operator
    )
    services.extension_post(extension=ext, user=owner)
    services.extension_unpost(extension=ext, user=operator)
    history = list(ext.history.order_by("history_date", "history_id"))
    assert [(h.history_user, h.history_change_reason, h.status) for h in history] == [
        (operator, "Создание", "draft"),
        (owner, "Проведение", "posted"),
        (operator, "Отмена проведения", "draft"),
    ]
    delta = history[1].diff_against(history[0])
    assert "status" in delta.changed_fields


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_posting_under_someone_elses_lock_waits_briefly_then_asks_to_retry(
    base_twelve_months_from_the_first, session_tariff, operator, settings
):
    settings.POSTING_LOCK_TIMEOUT_MS = 300
    draft = services.extension_save(
        extension=new_extension(base_twelve_months_from_the_first, session_tariff), user=operator
    )
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                list(
                    Subscription.objects.select_for_update().filter(
                        pk=base_twelve_months_from_the_first.pk
                    )
                )
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with pytest.raises(ValidationError) as exc:
            services.extension_post(extension=draft, user=operator)
        assert exc.value.error_list[0].code == services.BUSY_CODE
        assert "Повторите" in exc.value.messages[0]
    finally:
        release.set()
        holder.join()
    assert services.extension_post(extension=draft, user=operator).status == Status.POSTED
