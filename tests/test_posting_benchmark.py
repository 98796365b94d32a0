"""The posting benchmark (benchmarks/posting.py) on generated data: clients at once on
one base, nothing refused, nothing left behind (PostgreSQL: clients need real
transactions of their own)."""

import pytest

from benchmarks import generate, posting
from benchmarks.run import Targets
from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, SubscriberLimits
from subscriptions.selectors import Limits, limits_for_subscribers
from tests.conftest import requires_postgres
from tests.subscriptions.test_posting_cost import DRAFT_POSTING, EXTENSION_POSTING, expected


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", posting.MODES)
def test_clients_post_on_one_base_and_leave_nothing_behind(today, mode):
    generate.generate("tiny", today=today, verbose=False)
    before = set(ExtensionSubscription.objects.values_list("pk", flat=True))

    rows = posting.bench(Targets(today), 6, mode=mode)

    assert [row["name"] for row in rows] == [
        "один клиент",
        "два клиента, одна подписка",
        "два клиента, одна подписка, карточка",
        "два клиента, разные подписки",
    ]
    for row in rows:
        assert (row["posts"], row["refused"], row["busy"], row["errors"]) == (
            6,
            0,
            0,
            0,
        ), row
        assert row["mode"] == mode and row["p95_ms"] >= row["p50_ms"] > 0
    assert [row["bases"] for row in rows] == [1, 1, 1, 2]
    assert rows[0]["queries_per_post"] == len(expected(EXTENSION_POSTING))
    assert rows[2]["queries_per_post"] == len(expected(DRAFT_POSTING))
    # everything posted is gone again, and the kept limits hold what the documents say
    assert set(ExtensionSubscription.objects.values_list("pk", flat=True)) == before
    kept = {
        row.subscriber_id: Limits(row.sessions, row.infobases)
        for row in SubscriberLimits.objects.all()
    }
    assert kept == limits_for_subscribers(Subscriber.objects.all(), today)
