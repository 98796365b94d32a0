"""Who may open and post what, on every screen of the cabinet: another organization's
object is a 404 (never a 403 that confirms it exists), a read-only user's write is a
403, an action that only posts answers 405 to GET, a stranger logs in first."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from subscriptions.models import ExtensionSubscription, Subscription

PASSWORD = "secret-pass-123"


def extension_data(session_tariff, today, **overrides) -> dict:
    data = {
        "tariff": session_tariff.pk,
        "period": session_tariff.periods.get(count=1).pk,
        "starts_on": today.isoformat(),
        "quantity": 2,
        "request_token": str(uuid.uuid4()),
        "action": "post",
    }
    data.update(overrides)
    return data


# --- Documents: method, role and organization -----------------------------------------


POST_ONLY = [
    ("subscription_post", "draft_base_in_400_days"),
    ("subscription_delete", "draft_base_in_400_days"),
    ("extension_post", "draft_infobases_extension"),
    ("extension_delete", "draft_infobases_extension"),
]
# Pages of a posted document's actions: GET shows them (with a confirmation or a form),
# POST does it (R14, R15).
ACTION_PAGES = [
    ("subscription_unpost", "base_twelve_months"),
    ("extension_unpost", "sessions_extension"),
    ("subscription_end_early", "base_twelve_months"),
    ("extension_end_early", "sessions_extension"),
    ("extension_change_quantity", "sessions_extension"),
]


@pytest.mark.parametrize(("name", "target"), POST_ONLY)
def test_post_only_actions_answer_405_to_get(logged_in, request, operator, name, target):
    obj = request.getfixturevalue(target)

    response = logged_in(operator).get(reverse(name, args=[obj.pk]))

    assert response.status_code == 405


ALL_URLS = [
    ("subscriber_subscriptions", "subscriber"),
    ("subscription_create", "subscriber"),
    ("subscription_detail", "base_twelve_months"),
    ("subscription_edit", "base_twelve_months"),
    ("extension_create", "base_twelve_months"),
    *POST_ONLY,
    *ACTION_PAGES,
    ("extension_detail", "draft_infobases_extension"),
    ("extension_edit", "draft_infobases_extension"),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "target"), ALL_URLS)
def test_another_organizations_objects_are_404_on_every_url(
    logged_in,
    request,
    other_operator,
    name,
    target,
    method,
    base_twelve_months,
    draft_base_in_400_days,
    sessions_extension,
    draft_infobases_extension,
    session_tariff,
    today,
):
    obj = request.getfixturevalue(target)
    documents = (Subscription.objects.count(), ExtensionSubscription.objects.count())
    statuses = sorted(Subscription.objects.values_list("pk", "status"))

    response = getattr(logged_in(other_operator), method)(
        reverse(name, args=[obj.pk]),
        {**extension_data(session_tariff, today), "confirm": "yes"} if method == "post" else {},
    )

    assert response.status_code == 404
    assert documents == (Subscription.objects.count(), ExtensionSubscription.objects.count())
    assert statuses == sorted(Subscription.objects.values_list("pk", "status"))


WRITE_URLS = [
    ("subscription_create", "subscriber"),
    ("subscription_edit", "base_twelve_months"),
    ("extension_create", "base_twelve_months"),
    *POST_ONLY,
    *ACTION_PAGES,
    ("extension_edit", "draft_infobases_extension"),
]


@pytest.mark.parametrize(("name", "target"), WRITE_URLS)
def test_viewer_posts_are_forbidden(
    logged_in,
    request,
    viewer,
    name,
    target,
    base_twelve_months,
    draft_base_in_400_days,
    sessions_extension,
    draft_infobases_extension,
    session_tariff,
    today,
):
    obj = request.getfixturevalue(target)
    documents = (Subscription.objects.count(), ExtensionSubscription.objects.count())

    response = logged_in(viewer).post(
        reverse(name, args=[obj.pk]), {**extension_data(session_tariff, today), "confirm": "yes"}
    )

    assert response.status_code == 403
    assert documents == (Subscription.objects.count(), ExtensionSubscription.objects.count())


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("subscription_create", "subscriber"),
        ("subscription_edit", "base_twelve_months"),
        ("extension_create", "base_twelve_months"),
        ("extension_edit", "draft_infobases_extension"),
        *ACTION_PAGES,
    ],
)
def test_viewer_cannot_open_the_forms(logged_in, request, viewer, name, target):
    obj = request.getfixturevalue(target)

    assert logged_in(viewer).get(reverse(name, args=[obj.pk])).status_code == 403


def test_anonymous_user_is_sent_to_login(client, base_twelve_months):
    response = client.get(reverse("subscription_detail", args=[base_twelve_months.pk]))

    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("url_name", "document", "refusal"),
    [
        ("subscription_delete", "base_twelve_months", "Проведенную подписку удалить нельзя"),
        ("extension_delete", "sessions_extension", "Проведенное расширение удалить нельзя"),
    ],
)
def test_a_posted_document_is_never_offered_as_a_draft_to_delete(
    logged_in, operator, url_name, document, refusal, request
):
    document = request.getfixturevalue(document)

    response = logged_in(operator).post(reverse(url_name, args=[document.pk]), follow=True)

    assertContains(response, refusal)
    assertNotContains(response, "Удалить черновик")
    assert type(document).objects.filter(pk=document.pk).exists()


# --- Личный кабинет, subscribers ------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "subscriber_list", "subscriber_detail"])
def test_user_without_organization_gets_404_everywhere(logged_in, subscriber, name):
    stranger = get_user_model().objects.create_user("stranger", password=PASSWORD)
    args = [subscriber.pk] if name == "subscriber_detail" else []

    response = logged_in(stranger).get(reverse(name, args=args))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["home", "subscriber_list", "subscriber_detail"])
def test_read_only_user_posting_to_a_page_gets_403(logged_in, viewer, subscriber, name):
    args = [subscriber.pk] if name == "subscriber_detail" else []

    response = logged_in(viewer).post(reverse(name, args=args))

    assert response.status_code == 403
