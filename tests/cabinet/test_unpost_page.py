"""«Отменить проведение» (R15) asks first, on its own page: what is lost (the kept
price), that posting again needs a start of today or later — or, when it is too late,
why not and the way to «Прекратить». No script: GET asks, POST does it."""

import datetime

from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from common.formatting import fmt, format_tenge
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests.cabinet.pages import text_of

DAY = datetime.timedelta(days=1)
# The session, the user, the membership with its organization; then the page's own:
# the document (with its base and subscriber), its posted replacement (R15).
UNPOST_PAGE_QUERIES = 3 + 2


def url(document):
    name = "subscription_unpost" if isinstance(document, Subscription) else "extension_unpost"
    return reverse(name, args=[document.pk])


def posted_yesterday(document):
    type(document).objects.filter(pk=document.pk).update(posted_at=timezone.now() - DAY)


def test_the_card_leads_to_the_question_not_to_the_action(logged_in, operator, sessions_extension):
    page = logged_in(operator).get(reverse("extension_detail", args=[sessions_extension.pk]))

    assertContains(page, f'<a class="btn btn-secondary" href="{url(sessions_extension)}">')
    assertNotContains(page, f'action="{url(sessions_extension)}"')


def test_the_question_says_what_is_lost(
    logged_in, operator, sessions_extension, django_assert_max_num_queries
):
    client = logged_in(operator)

    with django_assert_max_num_queries(UNPOST_PAGE_QUERIES):
        response = client.get(url(sessions_extension))

    assert response.status_code == 200
    text = text_of(response)
    assert f"Отменить проведение № {sessions_extension.number}?" in text
    kept = format_tenge(sessions_extension.amount)  # 3 000 × 2
    assert f"Сохраненная при проведении сумма {kept} будет забыта" in text
    assert "с датой начала не раньше дня проведения (сегодня или позже)" in text
    assert '<button type="submit" class="btn btn-danger">Отменить проведение</button>' in text
    assert "<script" not in text.split("<main", 1)[-1].split("</main>", 1)[0]
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).is_posted


def test_posting_the_question_unposts(logged_in, operator, sessions_extension):
    response = logged_in(operator).post(url(sessions_extension))

    assertRedirects(response, reverse("extension_detail", args=[sessions_extension.pk]))
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).status == Status.DRAFT


def test_too_late_the_page_says_why_and_offers_to_end_it(
    logged_in, operator, base_twelve_months, today
):
    posted_yesterday(base_twelve_months)
    client = logged_in(operator)

    response = client.get(url(base_twelve_months))

    text = text_of(response)
    assert (
        f"Проведение № {base_twelve_months.number} отменить нельзя: документ действует с "
        f"{fmt(base_twelve_months.starts_on)} и проведен {fmt(today - DAY)}"
    ) in text
    assert reverse("subscription_end_early", args=[base_twelve_months.pk]) in text
    assert 'type="submit"' not in text.split("<main", 1)[-1]

    refused = client.post(url(base_twelve_months), follow=True)

    assertContains(refused, "нажмите «Прекратить» в карточке документа")
    assert Subscription.objects.get(pk=base_twelve_months.pk).status == Status.POSTED


def test_unposting_a_replacement_says_it_undoes_the_change(
    logged_in, operator, sessions_extension, today
):
    client = logged_in(operator)
    client.post(
        reverse("extension_change_quantity", args=[sessions_extension.pk]),
        {"change_on": fmt(today + DAY), "quantity": "4"},
    )
    new = ExtensionSubscription.objects.exclude(pk=sessions_extension.pk).get()

    text = text_of(client.get(url(new)))

    assert (
        f"Изменение количества будет отменено: расширение № {sessions_extension.number} снова "
        f"будет действовать по {fmt(sessions_extension.ends_on)}"
    ) in text
    client.post(url(new))
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).ends_on == (
        sessions_extension.ends_on
    )
