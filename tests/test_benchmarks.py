"""The benchmark data generator makes only documents that obey the rules.

It inserts with bulk_create, without full_clean() per row; here every row of
scale «tiny» goes through full_clean(), and the hand-written limits query the
benchmark compares against gives what the selector gives.
"""

import pytest
from django.db.models import F, Max

from benchmarks import generate
from benchmarks.run import raw_limits
from subscribers.models import Membership, Subscriber
from subscriptions.models import ExtensionSubscription, NumberSequence, Status, Subscription
from subscriptions.selectors import limits_for_subscribers


@pytest.fixture
def tiny(db, today):
    return generate.generate("tiny", today=today, verbose=False)


def test_tiny_scale_makes_what_it_reports(tiny):
    organizations = generate.benchmark_organizations()
    assert organizations.count() == tiny.organizations == 2
    assert Subscriber.objects.filter(organization__in=organizations).count() == 30
    assert Subscription.objects.count() == tiny.bases > 30
    assert ExtensionSubscription.objects.count() == tiny.extensions > 0
    assert generate.present_scale() == "tiny"
    operator = Membership.objects.get(user__username=generate.OPERATOR_USERNAME)
    assert operator.organization.name == "Бенчмарк-партнер 000"
    assert operator.role == Membership.Role.OPERATOR


def test_every_generated_document_passes_full_clean(tiny):
    for subscriber in Subscriber.objects.all():
        subscriber.full_clean()
    for base in Subscription.objects.select_related("tariff", "period", "renews"):
        base.full_clean()
    for extension in ExtensionSubscription.objects.select_related(
        "tariff", "period", "subscription"
    ):
        extension.full_clean()
        if extension.is_posted:
            # R6/R7 as of the posting day, which full_clean() no longer re-checks.
            base = extension.subscription
            posted_on = extension.posted_at.date()
            assert base.is_posted
            assert posted_on <= extension.starts_on
            assert posted_on <= base.ends_on
            assert extension.amount == extension.period.price * extension.quantity


def test_generated_documents_store_their_subscribers_organization(tiny):
    assert not Subscription.objects.exclude(organization=F("subscriber__organization")).exists()
    assert not ExtensionSubscription.objects.exclude(
        organization=F("subscription__subscriber__organization")
    ).exists()


def test_numbering_goes_on_after_the_generated_numbers(tiny):
    for model in (Subscription, ExtensionSubscription):
        prefix = model.NUMBER_PREFIX
        top = model.objects.aggregate(top=Max("number"))["top"]
        assert NumberSequence.objects.get(name=prefix).last_value == int(top[1:])
        assert all(
            n.startswith(prefix) and len(n) == 9
            for n in model.objects.values_list("number", flat=True)
        )


def test_raw_limits_query_equals_the_selector(tiny, today):
    by_raw = raw_limits(today)
    assert by_raw == limits_for_subscribers(Subscriber.objects.all(), today)
    assert any(limits.sessions for limits in by_raw.values())


def test_reset_deletes_only_benchmark_data(tiny, subscriber):
    generate.reset()
    assert not generate.benchmark_organizations().exists()
    assert list(Subscriber.objects.all()) == [subscriber]
    assert not Subscription.objects.filter(status=Status.POSTED).exists()


def test_a_page_not_built_yet_is_reported_missing(db):
    from django.test import Client

    from benchmarks.run import measure

    row = measure(Client(), "no such page", "no_such_url_name", [], {}, repeat=1)
    assert row["status"] == "missing"
