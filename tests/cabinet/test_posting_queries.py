"""The cabinet's posting requests: their queries at most (issue 13: posting costs half).

A request is the 3 queries of any logged-in request, the view's own (the
document in scope; the form's token, choices, validation and warning), and
the service's transaction — exactly the statements listed in
tests/subscriptions/test_posting_cost.py.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories
from tests.cabinet.pages import page_form
from tests.subscriptions.test_posting_cost import (
    BASE_POSTING,
    BEGIN,
    COMMIT,
    DRAFT_POSTING,
    EXTENSION_POSTING,
    KEPT_ADDED,
    assert_statements,
    expected,
    with_token,
)

DAY = datetime.timedelta(days=1)
# The session, the user, the membership with its organization.
REQUEST_QUERIES = 3
# «Провести и закрыть» in the form: the base in scope, the form's one-time token
# (an earlier submission of this very form?), the form's tariffs and periods, the
# form's validation (R2: offered for the base's tariff; its keys and check
# constraints ask nothing), the warning of an extension of the same tariff on
# those days (subscriptions/warnings.py).
FORM_QUERIES = 6
# «Провести» on a card: the document in scope.
CARD_QUERIES = 1


class Transaction:
    """The service's statements within a request's: from BEGIN to COMMIT."""

    def __init__(self, captured):
        sql = [q["sql"] for q in captured.captured_queries]
        first = next(n for n, s in enumerate(sql) if re.search(BEGIN, s))
        last = next(n for n, s in enumerate(sql) if n > first and re.search(COMMIT, s))
        self.captured_queries = captured.captured_queries[first : last + 1]


# As in production (no ATOMIC_REQUESTS): the service's transaction is the request's only one.
@pytest.mark.django_db(transaction=True)
def test_posting_from_the_extension_form(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        quantity="3",
        action="post",
    )

    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data)

    assert response.status_code == 302
    # the service looks the token up once more, under the base's lock
    posting = with_token(expected(EXTENSION_POSTING))
    assert_statements(Transaction(captured), posting)
    assert len(captured.captured_queries) <= REQUEST_QUERIES + FORM_QUERIES + len(posting)
    assert ExtensionSubscription.objects.get().status == Status.POSTED


@pytest.mark.django_db(transaction=True)
def test_posting_a_draft_from_its_card(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    draft = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_twelve_months,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=2,
        ),
        user=operator,
    )
    client = logged_in(operator)

    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("extension_post", args=[draft.pk]))

    assert response.status_code == 302
    posting = expected(DRAFT_POSTING)
    assert_statements(Transaction(captured), posting)
    assert len(captured.captured_queries) <= REQUEST_QUERIES + CARD_QUERIES + len(posting)
    draft.refresh_from_db()
    assert draft.status == Status.POSTED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("starts_in", [0, 400], ids=["today", "in 400 days"])
def test_posting_a_base_from_its_card(
    logged_in, operator, subscriber, base_tariff, today, starts_in
):
    draft = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=today + starts_in * DAY,
        status=Status.DRAFT,
    )
    client = logged_in(operator)

    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("subscription_post", args=[draft.pk]))

    assert response.status_code == 302
    # a base that starts later leaves today's kept limits as they are
    posting = expected(BASE_POSTING, without=[KEPT_ADDED] if starts_in else [])
    assert_statements(Transaction(captured), posting)
    assert len(captured.captured_queries) <= REQUEST_QUERIES + CARD_QUERIES + len(posting)
    assert Subscription.objects.get(pk=draft.pk).status == Status.POSTED
