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


def test_generated_data_has_its_limits_kept_as_the_selector_computes_them(tiny, today):
    from subscriptions.kept_limits import SubscriberLimits, kept_limits_current

    kept = {
        row.subscriber_id: (row.sessions, row.infobases) for row in SubscriberLimits.objects.all()
    }
    computed = limits_for_subscribers(Subscriber.objects.all(), today)

    assert kept == {pk: (limits.sessions, limits.infobases) for pk, limits in computed.items()}
    for organization in generate.benchmark_organizations():
        assert kept_limits_current(organization, today)


def test_scale_sizes_gives_each_sized_partner_its_own_operator(db, today):
    made = generate.generate("tiny-sizes", today=today, verbose=False)

    sizes = {
        membership.organization.subscribers.count(): membership.user.username
        for membership in Membership.objects.select_related("organization", "user")
    }
    assert made.subscribers == 40
    assert sizes == {30: "bench_operator", 8: "bench_operator_001", 2: "bench_operator_002"}
    assert generate.present_scale() == "tiny-sizes"


def test_the_sizes_run_measures_every_page_for_every_partner_interleaved(db, tmp_path, today):
    from benchmarks import sizes
    from benchmarks.run import main
    from subscriptions.kept_limits import kept_limits_current

    result = main(
        ["--scale", "tiny-sizes", "--only", "pages", "--rounds", "2", "--per-round", "1",
         "--json", str(tmp_path / "sizes.json")]
    )  # fmt: skip

    sized = result["sizes"]
    assert [p["subscribers"] for p in sized["partners"]] == [2, 8, 30]
    assert {row["status"] for row in sized["pages"]} == {"ok"}
    for row in sized["pages"]:
        assert set(row["partners"]) == {"2", "8", "30"}
        assert all(f["n"] == 2 for f in row["partners"].values())
        assert set(row["ratios"]) == {"8", "30"}
        ratio = row["ratios"]["30"]
        assert ratio["min"] <= ratio["median"] <= ratio["max"] and len(ratio["rounds"]) == 2
    # «before the nightly job»: the same sort with the kept limits a day old, a reference
    reference = [row for row in sized["pages"] if row.get("reference")]
    assert [row["name"] for row in reference] == [sizes.BEFORE_THE_JOB]
    assert kept_limits_current(generate.benchmark_organizations().first(), today)
    drawing = (tmp_path / "sizes.svg").read_text()
    pages = len(sized["pages"]) - len(reference)
    assert drawing.startswith("<svg") and drawing.count("<polyline") == 2 * pages
    assert (tmp_path / "sizes.json").exists()


def _sized_result(pages):
    partners = [{"subscribers": n} for n in (500, 5_000, 50_000)]
    rows = []
    for name, p50 in pages:
        figures = {
            f"{n:,}": {"subscribers": n, "p50_ms": v}
            for n, v in zip((500, 5_000, 50_000), p50, strict=True)
        }
        ratios = {
            f"{n:,}": {"over": "500", "median": v / p50[0]}
            for n, v in zip((5_000, 50_000), p50[1:], strict=True)
        }
        rows.append({"name": name, "partners": figures, "ratios": ratios})
    return {
        "meta": {
            "started_at": "2026-12-01 10:00 +05",
            "machine": {"database": "PostgreSQL 15", "cores": 2},
        },
        "sizes": {"partners": partners, "rounds": 5, "per_round": 6, "pages": rows},
    }


def test_the_picture_singles_out_the_page_that_grows_with_the_partner():
    from benchmarks.picture import draw_sizes

    drawing = draw_sizes(_sized_result([("Ровная", (10, 11, 12)), ("Растущая", (10, 25, 110))]))

    assert "Ровная: 1.2× at 50\u202f000</text>" in drawing
    assert "Растущая: 11× at 50\u202f000 — missed</text>" in drawing
    # both panels draw the growing page wide, the flat one thin
    assert drawing.count('stroke-width="3"><title>Растущая</title></polyline>') == 2
    assert drawing.count('stroke-width="1.6"><title>Ровная</title></polyline>') == 2
    assert "target 1.5×" in drawing


def test_generated_reminders_are_those_send_reminders_would_have_sent(tiny, today):
    import datetime

    from subscriptions.models import ReminderSent

    reminders = list(ReminderSent.objects.select_related("subscription__tariff"))

    assert len(reminders) == tiny.reminders > 0
    for reminder in reminders:
        base = reminder.subscription
        sent_on = base.ends_on - datetime.timedelta(days=reminder.threshold_days)
        assert reminder.threshold_days in base.tariff.reminder_thresholds
        assert reminder.sent_at.date() == sent_on <= today
        assert base.is_posted and base.posted_at.date() <= sent_on
        assert reminder.ends_on == base.ends_on
    # added to data generated before them, once
    assert generate.insert_reminders(today) == 0


def test_the_admin_run_compares_every_list_with_the_stock_peer_at_its_page_size(tiny, tmp_path):
    from django.contrib import admin

    from benchmarks.admin_lists import HISTORY_REASON
    from benchmarks.run import main
    from subscriptions.models import Tariff

    result = main(["--scale", "tiny", "--only", "admin", "--rounds", "2", "--per-round", "1",
                   "--json", str(tmp_path / "admin.json")])  # fmt: skip

    rows = result["admin"]["cases"]
    assert {row["status"] for row in rows} == {"ok"}, [r for r in rows if r["status"] != "ok"]
    lists = {row["model"] for row in rows if row["kind"] == "list"}
    assert lists == {model._meta.label for model in admin.site._registry}
    compared = [row for row in rows if "stock" in row]
    assert {row["model"] for row in compared} == {
        "subscriptions.Subscription", "subscriptions.ExtensionSubscription",
        "subscribers.Subscriber",
    }  # fmt: skip
    for row in compared:
        # like with like: the stock peer shows as many rows a page as ours
        assert row["stock"]["status"] == "ok" and row["list_per_page"] == 25
        assert len(row["stock_over_ours"]["rounds"]) == 2
        assert row["ours"]["n"] == row["stock"]["n"] == 2
    assert {row["kind"] for row in rows} == {"list", "search/filter", "history"}
    assert not Tariff.history.filter(history_change_reason=HISTORY_REASON).exists()
    assert any(t["target"] == "admin p95 < 50 ms" for t in result["targets"])
