"""«До окончания подписки на тариф» on the screens: offered in «Период действия» of
«Подписка (создание)», previewed (the JSON, the what-if timeline, the no-JavaScript
«Пересчитать»), posted; and shown instead of a period on the card, in «Подписка»,
in the list, in the downloads, in the API and in the admin.

«Today» is 20.03.2027; the base runs 15.03.2027–14.03.2028 (base_year_from_15_march_2027).
From 03.08.2027 to its end is 7 months and 12 days: at 3 000 ₸ a month (100 ₸ a day)
one «Дополнительный сеанс» costs 22 200 ₸, two cost 44 400 ₸.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from api.models import ApiToken
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Tariff
from tests.cabinet.pages import page_form, text_of

D = datetime.date
LABEL = "до окончания подписки на тариф"
NBSP = "\u00a0"


def until_value(tariff) -> str:
    return f"until:{tariff.pk}"


def create_url(base) -> str:
    return reverse("extension_create", args=[base.pk])


def typed(tariff, starts_on="03.08.2027", quantity=2, **extra) -> dict:
    return {
        "tariff": tariff.pk,
        "period": until_value(tariff),
        "starts_on": starts_on,
        "quantity": quantity,
        **extra,
    }


def tenge(amount: int) -> str:
    return f"{amount:,}".replace(",", NBSP) + f"{NBSP}₸"


@pytest.fixture
def posted_until_base_end(base_year_from_15_march_2027, session_tariff, operator):
    return services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_year_from_15_march_2027,
            tariff=session_tariff,
            until_base_end=True,
            starts_on=D(2027, 8, 3),
            quantity=2,
        ),
        user=operator,
        post=True,
    )


# --- What the form offers ---------------------------------------------------------------


def test_the_form_offers_it_after_each_tariffs_periods_with_its_end_and_price(
    logged_in, operator, base_year_from_15_march_2027, session_tariff, infobase_tariff
):
    client = logged_in(operator)
    response = client.get(create_url(base_year_from_15_march_2027), {"starts_on": "2027-08-03"})

    page = text_of(response)
    options = response.context["form"].period_options()
    values = [option["value"] for option in options]
    # Each tariff's periods, then its «до окончания»: in one <optgroup> per tariff.
    assert (
        values.index(until_value(infobase_tariff))
        == values.index(str(infobase_tariff.periods.get(count=12).pk)) + 1
    )
    assert (
        values.index(until_value(session_tariff))
        == values.index(str(session_tariff.periods.get(count=12).pk)) + 1
    )
    [session_option] = [o for o in options if o["value"] == until_value(session_tariff)]
    assert session_option["tariff"] == str(session_tariff.pk)
    assert session_option["label"] == (f"{LABEL} (по 14.03.2028) — 7 мес. + 12 дн., {tenge(22200)}")
    assert (
        f'<option value="{until_value(session_tariff)}" data-tariff="{session_tariff.pk}"' in page
    )
    # How it is priced, next to the select.
    assertContains(response, "полные календарные месяцы по цене периода «1 месяц»")


def test_it_is_not_offered_when_the_tariff_does_not_allow_it(
    logged_in, operator, base_year_from_15_march_2027, session_tariff, infobase_tariff
):
    Tariff.objects.filter(pk=session_tariff.pk).update(offers_until_base_end=False)

    response = logged_in(operator).get(create_url(base_year_from_15_march_2027))

    assertNotContains(response, until_value(session_tariff))
    assertContains(response, until_value(infobase_tariff))


def test_it_is_not_offered_without_a_month_price(
    logged_in, operator, base_year_from_15_march_2027, session_tariff, infobase_tariff
):
    session_tariff.periods.filter(count=1).update(is_active=False)
    infobase_tariff.periods.filter(count=1).delete()

    response = logged_in(operator).get(create_url(base_year_from_15_march_2027))

    assertNotContains(response, "until:")
    assertNotContains(response, "полные календарные месяцы по цене периода «1 месяц»")


def test_a_choice_of_another_tariff_is_refused_next_to_the_period(
    logged_in, operator, base_year_from_15_march_2027, session_tariff, infobase_tariff
):
    client = logged_in(operator)
    url = create_url(base_year_from_15_march_2027)
    data = page_form(client.get(url))
    data.update(typed(session_tariff), period=until_value(infobase_tariff), action="post")

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("period", "period_not_of_tariff")
    assert ExtensionSubscription.objects.count() == 0


# --- Preview, before anything is written ---------------------------------------------------


def test_the_preview_shows_the_end_the_breakdown_and_the_amount(
    logged_in, operator, base_year_from_15_march_2027, session_tariff
):
    response = logged_in(operator).get(
        reverse("extension_preview", args=[base_year_from_15_march_2027.pk]),
        typed(session_tariff),
    )

    assert response.status_code == 200
    answer = response.json()
    assert answer["errors"] == {}
    assert answer["ends_on"] == "14.03.2028"
    assert answer["span"] == "7 мес. + 12 дн."
    assert answer["total"] == tenge(44400)
    assert answer["total_formula"] == (
        f"7 мес. + 12 дн. по цене периода «1 месяц» {tenge(3000)} (день — 1/30 этой цены) = "
        f"{tenge(22200)} × 2"
    )
    # The what-if timeline draws it, to the base's last day.
    assert "tl-bar--proposed" in answer["timeline_html"]
    assert "03.08.2027 – 14.03.2028" in answer["timeline_html"]
    assert answer["limits"]["sessions"] == 7  # 5 of «Стандарт» + 2


def test_the_preview_of_a_start_after_the_base_says_why(
    logged_in, operator, base_year_from_15_march_2027, session_tariff
):
    answer = (
        logged_in(operator)
        .get(
            reverse("extension_preview", args=[base_year_from_15_march_2027.pk]),
            typed(session_tariff, starts_on="15.03.2028"),
        )
        .json()
    )

    assert [e["code"] for e in answer["errors"]["starts_on"]] == [
        "until_base_end_starts_after_base"
    ]
    assert answer["total"] is None and answer["span"] is None
    [option] = [o for o in answer["periods"] if o["value"] == until_value(session_tariff)]
    assert "недоступно: подписка на тариф заканчивается 14.03.2028" in option["label"]


def test_recount_without_javascript_shows_the_same_preview(
    logged_in, operator, base_year_from_15_march_2027, session_tariff
):
    client = logged_in(operator)
    url = create_url(base_year_from_15_march_2027)
    data = page_form(client.get(url))
    data.update(typed(session_tariff), preview="1")

    response = client.post(url, data)

    assert response.status_code == 200
    page = text_of(response)
    assert "14.03.2028</output>" in page
    assert f"{tenge(44400)}</output>" in page
    assert "7 мес. + 12 дн. по цене периода «1 месяц»" in page
    assert page_form(response)["period"] == until_value(session_tariff)
    assert ExtensionSubscription.objects.count() == 0


# --- Posting from the form ------------------------------------------------------------------


def test_posting_it_from_the_form_keeps_the_amount_it_showed(
    logged_in, operator, base_year_from_15_march_2027, session_tariff
):
    client = logged_in(operator)
    url = create_url(base_year_from_15_march_2027)
    data = page_form(client.get(url))
    data.update(typed(session_tariff), action="post")

    response = client.post(url, data)

    created = ExtensionSubscription.objects.get()
    detail = reverse("subscription_detail", args=[base_year_from_15_march_2027.pk])
    assertRedirects(
        response, f"{detail}?new={created.pk}#extensions", fetch_redirect_response=False
    )
    assert created.status == Status.POSTED and created.until_base_end
    assert created.period_id is None
    assert created.ends_on == D(2028, 3, 14)
    assert (created.unit_price, created.amount) == (Decimal("22200"), Decimal("44400"))


def test_a_draft_opens_again_with_its_choice(
    logged_in, operator, base_year_from_15_march_2027, session_tariff
):
    client = logged_in(operator)
    url = create_url(base_year_from_15_march_2027)
    data = page_form(client.get(url))
    data.update(typed(session_tariff), action="save")
    client.post(url, data)
    draft = ExtensionSubscription.objects.get()

    response = client.get(reverse("extension_edit", args=[draft.pk]))

    assert page_form(response)["period"] == until_value(session_tariff)
    assertContains(response, "14.03.2028</output>")


# --- Shown instead of a period everywhere ---------------------------------------------------


def test_the_card_shows_it_with_the_breakdown_of_the_kept_price(
    logged_in, viewer, posted_until_base_end
):
    response = logged_in(viewer).get(reverse("extension_detail", args=[posted_until_base_end.pk]))

    page = text_of(response)
    assert f"<dt>Период действия</dt><dd>{LABEL}</dd>" in page
    assert "7 мес. + 12 дн. по цене периода «1 месяц»" in page
    assert f"<strong>{tenge(44400)}</strong>" in page
    # «История»: what it was created with.
    assert f"<li>Период действия: {LABEL}</li>" in page


def test_the_base_card_the_window_and_the_list_show_it(
    logged_in, viewer, base_year_from_15_march_2027, posted_until_base_end
):
    client = logged_in(viewer)
    base = base_year_from_15_march_2027

    for url in (
        reverse("subscription_detail", args=[base.pk]),
        reverse("subscriber_subscriptions", args=[base.subscriber_id]),
        reverse("subscription_list"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assertContains(response, LABEL)


def _xlsx_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_the_downloads_show_it_in_the_period_column(
    logged_in, viewer, base_year_from_15_march_2027, posted_until_base_end
):
    client = logged_in(viewer)
    base = base_year_from_15_march_2027

    for url in (
        reverse("subscriber_subscriptions_export", args=[base.subscriber_id]),
        reverse("subscription_list_export"),
    ):
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 200, url
        header, *rows = _xlsx_rows(response)
        column = header.index("Период действия")
        [row] = [r for r in rows if r[0] == posted_until_base_end.number]
        assert row[column] == LABEL


def test_the_api_shows_it(client, organization, owner, posted_until_base_end):
    key = ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]
    base = posted_until_base_end.subscription

    response = client.get(
        reverse("api-subscriber-subscriptions", args=[base.subscriber_id]),
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 200
    [document] = response.json()["results"]
    [extension] = document["extensions"]
    assert extension["until_base_end"] is True
    assert extension["period"] == LABEL
    assert (extension["ends_on"], extension["amount"]) == ("2028-03-14", "44400.00")


def test_the_admin_shows_and_offers_it(admin_client, posted_until_base_end, session_tariff):
    pages = {
        "list": reverse("admin:subscriptions_extensionsubscription_changelist"),
        "change": reverse(
            "admin:subscriptions_extensionsubscription_change", args=[posted_until_base_end.pk]
        ),
        "base": reverse(
            "admin:subscriptions_subscription_change", args=[posted_until_base_end.subscription_id]
        ),
    }
    for name, url in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, name
        assertContains(response, LABEL)
    tariff = admin_client.get(
        reverse("admin:subscriptions_tariff_change", args=[session_tariff.pk])
    )
    assertContains(tariff, 'name="offers_until_base_end"')
    assertContains(tariff, "без него вариант не предлагается")


@pytest.mark.parametrize(
    ("language", "label", "span"),
    [
        ("en", "until the tariff subscription ends", "7 mo. + 12 d."),
        ("kk", "тарифке жазылым аяқталғанға дейін", "7 ай + 12 күн"),
    ],
)
def test_the_option_and_its_breakdown_are_translated(
    logged_in, operator, base_year_from_15_march_2027, session_tariff, language, label, span
):
    client = logged_in(operator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = text_of(
        client.get(create_url(base_year_from_15_march_2027), {"starts_on": "2027-08-03"})
    )
    answer = client.get(
        reverse("extension_preview", args=[base_year_from_15_march_2027.pk]),
        typed(session_tariff),
    ).json()

    assert label in page and LABEL not in page
    assert answer["span"] == span
    assert "мес." not in answer["total_formula"] and "по цене" not in answer["total_formula"]
