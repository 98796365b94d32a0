"""Where «до окончания подписки на тариф» (an extension that ends with its base) meets
«Прекратить» and «Изменить количество» (R14): a co-terminating extension changed in
quantity stays one; a replacement's «Период действия» is its span on every screen, in
every download and in the API; a base ended early (and that undone) takes its drafts
«до окончания» with it; a renewal carries a co-terminating replacement as one; and
`check_invariants` watches all of it.

«Today» is 15.03.2026 unless a test says otherwise; the base is a posted year of
«Стандарт» 01.01–31.12.2026; «Дополнительный сеанс» costs 3 000 ₸ a month
(30 000 ₸ a year).
"""

import csv
import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from api.models import ApiToken
from subscriptions import clock, services
from subscriptions.invariants import CHECKS
from subscriptions.models import ExtensionSubscription, Status, Tariff, TariffPeriod
from subscriptions.renewal import RenewalPlanner
from subscriptions.reports import extensions_by_month
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
MARCH_15 = D(2026, 3, 15)
CHANGE_ON = D(2026, 5, 20)  # 20.05–31.12.2026: 7 months and 12 days
UNTIL_BASE_END = "до окончания подписки на тариф"
REPLACEMENT_SPAN = "7 мес. + 12 дн. (изменение количества)"
PERIOD_COLUMN = 4  # «Период действия» in both downloads


def assert_invariants_hold():
    call_command("check_invariants", stdout=StringIO())


def found(code: str) -> set[str]:
    """The numbers of the documents that break the check `code`."""
    check = next(c for c in CHECKS if c.code == code)
    return {violation.number for violation in check.find()}


def change(extension, change_on, quantity, *, user):
    return services.extension_change_quantity(
        extension=extension, change_on=change_on, quantity=quantity, user=user
    )


def reread(document):
    return type(document).objects.get(pk=document.pk)


@pytest.fixture
def on_march_15(today):
    clock.set_today(MARCH_15)
    return MARCH_15


@pytest.fixture
def year_2026(on_march_15, subscriber, base_tariff):
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=D(2026, 1, 1),
    )


@pytest.fixture
def sessions_to_the_end(year_2026, session_tariff):
    """«Дополнительный сеанс» × 2 «до окончания подписки на тариф» from 01.02.2026
    (to 31.12.2026: 11 months, 33 000 ₸ a unit), posted."""
    return factories.ExtensionFactory(
        subscription=year_2026,
        tariff=session_tariff,
        until_base_end=True,
        starts_on=D(2026, 2, 1),
        quantity=2,
    )


@pytest.fixture
def sessions_for_the_year(year_2026, session_tariff):
    """«Дополнительный сеанс» × 2 for 12 months (30 000 ₸ each) from 01.01.2026: running."""
    return factories.ExtensionFactory(
        subscription=year_2026,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=12),
        starts_on=D(2026, 1, 1),
        quantity=2,
    )


def draft_to_the_end(base, tariff, starts_on, *, user, quantity=1):
    return services.extension_save(
        extension=ExtensionSubscription(
            subscription=base,
            tariff=tariff,
            until_base_end=True,
            starts_on=starts_on,
            quantity=quantity,
        ),
        user=user,
    )


# --- 1. «Изменить количество» of a co-terminating extension ---------------------------------


def test_a_co_terminating_extension_is_replaced_by_a_co_terminating_one(
    sessions_to_the_end, operator
):
    new = change(sessions_to_the_end, CHANGE_ON, 3, user=operator)

    new = reread(new)
    assert (new.until_base_end, new.period_id) == (True, None)
    assert (new.starts_on, new.ends_on, new.planned_ends_on) == (
        CHANGE_ON,
        D(2026, 12, 31),
        D(2026, 12, 31),
    )
    assert new.period_label == UNTIL_BASE_END
    # priced by the span rule at the tariff's «1 месяц» price, as any replacement
    assert new.unit_price == Decimal("22200")  # 7 × 3 000 + 12 × 3 000 ÷ 30
    assert new.amount == Decimal("66600")
    assert new.until_base_end_span == "7 мес. + 12 дн."
    old = reread(sessions_to_the_end)
    assert (old.ends_on, old.period_label) == (CHANGE_ON - DAY, UNTIL_BASE_END)
    assert old.unused_amount == Decimal("44400")  # the same span at its own 3 000 a month, × 2
    assert_invariants_hold()


def test_it_stays_co_terminating_after_the_tariff_stopped_offering_that(
    sessions_to_the_end, session_tariff, operator
):
    """The replacement continues a posted contract: it takes up no new offer."""
    Tariff.objects.filter(pk=session_tariff.pk).update(offers_until_base_end=False)

    new = change(sessions_to_the_end, CHANGE_ON, 3, user=operator)

    assert (new.until_base_end, new.period_id, new.ends_on) == (True, None, D(2026, 12, 31))
    assert_invariants_hold()


def test_without_a_1_month_period_it_is_priced_at_its_own_monthly_share(
    sessions_to_the_end, session_tariff, operator
):
    TariffPeriod.objects.filter(tariff=session_tariff, count=1).update(is_active=False)

    new = change(sessions_to_the_end, CHANGE_ON, 1, user=operator)

    # its kept 33 000 for 11 months: 3 000 a month
    assert (new.until_base_end, new.unit_price) == (True, Decimal("22200"))
    assert_invariants_hold()


# --- 2. One label on every screen, download and the API ---------------------------------------


def xlsx_periods(content: bytes) -> dict[str, str]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    return {row[0]: row[PERIOD_COLUMN] for row in rows[1:]}


def csv_periods(content: bytes) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    return {row[0]: row[PERIOD_COLUMN] for row in rows[1:]}


def downloaded(client, url) -> list[dict[str, str]]:
    """«Период действия» by number, from the XLSX and from the CSV of one download."""
    periods = []
    for fmt, read in (("xlsx", xlsx_periods), ("csv", csv_periods)):
        response = client.get(url, {"format": fmt})
        assert response.status_code == 200
        periods.append(read(b"".join(response.streaming_content)))
    return periods


def every_label(client, api_key, extension) -> dict[str, str]:
    """The extension's «Период действия» as each screen, download and the API shows it."""
    subscriber = extension.subscription.subscriber
    number = extension.number
    labels = {"model": reread(extension).period_label}
    window = client.get(reverse("subscriber_subscriptions", args=[subscriber.pk]))
    (row,) = [r for r in window.context["rows"] if r.document.number == number]
    labels["window"] = row.document.period_label
    listed = client.get(reverse("subscription_list"))
    (row,) = [r for r in listed.context["rows"] if r.number == number]
    labels["list"] = row.period_label
    for name, url in (
        ("list", reverse("subscription_list_export")),
        ("window", reverse("subscriber_subscriptions_export", args=[subscriber.pk])),
    ):
        xlsx, text = downloaded(client, url)
        labels[f"{name}.xlsx"], labels[f"{name}.csv"] = xlsx[number], text[number]
    answer = client.get(
        reverse("api-subscriber-subscriptions", args=[subscriber.pk]),
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    ).json()
    (api,) = [e for base in answer["results"] for e in base["extensions"] if e["number"] == number]
    labels["api"] = api["period"]
    card = client.get(reverse("extension_detail", args=[extension.pk]))
    labels["card"] = card.context["extension"].period_label
    return labels


@pytest.fixture
def api_key(organization, owner):
    return ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]


@pytest.mark.parametrize(
    ("replaced", "label"),
    [("sessions_for_the_year", REPLACEMENT_SPAN), ("sessions_to_the_end", UNTIL_BASE_END)],
    ids=["a-period", "until-base-end"],
)
def test_a_replacement_reads_the_same_everywhere(
    request, replaced, label, operator, viewer, logged_in, api_key
):
    old = request.getfixturevalue(replaced)
    new = change(old, CHANGE_ON, 3, user=operator)
    client = logged_in(viewer)

    labels = every_label(client, api_key, new)

    assert labels == dict.fromkeys(labels, label)
    assert "1 месяц" not in labels.values()
    # the one it replaced, ended early, keeps its term's label everywhere
    kept = reread(old).period_label
    assert kept in ("12 месяцев", UNTIL_BASE_END)
    old_labels = every_label(client, api_key, old)
    assert old_labels == dict.fromkeys(old_labels, kept)


def test_both_cards_show_the_replacements_span(sessions_for_the_year, operator, viewer, logged_in):
    new = change(sessions_for_the_year, CHANGE_ON, 3, user=operator)
    client = logged_in(viewer)

    card = client.get(reverse("extension_detail", args=[new.pk])).content.decode()
    base_card = client.get(
        reverse("subscription_detail", args=[new.subscription_id])
    ).content.decode()

    assert REPLACEMENT_SPAN in card
    assert REPLACEMENT_SPAN in base_card


# --- 3. A base ended early takes its drafts «до окончания» with it -------------------------


def test_an_early_end_of_a_base_takes_its_co_terminating_drafts_with_it(
    year_2026, session_tariff, operator
):
    following = draft_to_the_end(year_2026, session_tariff, D(2026, 4, 1), user=operator)
    after_the_end = draft_to_the_end(year_2026, session_tariff, D(2026, 8, 1), user=operator)
    assert following.amount == Decimal("27000")  # 01.04–31.12: 9 months

    services.subscription_end_early(
        subscription=year_2026, last_day=D(2026, 6, 30), reason="Закрылся", user=operator
    )

    following = reread(following)
    assert (following.ends_on, following.amount) == (D(2026, 6, 30), Decimal("9000"))
    assert following.period_label == UNTIL_BASE_END
    record = following.history.order_by("-history_date", "-history_id").first()
    assert record.history_change_reason == f"Изменение подписки на тариф № {year_2026.number}"
    assert record.history_user == operator
    # a draft that starts after the new end is left for posting to refuse
    assert reread(after_the_end).ends_on == D(2026, 12, 31)
    assert_invariants_hold()


def test_undoing_the_early_end_gives_the_drafts_the_end_back(
    base_twelve_months, session_tariff, operator, today
):
    """Un-posted on the day it was posted (R15), the base ends by contract again."""
    draft = draft_to_the_end(base_twelve_months, session_tariff, today + 10 * DAY, user=operator)
    services.subscription_end_early(
        subscription=base_twelve_months, last_day=today + 60 * DAY, reason="Ошибка", user=operator
    )
    assert reread(draft).ends_on == today + 60 * DAY

    base = services.subscription_unpost(subscription=base_twelve_months, user=operator)

    assert base.ended_early_on is None and base.ends_on == base_twelve_months.ends_on
    assert reread(draft).ends_on == base_twelve_months.ends_on
    assert_invariants_hold()


def test_a_co_terminating_extension_ended_with_its_base_keeps_its_label_and_unused_part(
    sessions_to_the_end, operator, organization
):
    base = sessions_to_the_end.subscription

    services.subscription_end_early(
        subscription=base,
        last_day=D(2026, 6, 30),
        reason="Закрылся",
        end_extensions=True,
        user=operator,
    )

    ended = reread(sessions_to_the_end)
    assert (ended.ends_on, ended.planned_ends_on) == (D(2026, 6, 30), D(2026, 12, 31))
    assert ended.ends_on == reread(base).ends_on  # still ends with its base
    assert ended.period_label == UNTIL_BASE_END
    assert ended.until_base_end_span == "11 мес."  # what it was priced for, kept
    assert ended.amount == Decimal("66000")  # kept
    # 01.07–31.12: 6 months at its 3 000 a month, × 2 — the report's «Не использовано»
    assert ended.unused_amount == Decimal("36000")
    report = extensions_by_month(organization, D(2026, 1, 1), D(2026, 12, 1))
    assert (report.total.amount, report.total.unused) == (Decimal("66000"), Decimal("36000"))
    assert_invariants_hold()


# --- 4. Renewal, the invariants -----------------------------------------------------------------


def test_a_renewal_carries_a_co_terminating_replacement_as_one(
    sessions_to_the_end, base_tariff, operator
):
    base = sessions_to_the_end.subscription
    new = change(sessions_to_the_end, CHANGE_ON, 3, user=operator)
    year = base_tariff.periods.get(count=12)
    (plan,) = RenewalPlanner([base], today=MARCH_15).plan(base, year).carried
    assert (plan.extension.pk, plan.until_base_end) == (new.pk, True)

    renewal = services.subscription_renew(
        subscription=base, period=year, copy_extensions=True, user=operator
    )

    (copy,) = renewal.extensions.all()
    assert (copy.until_base_end, copy.period_id, copy.quantity) == (True, None, 3)
    assert (copy.starts_on, copy.ends_on) == (D(2027, 1, 1), D(2027, 12, 31))
    assert copy.amount == Decimal("108000") == plan.amount  # 12 × 3 000 × 3
    assert_invariants_hold()


def test_a_replacement_that_does_not_continue_its_extension_is_found(
    sessions_to_the_end, session_tariff, operator
):
    new = change(sessions_to_the_end, CHANGE_ON, 3, user=operator)
    assert found("replacement_disagrees") == set()

    # as a quantity change wrote it before: a «1 месяц» period on a co-terminating one
    ExtensionSubscription.objects.filter(pk=new.pk).update(
        until_base_end=False, period=session_tariff.periods.get(count=1)
    )
    assert found("replacement_disagrees") == {new.number}


def test_a_replacement_overlapping_its_extension_is_found(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, CHANGE_ON, 3, user=operator)

    ExtensionSubscription.objects.filter(pk=sessions_for_the_year.pk).update(ends_on=CHANGE_ON)

    assert found("replacement_disagrees") == {new.number}


def test_a_draft_to_the_end_that_did_not_follow_its_base_is_found(
    year_2026, session_tariff, operator
):
    draft = draft_to_the_end(year_2026, session_tariff, D(2026, 4, 1), user=operator)
    assert found("until_base_end_not_following") == set()

    ExtensionSubscription.objects.filter(pk=draft.pk).update(ends_on=D(2026, 6, 30))

    assert found("until_base_end_not_following") == {draft.number}


def test_a_draft_left_by_an_undone_change_keeps_its_end_and_its_history(
    sessions_to_the_end, operator
):
    base = sessions_to_the_end.subscription
    new = change(sessions_to_the_end, CHANGE_ON, 3, user=operator)
    left = services.extension_unpost(extension=new, user=operator)  # before it starts
    records = left.history.count()

    services.subscription_end_early(
        subscription=base,
        last_day=D(2026, 6, 30),
        reason="Закрылся",
        end_extensions=True,
        user=operator,
    )

    left = reread(left)
    assert (left.status, left.until_base_end, left.ends_on) == (
        Status.DRAFT,
        True,
        D(2026, 12, 31),
    )
    assert left.history.count() == records
    assert_invariants_hold()
    with pytest.raises(ValidationError) as refused:
        services.extension_post(extension=left, user=operator)
    assert [e.code for e in refused.value.error_dict["__all__"]] == ["replacement_draft"]


def test_the_admin_shows_a_replacements_span_in_its_list_and_on_its_page(
    admin_client, sessions_for_the_year, operator
):
    new = change(sessions_for_the_year, CHANGE_ON, 3, user=operator)

    listed = admin_client.get(reverse("admin:subscriptions_extensionsubscription_changelist"))
    page = admin_client.get(
        reverse("admin:subscriptions_extensionsubscription_change", args=[new.pk])
    )

    assert REPLACEMENT_SPAN in listed.content.decode()
    assert REPLACEMENT_SPAN in page.content.decode()
    assert page.context["adminform"].form.instance.pk == new.pk
    fields = [
        f for _name, options in page.context["adminform"].fieldsets for f in options["fields"]
    ]
    assert "period_label" in fields and "period" not in fields
