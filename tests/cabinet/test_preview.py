"""The live preview of the document forms: the endpoints the forms' script asks as
the operator types, the what-if timeline, and the no-JavaScript «Пересчитать».

Every figure is the server's (periods.py, rules.py, pricing.py through the form
and the model), so the 31-January clamp, the period that outruns the base and
the total are checked here, where the script no longer computes anything.

The data: «today» is 20.01.2028 (2027 for the non-leap case) on the one clock;
a posted year of «Стандарт» (5 sessions, 2 infobases) from the 15th of January,
so it contains 31 January and ends on 14 January of the next year.
"""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cabinet.timeline import ProposedExtension, build_timeline
from common.formatting import format_tenge
from subscribers.models import Subscriber
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, NumberSequence, Status, Subscription
from tests import factories

LEAP_TODAY = datetime.date(2028, 1, 20)


# --- Data ------------------------------------------------------------------------------


def january_base(subscriber, base_tariff, year: int) -> Subscription:
    """A posted year of «Стандарт» from 15 January `year` (to 14 January of the next)."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=datetime.date(year, 1, 15),
    )


@pytest.fixture
def leap_year(subscriber, base_tariff, session_tariff, infobase_tariff):
    """«Today» is 20.01.2028; the base runs 15.01.2028–14.01.2029."""
    with clock.today_is(LEAP_TODAY):
        yield january_base(subscriber, base_tariff, 2028)


@pytest.fixture
def plain_year(subscriber, base_tariff, session_tariff, infobase_tariff):
    """«Today» is 20.01.2027; the base runs 15.01.2027–14.01.2028."""
    with clock.today_is(datetime.date(2027, 1, 20)):
        yield january_base(subscriber, base_tariff, 2027)


def preview_url(base) -> str:
    return reverse("extension_preview", args=[base.pk])


def ask(client, base, **params):
    response = client.get(preview_url(base), params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def typed(tariff, months: int, starts_on, quantity=2) -> dict:
    return {
        "tariff": tariff.pk,
        "period": tariff.periods.get(count=months).pk,
        "starts_on": starts_on,
        "quantity": quantity,
    }


def option(answer, period) -> dict:
    return next(item for item in answer["periods"] if item["value"] == str(period.pk))


# --- «по», the total, the limits, the what-if -------------------------------------------


@pytest.mark.parametrize(
    ("year_fixture", "starts_on", "ends_on"),
    [
        # 31.01.2028 + 1 month = 29.02.2028 (leap): the last day is the day before.
        ("leap_year", "2028-01-31", "28.02.2028"),
        # 31.01.2027 + 1 month = 28.02.2027: the last day is 27.02.2027.
        ("plain_year", "2027-01-31", "27.02.2027"),
        # The cabinet's own format is read as well as ISO.
        ("leap_year", "31.01.2028", "28.02.2028"),
    ],
)
def test_a_month_from_31_january_ends_the_day_before_the_clamped_day(
    logged_in, request, operator, session_tariff, year_fixture, starts_on, ends_on
):
    base = request.getfixturevalue(year_fixture)

    answer = ask(logged_in(operator), base, **typed(session_tariff, 1, starts_on))

    assert answer["ends_on"] == ends_on
    assert answer["total"] == format_tenge(6000)  # 3 000 ₸ × 2
    assert answer["total_formula"] == f"{format_tenge(3000)} × 2"
    assert answer["errors"] == {}
    # On its first day the subscriber would have the base's 5 sessions plus these 2.
    assert answer["limits"]["sessions"] == 7
    assert answer["limits"]["sessions_without"] == 5
    assert answer["limits"]["infobases"] == answer["limits"]["infobases_without"] == 2
    assert "7 сеансов" in answer["limits"]["text"]
    # The what-if: the new extension, hatched, named, with its dates.
    html = answer["timeline_html"]
    assert "data-proposed" in html and "tl-bar--proposed" in html
    assert "timeline-hatch-new" in html and 'stroke-dasharray="6 3"' in html
    assert f"новое расширение: Доп. сеанс × 2 · {answer['limits']['day']} – {ends_on}" in html
    assert "Новое расширение (еще не записано)" in html
    assert "is-outside" not in html


def test_a_period_that_outruns_the_base_is_unavailable_with_its_reason_and_refused(
    logged_in, operator, leap_year, session_tariff, infobase_tariff
):
    base = leap_year
    year_of_sessions = session_tariff.periods.get(count=12)
    year_of_infobases = infobase_tariff.periods.get(count=12)
    client = logged_in(operator)

    answer = ask(client, base, **typed(session_tariff, 12, "2028-01-31"))

    # 31.01.2028 + 12 months − 1 day = 30.01.2029, after the base's 14.01.2029.
    reason = "недоступно: закончится 30.01.2029, позже окончания подписки 14.01.2029"
    assert answer["ends_on"] == "30.01.2029"
    assert option(answer, year_of_sessions)["unavailable"] == reason
    assert reason in option(answer, year_of_sessions)["label"]
    # The chosen period stays selectable (its refusal is next to the field) …
    assert option(answer, year_of_sessions)["disabled"] is False
    # … the other tariff's year is marked and disabled.
    assert option(answer, year_of_infobases)["disabled"] is True
    assert [e["code"] for e in answer["errors"]["period"]] == ["extension_ends_after_base"]
    # The advice keeps the start and names the longest period that still fits.
    assert answer["errors"]["period"][0]["message"] == (
        "Расширение действовало бы по 30.01.2029, а подписка на тариф — только по 14.01.2029. "
        "С 31.01.2028 до окончания подписки на тариф (14.01.2029) помещается период не длиннее "
        "«6 месяцев»: выберите его."
    )
    # Drawn sticking out of the base, in red.
    assert "is-outside" in answer["timeline_html"]
    assert "Оно выходит за срок подписки на тариф." in answer["timeline_html"]

    month = ask(client, base, **typed(session_tariff, 1, "2028-01-31"))
    assert option(month, year_of_sessions)["disabled"] is True
    assert option(month, session_tariff.periods.get(count=3))["unavailable"] == ""


def test_alignment_note_and_recommended_start_come_from_the_base(
    logged_in, operator, leap_year, session_tariff
):
    client = logged_in(operator)

    not_aligned = ask(client, leap_year, **typed(session_tariff, 1, "2028-01-31"))
    aligned = ask(client, leap_year, **typed(session_tariff, 1, "2028-02-15"))

    assert not_aligned["alignment_note"].startswith(
        "Дата начала не совпадает с числом начала подписки (15-е число"
    )
    assert aligned["alignment_note"] == ""
    # The next day ≥ today (20.01.2028) on the base's day of month.
    assert aligned["recommended"] == {"value": "2028-02-15", "text": "15.02.2028"}
    assert aligned["ends_on"] == "14.03.2028"


def test_a_start_before_today_is_refused_as_posting_would_and_allowed_for_a_draft(
    logged_in, operator, leap_year, session_tariff
):
    client = logged_in(operator)
    values = typed(session_tariff, 1, "2028-01-19")

    posting = ask(client, leap_year, **values)
    saving = ask(client, leap_year, action="save", **values)

    assert [e["code"] for e in posting["errors"]["starts_on"]] == ["extension_starts_in_past"]
    assert saving["errors"] == {}


def test_a_quantity_above_the_tariffs_maximum_is_refused_with_the_maximum(
    logged_in, operator, leap_year, session_tariff
):
    answer = ask(logged_in(operator), leap_year, **typed(session_tariff, 1, "2028-02-15", 11))

    assert answer["errors"]["quantity"][0]["message"] == (
        "Количество расширений — от 1 до 10 для этого тарифа: укажите не больше 10."
    )
    assert answer["quantity_help"] == "От 1 до 10."
    assert answer["quantity_max"] == 10


def test_empty_fields_are_not_errors_yet_and_draw_no_new_extension(logged_in, operator, leap_year):
    answer = ask(logged_in(operator), leap_year)

    assert answer["errors"] == {}
    assert answer["ends_on"] is None and answer["total"] is None
    assert answer["total_formula"] == "цена периода × количество расширений"
    assert answer["limits"] is None
    assert "data-proposed" not in answer["timeline_html"]
    assert "здесь появится новое расширение" in answer["timeline_html"]


def test_the_draft_being_edited_is_left_out_of_its_own_what_if(
    logged_in, operator, leap_year, infobase_tariff, session_tariff
):
    with clock.today_is(LEAP_TODAY):
        draft = factories.ExtensionFactory(
            subscription=leap_year,
            tariff=infobase_tariff,
            period=infobase_tariff.periods.get(count=3),
            starts_on=datetime.date(2028, 3, 15),
            status=Status.DRAFT,
        )
    client = logged_in(operator)
    values = typed(session_tariff, 1, "2028-02-15")

    as_new = ask(client, leap_year, **values)
    as_edit = ask(client, leap_year, extension=draft.pk, **values)

    assert f"№ {draft.number}" in as_new["timeline_html"]
    assert f"№ {draft.number}" not in as_edit["timeline_html"]
    assert "data-proposed" in as_edit["timeline_html"]
    draft.refresh_from_db()
    assert (draft.tariff, draft.status) == (infobase_tariff, Status.DRAFT)


# --- Scope, methods, roles --------------------------------------------------------------


def test_another_organizations_base_is_a_404_both_ways(
    logged_in, operator, other_operator, other_organization, leap_year, base_tariff, session_tariff
):
    theirs = january_base(
        factories.SubscriberFactory(organization=other_organization), base_tariff, 2028
    )
    values = typed(session_tariff, 1, "2028-02-15")

    assert logged_in(operator).get(preview_url(theirs), values).status_code == 404
    client = logged_in(other_operator)
    assert client.get(preview_url(leap_year), values).status_code == 404
    assert client.get(preview_url(theirs), values).status_code == 200  # their own base


def test_another_organizations_draft_named_as_the_edited_one_is_a_400(
    logged_in, operator, other_organization, leap_year, base_tariff, infobase_tariff
):
    with clock.today_is(LEAP_TODAY):
        theirs = factories.ExtensionFactory(
            subscription=january_base(
                factories.SubscriberFactory(organization=other_organization), base_tariff, 2028
            ),
            tariff=infobase_tariff,
            period=infobase_tariff.periods.get(count=1),
            starts_on=datetime.date(2028, 2, 15),
            status=Status.DRAFT,
        )

    response = logged_in(operator).get(preview_url(leap_year), {"extension": theirs.pk})

    assert response.status_code == 400
    assert response.json() == {"error": "Форма устарела: откройте ее заново."}
    assert theirs.number not in response.content.decode()


def test_a_read_only_user_may_ask_but_nobody_may_post(
    logged_in, viewer, operator, leap_year, session_tariff
):
    values = typed(session_tariff, 1, "2028-01-31")
    client = logged_in(viewer)

    assert ask(client, leap_year, **values)["ends_on"] == "28.02.2028"
    assert client.post(preview_url(leap_year), values).status_code == 403  # a read-only role
    assert logged_in(operator).post(preview_url(leap_year), values).status_code == 405
    client.logout()
    response = client.get(preview_url(leap_year), values)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Nothing written, nothing locked, a fixed number of queries -------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")
# The session, the user, the membership with its organization; the base; the
# form's tariffs and periods; the model's full_clean(): the tariff is offered
# for the base's (its foreign keys hold loaded objects and its check
# constraints are decided in Python: no query); the what-if's extensions and limits.
PREVIEW_QUERIES = 3 + 1 + 2 + 1 + 2


def test_the_preview_writes_nothing_and_locks_nothing(
    logged_in, operator, leap_year, session_tariff
):
    client = logged_in(operator)
    counts = (
        Subscription.objects.count(),
        ExtensionSubscription.objects.count(),
        ExtensionSubscription.history.count(),
        list(NumberSequence.objects.values_list("name", "last_value")),
    )

    with CaptureQueriesContext(connection) as queries:
        ask(client, leap_year, **typed(session_tariff, 1, "2028-02-15"))
        ask(client, leap_year, **typed(session_tariff, 12, "2028-01-31"))

    statements = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    assert not [s for s in statements if s.startswith(WRITES) and "DJANGO_SESSION" not in s]
    assert not [s for s in statements if "FOR UPDATE" in s or "FOR SHARE" in s]
    assert counts == (
        Subscription.objects.count(),
        ExtensionSubscription.objects.count(),
        ExtensionSubscription.history.count(),
        list(NumberSequence.objects.values_list("name", "last_value")),
    )


@pytest.mark.parametrize("extensions", [0, 12])
def test_the_preview_costs_a_fixed_number_of_queries(
    logged_in, operator, leap_year, session_tariff, extensions, django_assert_num_queries
):
    with clock.today_is(LEAP_TODAY):
        for month in range(extensions):
            factories.ExtensionFactory(
                subscription=leap_year,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=datetime.date(2028, 2 + month % 11, 15),
                status=Status.DRAFT,
            )
    client = logged_in(operator)
    values = typed(session_tariff, 1, "2028-01-31")

    with django_assert_num_queries(PREVIEW_QUERIES):
        answer = ask(client, leap_year, **values)

    assert answer["timeline_html"].count("tl-bar tl-bar--ext") == extensions


# --- Garbage in, a 200 with errors or a 400 out -----------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"starts_on": "31.02.2028"}, "starts_on"),
        ({"starts_on": "2028-01-31\x00"}, "starts_on"),
        ({"starts_on": "\x00"}, "starts_on"),
        ({"starts_on": "'; DROP TABLE x; --"}, "starts_on"),
        ({"starts_on": "9999-12-31"}, "starts_on"),
        ({"starts_on": "0001-01-01"}, "starts_on"),
        ({"tariff": "\x00"}, "tariff"),
        ({"tariff": "99999999999999999999999999"}, "tariff"),
        ({"period": "-1"}, "period"),
        ({"period": "1e3"}, "period"),
        ({"quantity": "\x00"}, "quantity"),
        ({"quantity": "-5"}, "quantity"),
        ({"quantity": "9" * 30}, "quantity"),
        ({"quantity": "9" * 5000}, "quantity"),
        ({"action": "\x00"}, None),
    ],
)
def test_garbage_values_are_a_200_with_the_fields_error(
    logged_in, operator, leap_year, session_tariff, params, field
):
    values = {**typed(session_tariff, 1, "2028-02-15"), **params}

    answer = ask(logged_in(operator), leap_year, **values)

    if field is None:
        assert answer["errors"] == {}
    else:
        assert answer["errors"][field], answer["errors"]


def test_a_base_tariff_or_a_period_of_a_tariff_not_offered_is_a_field_error(
    logged_in, operator, leap_year, base_tariff
):
    foreign = factories.ExtensionTariffFactory(
        name="Дополнительный диск", resource="infobases", max_quantity=3, offered_for=[]
    )
    foreign_month = factories.TariffPeriodFactory(tariff=foreign, count=1, price=1000)
    client = logged_in(operator)

    base_tariffs = ask(client, leap_year, **typed(base_tariff, 1, "2028-02-15"))
    not_offered = ask(
        client,
        leap_year,
        tariff=foreign.pk,
        period=foreign_month.pk,
        starts_on="2028-02-15",
        quantity=1,
    )

    assert base_tariffs["errors"]["tariff"][0]["code"] == "invalid_choice"
    assert base_tariffs["errors"]["period"][0]["code"] == "invalid_choice"
    assert not_offered["errors"]["tariff"][0]["code"] == "invalid_choice"
    assert "data-proposed" not in not_offered["timeline_html"]


def _anything():
    """What a client could put in a query string: any text (NUL included), digits, ids."""
    text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
    return st.one_of(text, st.integers(-(10**20), 10**20).map(str), st.sampled_from(["", " "]))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["tariff", "period", "starts_on", "quantity", "extension", "action"]),
        _anything(),
    )
)
def test_any_query_is_a_200_or_a_400_and_writes_nothing(
    logged_in, operator, leap_year, session_tariff, params
):
    client = logged_in(operator)
    values = {**typed(session_tariff, 1, "2028-02-15"), **params}
    before = ExtensionSubscription.objects.count(), Subscription.objects.count()

    response = client.get(preview_url(leap_year), values)

    assert response.status_code in (200, 400), (values, response.content[:300])
    assert isinstance(response.json(), dict)
    assert (ExtensionSubscription.objects.count(), Subscription.objects.count()) == before


@pytest.mark.parametrize(
    "extension", ["abc", "\x00", "-1", "1.5", "٣", "²", "9" * 19, "99999999", "posted"]
)
def test_a_malformed_or_unknown_edited_document_is_a_400(
    logged_in, operator, leap_year, session_tariff, extension
):
    if extension == "posted":
        with clock.today_is(LEAP_TODAY):
            extension = factories.ExtensionFactory(
                subscription=leap_year,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=LEAP_TODAY,
            ).pk

    response = logged_in(operator).get(preview_url(leap_year), {"extension": extension})

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "Форма устарела: откройте ее заново."


# --- The base subscription's live «по» --------------------------------------------------


def test_the_base_subscriptions_preview_gives_its_end_and_its_errors(
    logged_in, operator, subscriber, base_tariff, leap_year
):
    url = reverse("subscription_preview", args=[subscriber.pk])
    month = base_tariff.periods.get(count=1)
    client = logged_in(operator)

    answer = client.get(
        url, {"tariff": base_tariff.pk, "period": month.pk, "starts_on": "2028-01-31"}
    )
    # The same subscriber holds the posted year from 15.01.2028: posting would overlap (R11).
    assert answer.json()["ends_on"] == "28.02.2028"
    assert [e["code"] for e in answer.json()["errors"]["starts_on"]] == ["base_overlaps"]

    # Changing that very base: it does not overlap itself; R10 has nothing to keep.
    edited = client.get(
        url,
        {"subscription": leap_year.pk, "period": month.pk, "starts_on": "2028-01-15"},
    ).json()
    assert edited == {"ends_on": "14.02.2028", "errors": {}}

    garbage = client.get(url, {"tariff": "\x00", "starts_on": "32.01.2028"})
    assert garbage.status_code == 200
    assert set(garbage.json()["errors"]) == {"tariff", "starts_on"}
    assert client.get(url, {"subscription": "x"}).status_code == 400


def test_the_base_subscriptions_preview_of_another_organization_is_a_404(
    logged_in, other_operator, subscriber
):
    url = reverse("subscription_preview", args=[subscriber.pk])
    assert logged_in(other_operator).get(url).status_code == 404
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


# --- The form page itself, without JavaScript -------------------------------------------


def test_the_form_page_recalculates_without_javascript_and_writes_nothing(
    logged_in, operator, leap_year, session_tariff
):
    url = reverse("extension_create", args=[leap_year.pk])
    client = logged_in(operator)
    page = client.get(url).content.decode()
    assert 'name="preview"' in page and ">Пересчитать<" in page
    assert "data-proposed" not in page  # nothing typed yet
    before = ExtensionSubscription.objects.count()

    response = client.post(
        url, {**typed(session_tariff, 12, "31.01.2028"), "preview": "1", "action": "post"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "30.01.2029</output>" in page  # «по»
    assert "недоступно: закончится 30.01.2029, позже окончания подписки 14.01.2029" in page
    assert "а подписка на тариф — только по 14.01.2029" in page  # next to the period
    assert "data-proposed" in page and "is-outside" in page
    assert ExtensionSubscription.objects.count() == before


def test_the_edit_page_shows_the_drafts_what_if_on_first_render(
    logged_in, operator, leap_year, session_tariff
):
    with clock.today_is(LEAP_TODAY):
        draft = factories.ExtensionFactory(
            subscription=leap_year,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=datetime.date(2028, 1, 31),
            quantity=3,
            status=Status.DRAFT,
        )

    page = logged_in(operator).get(reverse("extension_edit", args=[draft.pk]))

    text = page.content.decode()
    assert "28.02.2028</output>" in text
    assert "новое расширение: Доп. сеанс × 3 · 31.01.2028 – 28.02.2028" in text
    assert f"№ {draft.number}" not in text.split("data-what-if", 1)[1]
    assert 'data-limits-sessions="8"' in text


def test_the_base_form_recalculates_without_javascript_and_writes_nothing(
    logged_in, operator, subscriber, base_tariff
):
    url = reverse("subscription_create", args=[subscriber.pk])
    before = Subscription.objects.count()

    response = logged_in(operator).post(
        url,
        {
            "tariff": base_tariff.pk,
            "period": base_tariff.periods.get(count=1).pk,
            "starts_on": "31.01.2028",
            "preview": "1",
        },
    )

    assert response.status_code == 200
    assert "28.02.2028</output>" in response.content.decode()
    assert Subscription.objects.count() == before


# --- The timeline's what-if geometry ----------------------------------------------------


def test_the_new_extension_gets_the_first_lane_and_is_named_in_the_description(
    leap_year, session_tariff
):
    with clock.today_is(LEAP_TODAY):
        stored = factories.ExtensionFactory(
            subscription=leap_year,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=datetime.date(2028, 2, 15),
        )
    proposed = ProposedExtension(
        tariff=session_tariff,
        quantity=2,
        starts_on=datetime.date(2028, 1, 31),
        ends_on=datetime.date(2028, 2, 28),
    )

    timeline = build_timeline(leap_year, [stored], LEAP_TODAY, proposed)

    assert timeline.proposed is not None and timeline.proposed.href == ""
    assert timeline.proposed.y < timeline.bars[0].y  # lane 0 is the new extension's alone
    assert [bar.lane for bar in timeline.bars] == [1]
    assert "Новое расширение (еще не записано): Дополнительный сеанс × 2" in timeline.summary
    assert build_timeline(leap_year, [stored], LEAP_TODAY).proposed is None


def test_a_new_extension_far_from_the_base_is_not_drawn(leap_year, session_tariff):
    far = ProposedExtension(
        tariff=session_tariff,
        quantity=1,
        starts_on=datetime.date(2035, 1, 1),
        ends_on=datetime.date(2035, 1, 31),
        outside_base=True,
    )

    timeline = build_timeline(leap_year, [], LEAP_TODAY, far)

    assert timeline.proposed is None
    assert len(timeline.ticks) < 14  # the base's year, not seven
