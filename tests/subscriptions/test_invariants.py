"""`manage.py check_invariants`: finds every broken invariant, exits non-zero, passes clean data.

Each broken row below is written past the rules (`.update()`, a dropped
constraint), as a restore from a damaged backup or a bug would; the command
must name it. The demo data and everything the services write pass.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subscriptions import services
from subscriptions.invariants import CHECKS, find_violations
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from tests import factories
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def check_invariants() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_invariants", stdout=out)
    except CommandError as failure:
        return failure.returncode, out.getvalue() + str(failure)
    return 0, out.getvalue()


def found(code: str) -> set[str]:
    """The numbers of the documents that break the check `code`."""
    check = next(c for c in CHECKS if c.code == code)
    return {violation.number for violation in check.find()}


def drop_constraint(name: str) -> None:
    """Within the test's transaction (rolled back after it), as an old schema would be."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE subscriptions_subscription DROP CONSTRAINT {name}")


@pytest.fixture
def extension(base_twelve_months_from_the_first, session_tariff, operator, today):
    """A posted «Дополнительный сеанс» × 2 for a month from today."""
    return services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_twelve_months_from_the_first,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=2,
        ),
        user=operator,
        post=True,
    )


def test_clean_data_passes_and_the_command_says_so(extension):
    code, output = check_invariants()

    assert code == 0, output
    assert "Нарушений нет." in output
    assert output.count(": ok") == len(CHECKS)


def test_the_demo_data_passes(today):
    call_command("seed_demo", "--password", "demo-pass-12345", stdout=StringIO())
    assert Subscription.objects.exists() and ExtensionSubscription.objects.exists()

    code, output = check_invariants()

    assert code == 0, output


def test_a_broken_invariant_is_listed_and_the_exit_status_is_1(extension, other_organization):
    ExtensionSubscription.objects.filter(pk=extension.pk).update(organization=other_organization)

    code, output = check_invariants()

    assert code == 1
    assert f"[organization_differs] № {extension.number}" in output
    assert "Найдено нарушений: 1." in output


def test_a_base_filed_under_another_organization_is_found(
    base_twelve_months_from_the_first, other_organization
):
    Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(
        organization=other_organization
    )
    assert found("organization_differs") == {base_twelve_months_from_the_first.number}


def test_an_extension_on_a_tariff_no_longer_offered_is_found(extension, session_tariff):
    session_tariff.offered_for.clear()
    assert found("extension_tariff_not_offered") == {extension.number}


def test_a_document_of_the_wrong_kind_of_tariff_is_found(
    extension, base_twelve_months_from_the_first, session_tariff
):
    Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(
        tariff=session_tariff
    )
    assert base_twelve_months_from_the_first.number in found("tariff_kind")


def test_a_quantity_above_the_tariffs_maximum_is_found(extension, session_tariff):
    Tariff.objects.filter(pk=session_tariff.pk).update(max_quantity=1)
    assert found("quantity_above_max") == {extension.number}


def test_dates_that_disagree_with_the_period_are_found(extension):
    ExtensionSubscription.objects.filter(pk=extension.pk).update(ends_on=extension.ends_on - DAY)
    assert found("dates_disagree_with_period") == {extension.number}


def test_a_period_whose_length_changed_under_documents_is_found(extension):
    TariffPeriod.objects.filter(pk=extension.period_id).update(count=2)
    assert found("dates_disagree_with_period") == {extension.number}


def test_a_period_of_another_tariff_is_found(extension, base_tariff):
    other = base_tariff.periods.get(count=1)
    ExtensionSubscription.objects.filter(pk=extension.pk).update(period=other)
    assert extension.number in found("period_of_other_tariff")


def test_an_extension_outside_its_base_is_found(
    extension, base_twelve_months_from_the_first, base_tariff
):
    Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(
        ends_on=extension.starts_on
    )
    assert found("extension_outside_base") == {extension.number}


def test_drafts_outside_a_shortened_base_or_above_a_lowered_maximum_are_fine(
    base_twelve_months_from_the_first, session_tariff, operator, today
):
    """R10 and R8 protect posted extensions; a draft is checked again when posted."""
    base = base_twelve_months_from_the_first
    draft = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=2,
        ),
        user=operator,
    )
    Subscription.objects.filter(pk=base.pk).update(ends_on=draft.starts_on)
    session_tariff.__class__.objects.filter(pk=session_tariff.pk).update(max_quantity=1)
    assert found("extension_outside_base") == set()
    assert found("quantity_above_max") == set()


def test_a_posted_extension_on_a_draft_base_is_found(extension, base_twelve_months_from_the_first):
    Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(status=Status.DRAFT)
    assert found("posted_extension_on_draft_base") == {extension.number}


@pytest.mark.parametrize(
    "change",
    [{"amount": None}, {"unit_price": None}, {"amount": 1}],
    ids=["no amount", "no unit price", "amount not price × quantity"],
)
def test_a_posted_extension_without_its_kept_price_is_found(extension, change):
    ExtensionSubscription.objects.filter(pk=extension.pk).update(**change)
    assert found("posted_without_kept_price") == {extension.number}


def test_a_draft_without_a_kept_price_is_fine(
    base_twelve_months_from_the_first, session_tariff, operator, today
):
    services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_twelve_months_from_the_first,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=1,
        ),
        user=operator,
    )
    assert found("posted_without_kept_price") == set()


def test_overlapping_posted_bases_are_found(
    base_twelve_months_from_the_first, subscriber, base_tariff, operator
):
    later = services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=base_twelve_months_from_the_first.ends_on + DAY,
        ),
        user=operator,
    )
    if connection.vendor == "postgresql":
        drop_constraint("subscriptions_subscription_posted_no_overlap")
    Subscription.objects.filter(pk=later.pk).update(
        status=Status.POSTED,
        starts_on=base_twelve_months_from_the_first.ends_on,
        ends_on=base_twelve_months_from_the_first.ends_on + 30 * DAY,
    )

    assert found("posted_bases_overlap") == {base_twelve_months_from_the_first.number}


@requires_postgres
def test_dates_outside_the_business_range_are_found(base_twelve_months_from_the_first):
    # a database restored from before R18 had no such constraint
    drop_constraint("subscriptions_subscription_dates_in_business_range")
    Subscription.objects.filter(pk=base_twelve_months_from_the_first.pk).update(
        starts_on=datetime.date(9998, 12, 31), ends_on=datetime.date(9999, 12, 30)
    )

    assert base_twelve_months_from_the_first.number in found("dates_out_of_range")


def test_the_checks_run_in_the_database_not_per_row(
    base_tariff, session_tariff, organization, operator, today
):
    def queries_for(count):
        for _ in range(count):
            base_twelve_months_from_the_first = factories.SubscriptionFactory(
                subscriber=factories.SubscriberFactory(organization=organization),
                tariff=base_tariff,
                period=base_tariff.periods.get(count=12),
            )
            services.extension_save(
                extension=ExtensionSubscription(
                    subscription=base_twelve_months_from_the_first,
                    tariff=session_tariff,
                    period=session_tariff.periods.get(count=1),
                    starts_on=today,
                ),
                user=operator,
                post=True,
            )
        with CaptureQueriesContext(connection) as captured:
            assert list(find_violations()) == []
        return len(captured)

    assert queries_for(2) == queries_for(20)
