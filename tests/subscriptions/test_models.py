"""Every rule through the models: the accepted boundary and the first refused value."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff
from subscriptions.periods import add_months
from tests import factories
from tests.conftest import requires_postgres

DAY = datetime.timedelta(days=1)


def codes(exc: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in exc.error_dict.items()}


def extension(
    base_twelve_months_from_the_first,
    tariff,
    *,
    months=1,
    starts_on=None,
    quantity=1,
    status=Status.DRAFT,
):
    return ExtensionSubscription(
        subscription=base_twelve_months_from_the_first,
        tariff=tariff,
        period=tariff.periods.get(periodicity="month", count=months),
        starts_on=starts_on or factories.today(),
        quantity=quantity,
        status=status,
    )


# --- R2 ---------------------------------------------------------------------


def test_extension_with_a_base_tariff_is_refused(
    base_twelve_months_from_the_first, base_tariff, session_tariff
):
    ext = extension(base_twelve_months_from_the_first, session_tariff)
    ext.tariff = base_tariff
    ext.period = base_tariff.periods.get(count=1)
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert "tariff_not_extension" in codes(exc.value)["tariff"]


def test_extension_tariff_not_offered_for_the_base_tariff_is_refused(
    base_twelve_months_from_the_first, session_tariff
):
    session_tariff.offered_for.clear()
    with pytest.raises(ValidationError) as exc:
        extension(base_twelve_months_from_the_first, session_tariff).full_clean()
    assert "tariff_not_offered" in codes(exc.value)["tariff"]


def test_base_subscription_with_an_extension_tariff_is_refused(subscriber, session_tariff, today):
    sub = Subscription(
        subscriber=subscriber,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
    )
    with pytest.raises(ValidationError) as exc:
        sub.full_clean()
    assert "tariff_not_base" in codes(exc.value)["tariff"]


# --- R3 ---------------------------------------------------------------------


def test_period_of_another_tariff_is_refused(
    base_twelve_months_from_the_first, session_tariff, infobase_tariff
):
    ext = extension(base_twelve_months_from_the_first, session_tariff)
    ext.period = infobase_tariff.periods.get(count=1)
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert "period_not_of_tariff" in codes(exc.value)["period"]


def test_ends_on_is_computed_never_typed(base_twelve_months_from_the_first, session_tariff, today):
    ext = extension(base_twelve_months_from_the_first, session_tariff, months=3, starts_on=today)
    ext.ends_on = today  # whatever is typed is replaced
    ext.full_clean()
    ext.save()
    assert ext.ends_on == add_months(today, 3) - DAY


# --- R4, R5 -----------------------------------------------------------------


def test_extension_starting_with_the_base_is_accepted(
    base_twelve_months_from_the_first, session_tariff
):
    extension(
        base_twelve_months_from_the_first,
        session_tariff,
        starts_on=base_twelve_months_from_the_first.starts_on,
    ).full_clean()


def test_extension_starting_a_day_before_the_base_is_refused(
    base_twelve_months_from_the_first, session_tariff
):
    ext = extension(
        base_twelve_months_from_the_first,
        session_tariff,
        starts_on=base_twelve_months_from_the_first.starts_on - DAY,
    )
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert codes(exc.value)["starts_on"] == {"extension_starts_before_base"}


def test_extension_ending_with_the_base_is_accepted(
    base_twelve_months_from_the_first, session_tariff
):
    starts_on = add_months(base_twelve_months_from_the_first.starts_on, 11)
    ext = extension(base_twelve_months_from_the_first, session_tariff, starts_on=starts_on)
    ext.full_clean()
    assert ext.ends_on == base_twelve_months_from_the_first.ends_on


def test_extension_ending_after_base_is_refused(base_twelve_months_from_the_first, session_tariff):
    ext = extension(
        base_twelve_months_from_the_first,
        session_tariff,
        starts_on=add_months(base_twelve_months_from_the_first.starts_on, 11) + DAY,
    )
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert codes(exc.value)["period"] == {"extension_ends_after_base"}
    assert base_twelve_months_from_the_first.ends_on.strftime("%d.%m.%Y") in str(exc.value)


# --- R6, R7 -----------------------------------------------------------------


def test_extension_posted_starting_today_is_accepted(
    base_twelve_months_from_the_first, session_tariff, today
):
    extension(
        base_twelve_months_from_the_first, session_tariff, starts_on=today, status=Status.POSTED
    ).full_clean()


def test_extension_posted_starting_yesterday_is_refused(
    base_twelve_months_from_the_first, session_tariff, today
):
    ext = extension(
        base_twelve_months_from_the_first,
        session_tariff,
        starts_on=today - DAY,
        status=Status.POSTED,
    )
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert codes(exc.value)["starts_on"] == {"extension_starts_in_past"}


def test_draft_extension_may_start_in_the_past(
    base_twelve_months_from_the_first, session_tariff, today
):
    extension(base_twelve_months_from_the_first, session_tariff, starts_on=today - DAY).full_clean()


def test_extension_posted_on_the_base_last_day_is_accepted(
    subscriber, base_tariff, session_tariff, today
):
    base_twelve_months_from_the_first = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today + DAY, -1),
    )
    assert base_twelve_months_from_the_first.ends_on == today
    day = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity="day", count=1, price=150
    )
    ext = extension(
        base_twelve_months_from_the_first, session_tariff, starts_on=today, status=Status.POSTED
    )
    ext.period = day
    ext.full_clean()


def test_extension_posted_after_the_base_ended_is_refused(
    subscriber, base_tariff, session_tariff, today
):
    base_twelve_months_from_the_first = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -1),
    )
    assert base_twelve_months_from_the_first.ends_on == today - DAY
    ext = extension(
        base_twelve_months_from_the_first,
        session_tariff,
        starts_on=base_twelve_months_from_the_first.ends_on - DAY,
        status=Status.POSTED,
    )
    ext.period = factories.TariffPeriodFactory(tariff=session_tariff, periodicity="day", count=1)
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert "base_ended" in codes(exc.value)["__all__"]


def test_extension_posted_on_a_draft_base_is_refused(
    base_twelve_months_from_the_first, session_tariff, today
):
    Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(status=Status.DRAFT)
    base_twelve_months_from_the_first.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        extension(
            base_twelve_months_from_the_first, session_tariff, status=Status.POSTED
        ).full_clean()
    assert "base_not_posted" in codes(exc.value)["__all__"]


def test_posted_extension_stays_valid_after_its_start_has_passed(
    base_twelve_months_from_the_first, session_tariff, today
):
    ext = extension(
        base_twelve_months_from_the_first, session_tariff, starts_on=today, status=Status.POSTED
    )
    ext.save()
    ExtensionSubscription.objects.filter(pk=ext.pk).update(starts_on=today - DAY)
    stored = ExtensionSubscription.objects.get(pk=ext.pk)
    stored.full_clean()  # R7 is a rule of the posting day, not of every later day


def test_changing_the_start_of_a_posted_extension_into_the_past_is_refused(
    base_twelve_months_from_the_first, session_tariff, today
):
    ext = extension(
        base_twelve_months_from_the_first, session_tariff, starts_on=today, status=Status.POSTED
    )
    ext.save()
    stored = ExtensionSubscription.objects.get(pk=ext.pk)
    stored.starts_on = today - DAY
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert codes(exc.value)["starts_on"] == {"extension_starts_in_past"}


# --- R8 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(1, None), (10, None), (11, "quantity_above_max"), (0, "min_value"), (-1, "min_value")],
)
def test_quantity_from_one_to_the_tariffs_maximum(
    base_twelve_months_from_the_first, session_tariff, quantity, code
):
    assert session_tariff.max_quantity == 10
    ext = extension(base_twelve_months_from_the_first, session_tariff, quantity=quantity)
    if code is None:
        ext.full_clean()
        return
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    assert code in codes(exc.value)["quantity"]


@pytest.mark.parametrize("quantity", [0, -1, 1000])
def test_quantity_constraint_holds_when_clean_is_bypassed(
    base_twelve_months_from_the_first, session_tariff, quantity
):
    ext = extension(base_twelve_months_from_the_first, session_tariff)
    ext.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionSubscription.objects.filter(pk=ext.pk).update(quantity=quantity)


# --- R9 ---------------------------------------------------------------------


def test_start_after_end_is_refused_by_the_database(
    base_twelve_months_from_the_first, session_tariff
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(
            ends_on=base_twelve_months_from_the_first.starts_on - DAY
        )
    ext = extension(base_twelve_months_from_the_first, session_tariff)
    ext.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionSubscription.objects.filter(pk=ext.pk).update(ends_on=ext.starts_on - DAY)


def test_status_outside_its_choices_is_refused_by_the_database(base_twelve_months_from_the_first):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(
            status="archived"
        )


# --- R10 --------------------------------------------------------------------


@pytest.fixture
def posted_extension(base_twelve_months_from_the_first, session_tariff, today):
    ext = extension(
        base_twelve_months_from_the_first,
        session_tariff,
        months=3,
        starts_on=today,
        status=Status.POSTED,
    )
    ext.full_clean()
    ext.save()
    return ext


def test_shortening_a_base_with_a_posted_extension_is_refused(
    base_twelve_months_from_the_first, base_tariff, posted_extension
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.period = base_tariff.periods.get(count=1)
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert "base_change_strands_extensions" in codes(exc.value)["__all__"]
    assert posted_extension.number in str(exc.value)


def test_moving_a_base_past_a_posted_extension_is_refused(
    base_twelve_months_from_the_first, posted_extension
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.starts_on = posted_extension.starts_on + DAY
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert "base_change_strands_extensions" in codes(exc.value)["__all__"]


def test_unposting_a_base_with_a_posted_extension_is_refused(
    base_twelve_months_from_the_first, posted_extension
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.status = Status.DRAFT
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert "base_unpost_strands_extensions" in codes(exc.value)["__all__"]
    assert posted_extension.number in str(exc.value)


def test_changes_that_keep_posted_extensions_inside_are_allowed(
    base_twelve_months_from_the_first, base_tariff, posted_extension
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.starts_on = posted_extension.starts_on  # moved later, still covering the extension
    stored.full_clean()


def test_base_with_only_draft_extensions_may_be_shortened_moved_and_unposted(
    base_twelve_months_from_the_first, base_tariff, session_tariff, today
):
    extension(base_twelve_months_from_the_first, session_tariff, months=6, starts_on=today).save()
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.period = base_tariff.periods.get(count=1)
    stored.starts_on = today + 3 * DAY
    stored.full_clean()
    stored.status = Status.DRAFT
    stored.full_clean()


# --- R11 --------------------------------------------------------------------


def _base(subscriber, tariff, starts_on, months=12, status=Status.POSTED):
    return Subscription(
        subscriber=subscriber,
        tariff=tariff,
        period=tariff.periods.get(count=months),
        starts_on=starts_on,
        status=status,
    )


def test_overlapping_posted_base_of_the_same_tariff_is_refused(
    base_twelve_months_from_the_first, subscriber, base_tariff
):
    second = _base(
        subscriber, base_tariff, base_twelve_months_from_the_first.ends_on
    )  # shares the last day
    with pytest.raises(ValidationError) as exc:
        second.full_clean()
    assert codes(exc.value)["starts_on"] == {"base_overlaps"}
    assert base_twelve_months_from_the_first.number in str(exc.value)


def test_adjacent_posted_base_of_the_same_tariff_is_accepted(
    base_twelve_months_from_the_first, subscriber, base_tariff
):
    _base(subscriber, base_tariff, base_twelve_months_from_the_first.ends_on + DAY).full_clean()


def test_overlapping_draft_or_other_tariff_or_other_subscriber_is_accepted(
    base_twelve_months_from_the_first, subscriber, base_tariff, organization
):
    _base(
        subscriber, base_tariff, base_twelve_months_from_the_first.starts_on, status=Status.DRAFT
    ).full_clean()
    other_tariff = factories.BaseTariffFactory(name="Профессиональный")
    factories.TariffPeriodFactory(tariff=other_tariff, count=12)
    _base(subscriber, other_tariff, base_twelve_months_from_the_first.starts_on).full_clean()
    other = factories.SubscriberFactory(organization=organization)
    _base(other, base_tariff, base_twelve_months_from_the_first.starts_on).full_clean()


@requires_postgres
def test_exclusion_constraint_refuses_overlap_when_clean_is_bypassed(
    base_twelve_months_from_the_first, subscriber, base_tariff
):
    second = _base(subscriber, base_tariff, base_twelve_months_from_the_first.ends_on)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    draft = _base(
        subscriber, base_tariff, base_twelve_months_from_the_first.starts_on, status=Status.DRAFT
    )
    draft.save()  # drafts never count
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.filter(pk=draft.pk).update(status=Status.POSTED)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="documents the SQLite behaviour")
def test_on_sqlite_the_overlap_rule_lives_in_clean_only(
    base_twelve_months_from_the_first, subscriber, base_tariff
):
    # bypassing clean() and the services is not caught on SQLite: the rule is
    # in clean() and under the services' lock there, which is why every write
    # goes through them
    _base(subscriber, base_tariff, base_twelve_months_from_the_first.ends_on).save()
    assert (
        Subscription.objects.filter(
            subscriber=subscriber, tariff=base_tariff, status=Status.POSTED
        ).count()
        == 2
    )


# --- Tariffs ----------------------------------------------------------------


def test_extension_tariff_needs_a_resource_and_a_maximum(db):
    tariff = Tariff(name="X", kind=Tariff.Kind.EXTENSION)
    with pytest.raises(ValidationError) as exc:
        tariff.full_clean()
    assert {"resource", "max_quantity"} <= set(exc.value.message_dict)


def test_tariff_kind_constraint_holds_in_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.create(name="X", kind=Tariff.Kind.BASE, resource="sessions")


def test_document_numbers_are_nine_characters_and_increase(
    base_twelve_months_from_the_first, session_tariff
):
    first = extension(base_twelve_months_from_the_first, session_tariff)
    first.save()
    second = extension(base_twelve_months_from_the_first, session_tariff)
    second.save()
    assert len(first.number) == len(base_twelve_months_from_the_first.number) == 9
    assert first.number[0] == "Р" and base_twelve_months_from_the_first.number[0] == "Т"
    assert int(second.number[1:]) == int(first.number[1:]) + 1


def test_documents_store_their_subscribers_organization(subscriber, base_tariff, session_tariff):
    # given a base and an extension saved through save()
    base_twelve_months_from_the_first = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff
    )
    extension = factories.ExtensionFactory(
        subscription=base_twelve_months_from_the_first, tariff=session_tariff
    )
    # then both carry the subscriber's organization
    assert base_twelve_months_from_the_first.organization_id == subscriber.organization_id
    assert extension.organization_id == subscriber.organization_id
    # and a base loaded without its subscriber finds it again on save
    base_twelve_months_from_the_first = Subscription.objects.get(
        pk=base_twelve_months_from_the_first.pk
    )
    base_twelve_months_from_the_first.organization_id = None
    base_twelve_months_from_the_first.save()
    assert (
        Subscription.objects.get(pk=base_twelve_months_from_the_first.pk).organization_id
        == subscriber.organization_id
    )


# --- What later documents rely on -------------------------------------------------


def test_a_base_with_extensions_cannot_move_to_another_subscriber(
    base_twelve_months_from_the_first, posted_extension, organization
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.subscriber = factories.SubscriberFactory(organization=organization)
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert codes(exc.value)["subscriber"] == {"subscriber_change_with_documents"}


def test_a_base_without_dependents_may_move_to_another_subscriber(
    base_twelve_months_from_the_first, organization
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.subscriber = factories.SubscriberFactory(organization=organization)
    stored.full_clean()


@pytest.fixture
def renewal(base_twelve_months_from_the_first, base_tariff):
    renewal = Subscription(
        subscriber=base_twelve_months_from_the_first.subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=base_twelve_months_from_the_first.ends_on + DAY,
        renews=base_twelve_months_from_the_first,
        status=Status.POSTED,
    )
    renewal.full_clean()
    renewal.save()
    return renewal


def test_a_renewal_starts_the_day_after_the_renewed_ends(
    base_twelve_months_from_the_first, base_tariff
):
    late = Subscription(
        subscriber=base_twelve_months_from_the_first.subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=base_twelve_months_from_the_first.ends_on + 2 * DAY,
        renews=base_twelve_months_from_the_first,
    )
    with pytest.raises(ValidationError) as exc:
        late.full_clean()
    assert codes(exc.value)["starts_on"] == {"renewal_not_adjacent"}


def test_shortening_a_renewed_base_is_refused_naming_the_renewal(
    base_twelve_months_from_the_first, base_tariff, renewal
):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.period = base_tariff.periods.get(count=6)
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert codes(exc.value)["period"] == {"renewed_change_breaks_renewal"}
    assert renewal.number in str(exc.value)


def test_unposting_a_renewed_base_is_refused(base_twelve_months_from_the_first, renewal):
    stored = Subscription.objects.get(pk=base_twelve_months_from_the_first.pk)
    stored.status = Status.DRAFT
    with pytest.raises(ValidationError) as exc:
        stored.full_clean()
    assert codes(exc.value)["__all__"] == {"base_unpost_strands_renewal"}


def test_a_period_in_use_keeps_its_length_but_not_its_price(
    base_twelve_months_from_the_first, base_tariff
):
    period = base_twelve_months_from_the_first.period
    period.price = 99000
    period.full_clean()  # the price may change
    period.count = 3
    with pytest.raises(ValidationError) as exc:
        period.full_clean()
    assert codes(exc.value)["count"] == {"period_in_use"}


def test_an_unused_period_may_change_its_length(base_tariff):
    period = base_tariff.periods.get(count=3)
    period.count = 2
    period.full_clean()


def test_a_tariff_in_use_keeps_its_kind(base_twelve_months_from_the_first, base_tariff):
    tariff = Tariff.objects.get(pk=base_tariff.pk)
    tariff.kind = Tariff.Kind.EXTENSION
    tariff.resource = Tariff.Resource.SESSIONS
    tariff.max_quantity = 5
    with pytest.raises(ValidationError) as exc:
        tariff.full_clean()
    assert codes(exc.value)["kind"] == {"tariff_in_use"}


# --- One refusal, the one that tells what to do ----------------------------------


def test_an_ended_base_refuses_with_its_own_reason_not_with_a_shorter_period(
    subscriber, base_tariff, session_tariff, today
):
    base_twelve_months_from_the_first = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -1),
    )
    ext = extension(
        base_twelve_months_from_the_first, session_tariff, starts_on=today, status=Status.POSTED
    )  # ends after
    with pytest.raises(ValidationError) as exc:
        ext.full_clean()
    found = codes(exc.value)
    assert found["__all__"] == {"base_ended"}
    assert "period" not in found  # «choose a shorter period» cannot help here


def test_a_quantity_far_above_the_maximum_gets_the_tariffs_message_only(
    base_twelve_months_from_the_first, session_tariff
):
    with pytest.raises(ValidationError) as exc:
        extension(base_twelve_months_from_the_first, session_tariff, quantity=5000).full_clean()
    assert codes(exc.value)["quantity"] == {"quantity_above_max"}
    assert "от 1 до 10" in str(exc.value)
