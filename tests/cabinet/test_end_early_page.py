"""Page «Прекратить» (R14) behind the cards of posted bases and extensions: the
allowed days and the unused part shown before, refusals next to their fields,
«прекратить и расширения» for a base, the card afterwards. (The service:
tests/subscriptions/test_end_early.py; who may open it: tests/cabinet/test_access.py.)"""

import datetime

from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from common.formatting import fmt
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories
from tests.cabinet.pages import field_errors, text_of

DAY = datetime.timedelta(days=1)
# The session, the user, the membership with its organization; then the page's own.
END_EARLY_PAGE_QUERIES = 3 + 2  # the document with its base, subscriber, tariff; its extensions


def url(document):
    name = "subscription_end_early" if isinstance(document, Subscription) else "extension_end_early"
    return reverse(name, args=[document.pk])


def card(client, document):
    name = "subscription_detail" if isinstance(document, Subscription) else "extension_detail"
    return client.get(reverse(name, args=[document.pk]))


def test_the_card_offers_it_to_operators_on_posted_documents_only(
    logged_in, operator, viewer, sessions_extension, draft_infobases_extension
):
    assertContains(card(logged_in(operator), sessions_extension), url(sessions_extension))
    assertNotContains(
        card(logged_in(operator), draft_infobases_extension), url(draft_infobases_extension)
    )
    assertNotContains(card(logged_in(viewer), sessions_extension), url(sessions_extension))


def test_the_form_shows_the_allowed_days_and_the_unused_part(
    logged_in, operator, sessions_extension, today, django_assert_max_num_queries
):
    client = logged_in(operator)

    with django_assert_max_num_queries(END_EARLY_PAGE_QUERIES):
        response = client.get(url(sessions_extension))

    assert response.status_code == 200
    text = text_of(response)
    assert f"С {fmt(today)} по {fmt(sessions_extension.ends_on)}" in text
    assert response.context["form"]["last_day"].value() == today
    # ended today, the rest of the month (all but one day) at 3 000 a month, × 2
    assert response.context["form"].unused() > 0
    assert 'name="reason"' in text and "прекратить и расширения" not in text


def test_ending_an_extension_shows_it_on_its_card(logged_in, operator, sessions_extension, today):
    client = logged_in(operator)
    last_day = today + 4 * DAY

    response = client.post(
        url(sessions_extension),
        {"last_day": fmt(last_day), "reason": "Клиент уменьшил штат"},
        follow=True,
    )

    assertRedirects(response, reverse("extension_detail", args=[sessions_extension.pk]))
    stored = ExtensionSubscription.objects.get(pk=sessions_extension.pk)
    assert (stored.ends_on, stored.early_end_reason) == (last_day, "Клиент уменьшил штат")
    assert (
        f"Расширение № {sessions_extension.number} прекращено: последний день — {fmt(last_day)}"
        in text_of(response)
    )
    page = text_of(card(client, sessions_extension))
    assert (
        f"Прекращена с {fmt(last_day + DAY)} (последний день — {fmt(last_day)}, по договору — "
        f"по {fmt(sessions_extension.ends_on)}), причина: «Клиент уменьшил штат», не использовано"
    ) in page
    assert "Прекращение: Клиент уменьшил штат" in page  # the history
    assert url(sessions_extension) in page  # still running: may end earlier still


def test_a_day_outside_the_range_is_refused_next_to_the_field(
    logged_in, operator, sessions_extension, today
):
    response = logged_in(operator).post(
        url(sessions_extension),
        {"last_day": fmt(sessions_extension.ends_on + DAY), "reason": "Ошибка"},
    )

    assert response.status_code == 400
    assert field_errors(response, "last_day") == [
        f"Последний день действия — с {fmt(today)} по {fmt(sessions_extension.ends_on)}: "
        "выберите дату в этих пределах."
    ]
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).ended_early_on is None


def test_the_reason_is_required_next_to_its_field(logged_in, operator, sessions_extension, today):
    response = logged_in(operator).post(
        url(sessions_extension), {"last_day": fmt(today), "reason": "  "}
    )

    assert response.status_code == 400
    assert field_errors(response, "reason") == [
        "Укажите причину прекращения: она сохранится в истории документа."
    ]


def test_recalculating_shows_the_unused_part_and_writes_nothing(
    logged_in, operator, sessions_extension, today
):
    response = logged_in(operator).post(
        url(sessions_extension), {"last_day": fmt(today + 10 * DAY), "reason": "", "preview": "1"}
    )

    assert response.status_code == 200
    assert response.context["form"].unused() is not None
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).ended_early_on is None


def test_a_base_with_running_extensions_asks_to_end_them_too(
    logged_in, operator, base_twelve_months, sessions_extension, today
):
    client = logged_in(operator)
    data = {"last_day": fmt(today + 3 * DAY), "reason": "Клиент закрылся"}

    refused = client.post(url(base_twelve_months), data)

    assert refused.status_code == 400
    (message,) = field_errors(refused, "end_extensions")
    assert f"№ {sessions_extension.number}" in message and "прекратить и расширения" in message
    assert Subscription.objects.get(pk=base_twelve_months.pk).ended_early_on is None

    done = client.post(url(base_twelve_months), {**data, "end_extensions": "on"}, follow=True)

    assert done.status_code == 200
    assert Subscription.objects.get(pk=base_twelve_months.pk).ends_on == today + 3 * DAY
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).ends_on == today + 3 * DAY
    text = text_of(done)
    assert f"Подписка № {base_twelve_months.number} прекращена: последний день" in text
    assert f"Вместе с ней прекращены расширения: № {sessions_extension.number}." in text
    assert "(прекращена)" in text  # the extension's row on the base's card


def test_a_draft_sends_back_to_its_card_with_the_reason(
    logged_in, operator, draft_infobases_extension
):
    response = logged_in(operator).get(url(draft_infobases_extension), follow=True)

    assertContains(response, "Прекратить можно только проведенный документ.")
    assert response.redirect_chain[-1][0] == reverse(
        "extension_detail", args=[draft_infobases_extension.pk]
    )


def test_a_document_deleted_meanwhile_is_said_so(
    logged_in, operator, base_twelve_months, session_tariff, today, monkeypatch
):
    later = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + 5 * DAY,
    )
    from subscriptions import services

    real = services.extension_end_early

    def deleted_first(**kwargs):
        ExtensionSubscription.objects.filter(pk=later.pk).update(status=Status.DRAFT)
        ExtensionSubscription.objects.filter(pk=later.pk).delete()
        return real(**kwargs)

    monkeypatch.setattr(services, "extension_end_early", deleted_first)

    response = logged_in(operator).post(
        url(later), {"last_day": fmt(today + 6 * DAY), "reason": "Ошибка"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("subscription_detail", args=[base_twelve_months.pk])
    )


def test_the_report_shows_what_is_unused_on_the_page_and_in_the_download(
    logged_in, operator, sessions_extension, today
):
    client = logged_in(operator)
    client.post(url(sessions_extension), {"last_day": fmt(today), "reason": "Отказ"})
    unused = ExtensionSubscription.objects.get(pk=sessions_extension.pk).unused_amount
    assert unused > 0
    month = {"from_month": today.strftime("%Y-%m"), "to_month": today.strftime("%Y-%m")}

    page = client.get(reverse("report_extensions_by_month"), month)
    csv_file = client.get(reverse("report_extensions_by_month_export"), {**month, "format": "csv"})

    report = page.context["report"]
    assert report.total.unused == unused
    assert report.total.amount == sessions_extension.amount  # the kept amount stays
    assertContains(page, '<th scope="col" class="num">Не использовано</th>', html=False)
    rows = b"".join(csv_file.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].split(";")[-1] == "Не использовано, ₸"
    assert rows[-1].split(";")[-1] == f"{unused:.2f}".replace(".", ",").removesuffix(",00")
