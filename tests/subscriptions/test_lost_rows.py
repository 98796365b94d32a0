"""A document another user deleted meanwhile: a clear refusal, nothing saved, never re-inserted.

Every service action re-reads its document under the lock; a row that is gone
is «Документ удален другим пользователем», and an update is
`save(force_update=True)`, so a vanished pk is never inserted again. The
cabinet and the admin show that message and go where the user can go on —
never a 500. And `extension_post` locks the base the extension is *stored*
under, not the one the caller's (older) object carried.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions import admin as subscriptions_admin
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories
from tests.admin_forms import page_data
from tests.conftest import requires_postgres
from tests.races import run_together

DAY = datetime.timedelta(days=1)
DELETED = "Документ удален другим пользователем"


@pytest.fixture
def draft(base_twelve_months_from_the_first, session_tariff, operator, today):
    """A draft «Дополнительный сеанс» × 1 for a month from today."""
    return services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_twelve_months_from_the_first,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=1,
        ),
        user=operator,
    )


@pytest.fixture
def draft_base(subscriber, base_tariff, operator, base_twelve_months_from_the_first):
    """A draft month of «Стандарт» right after `base` (nothing stands on it)."""
    return services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=base_twelve_months_from_the_first.ends_on + DAY,
        ),
        user=operator,
    )


def vanish(document) -> None:
    """Another user deletes the document (past the services: posted ones too)."""
    type(document).objects.filter(pk=document.pk).delete()


def _code(error: ValidationError) -> str:
    errors = (
        error.error_list if hasattr(error, "error_list") else sum(error.error_dict.values(), [])
    )
    return errors[0].code


# --- The services -------------------------------------------------------------------------


@pytest.mark.django_db
def test_posting_a_draft_another_user_deleted_is_refused_and_never_reinserted(
    draft, operator, owner
):
    # given an operator's edit page holds the draft, and the owner deletes it
    on_the_page = ExtensionSubscription.objects.get(pk=draft.pk)
    services.extension_delete(extension=draft, user=owner)

    # when the operator clicks «Провести»
    with pytest.raises(ValidationError) as refusal:
        services.extension_save(extension=on_the_page, user=operator, post=True)

    # then it is refused, and the deleted number does not come back
    assert _code(refusal.value) == services.DOCUMENT_DELETED_CODE
    assert DELETED in refusal.value.messages[0]
    assert not ExtensionSubscription.objects.filter(number=draft.number).exists()


ACTIONS_ON_A_VANISHED_DOCUMENT = {
    "extension_post": lambda doc, user: services.extension_post(extension=doc, user=user),
    "extension_unpost": lambda doc, user: services.extension_unpost(extension=doc, user=user),
    "extension_delete": lambda doc, user: services.extension_delete(extension=doc, user=user),
    "extension_save": lambda doc, user: services.extension_save(extension=doc, user=user),
    "subscription_save": lambda doc, user: services.subscription_save(subscription=doc, user=user),
    "subscription_post": lambda doc, user: services.subscription_post(subscription=doc, user=user),
    "subscription_unpost": lambda doc, user: services.subscription_unpost(
        subscription=doc, user=user
    ),
    "subscription_delete": lambda doc, user: services.subscription_delete(
        subscription=doc, user=user
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(ACTIONS_ON_A_VANISHED_DOCUMENT))
def test_every_service_action_on_a_vanished_document_is_a_clear_refusal(
    action, draft, draft_base, operator
):
    document = draft_base if action.startswith("subscription") else draft
    before = (Subscription.objects.count(), ExtensionSubscription.objects.count())
    stale = type(document).objects.get(pk=document.pk)
    vanish(document)

    with pytest.raises(ValidationError) as refusal:
        ACTIONS_ON_A_VANISHED_DOCUMENT[action](stale, operator)

    assert _code(refusal.value) == services.DOCUMENT_DELETED_CODE
    after = (Subscription.objects.count(), ExtensionSubscription.objects.count())
    assert after == (before[0] - (document is draft_base), before[1] - (document is draft))


@pytest.mark.django_db
def test_renewing_a_vanished_base_is_a_clear_refusal(draft_base, base_tariff, operator):
    Subscription.objects.filter(pk=draft_base.pk).update(status=Status.POSTED)
    stale = Subscription.objects.get(pk=draft_base.pk)
    vanish(draft_base)

    with pytest.raises(ValidationError) as refusal:
        services.subscription_renew(
            subscription=stale,
            period=base_tariff.periods.get(count=1),
            copy_extensions=False,
            user=operator,
        )

    assert _code(refusal.value) == services.DOCUMENT_DELETED_CODE
    assert not Subscription.objects.filter(renews__isnull=False).exists()


@pytest.mark.django_db
def test_posting_from_an_older_page_keeps_the_extension_on_the_base_it_was_moved_to(
    base_twelve_months_from_the_first,
    draft,
    subscriber,
    base_tariff,
    session_tariff,
    operator,
    admin_user,
):
    # given a page read the draft on `base`, then the admin moved it to another base
    on_the_old_page = ExtensionSubscription.objects.get(pk=draft.pk)
    other = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=subscriber.organization),
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=base_twelve_months_from_the_first.starts_on,
    )
    moved = ExtensionSubscription.objects.get(pk=draft.pk)
    moved.subscription = other
    services.extension_save(extension=moved, user=admin_user)

    # when the old page posts it
    posted = services.extension_post(extension=on_the_old_page, user=operator)

    # then it is posted where it is stored, under that base's lock
    stored = ExtensionSubscription.objects.get(pk=draft.pk)
    assert (stored.status, stored.subscription_id) == (Status.POSTED, other.pk)
    assert posted.subscription_id == other.pk
    assert stored.organization_id == other.organization_id


# --- The cabinet ---------------------------------------------------------------------------

CARD_BUTTONS = [
    # (url name, document, service, extra POST data, where the user lands)
    ("subscription_post", "draft_base", "subscription_post", {}, "subscriber_subscriptions"),
    ("subscription_unpost", "base_alone", "subscription_unpost", {}, "subscriber_subscriptions"),
    (
        "subscription_delete",
        "draft_base",
        "subscription_delete",
        {"confirm": "yes"},
        "subscriber_subscriptions",
    ),
    ("extension_post", "draft", "extension_post", {}, "subscription_detail"),
    ("extension_unpost", "posted", "extension_unpost", {}, "subscription_detail"),
    ("extension_delete", "draft", "extension_delete", {"confirm": "yes"}, "subscription_detail"),
]


def deleted_just_before(monkeypatch, module, name, document):
    """The document vanishes between the page's read and the service's lock."""
    real = getattr(module, name)

    def late(**kwargs):
        vanish(document)
        return real(**kwargs)

    monkeypatch.setattr(module, name, late)


@pytest.fixture
def documents(request, draft, draft_base, operator):
    def get(name):
        if name == "posted":
            return services.extension_post(extension=draft, user=operator)
        if name == "base_alone":
            Subscription.objects.filter(pk=draft_base.pk).update(status=Status.POSTED)
            return Subscription.objects.get(pk=draft_base.pk)
        return {"draft": draft, "draft_base": draft_base}[name]

    return get


@pytest.mark.django_db
@pytest.mark.parametrize("url_name, which, service, extra, lands_on", CARD_BUTTONS)
def test_a_card_button_on_a_document_deleted_meanwhile_says_so_and_leaves_the_card(
    url_name, which, service, extra, lands_on, client, monkeypatch, documents, operator
):
    document = documents(which)
    deleted_just_before(monkeypatch, services, service, document)
    client.force_login(operator)

    response = client.post(reverse(url_name, args=[document.pk]), extra)

    assert response.status_code == 302
    parent = (
        document.subscriber_id
        if lands_on == "subscriber_subscriptions"
        else document.subscription_id
    )
    assert response.url.startswith(reverse(lands_on, args=[parent]))
    page = client.get(response.url)
    assert page.status_code == 200
    assert any(DELETED in str(m) for m in page.context["messages"])
    assert not type(document).objects.filter(pk=document.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["draft", "draft_base"])
def test_saving_an_edit_form_of_a_document_deleted_meanwhile_shows_why_and_saves_nothing(
    which, client, monkeypatch, documents, operator, today
):
    document = documents(which)
    if which == "draft":
        url = reverse("extension_edit", args=[document.pk])
        service = "extension_save"
    else:
        url = reverse("subscription_edit", args=[document.pk])
        service = "subscription_save"
    client.force_login(operator)
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    data["action"] = "post"
    deleted_just_before(monkeypatch, services, service, document)

    response = client.post(url, data)

    assert response.status_code == 400
    assert DELETED in response.content.decode()
    assert not type(document).objects.filter(pk=document.pk).exists()


# --- The admin -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_an_admin_page_of_an_extension_deleted_meanwhile_returns_to_the_list(
    admin_client, monkeypatch, draft
):
    url = reverse("admin:subscriptions_extensionsubscription_change", args=[draft.pk])
    data = page_data(admin_client.get(url))
    data["status"] = Status.POSTED
    deleted_just_before(monkeypatch, subscriptions_admin, "extension_save", draft)

    response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(
        "admin:subscriptions_extensionsubscription_changelist"
    )
    assert any(DELETED in str(m) for m in response.context["messages"])
    # nothing was written (the simulated deletion ran inside the admin's
    # transaction, so its rollback brings the draft back — as a draft)
    assert not ExtensionSubscription.objects.filter(status=Status.POSTED).exists()


@pytest.mark.django_db
def test_the_admin_post_action_on_a_deleted_extension_reports_it_by_number(
    admin_client, monkeypatch, draft
):
    deleted_just_before(monkeypatch, subscriptions_admin, "extension_post", draft)

    response = admin_client.post(
        reverse("admin:subscriptions_extensionsubscription_changelist"),
        {"action": "post_selected", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith(f"№ {draft.number}: {DELETED}") for m in shown), shown
    assert not ExtensionSubscription.objects.filter(pk=draft.pk).exists()


# --- The race, on PostgreSQL ------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(8))
def test_posting_and_deleting_a_draft_at_once_never_brings_it_back(
    round_, base_twelve_months_from_the_first, session_tariff, operator, owner, today
):
    draft = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base_twelve_months_from_the_first,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=1,
        ),
        user=operator,
    )
    on_the_page = ExtensionSubscription.objects.get(pk=draft.pk)

    def post():
        services.extension_save(extension=on_the_page, user=operator, post=True)

    def delete():
        services.extension_delete(extension=draft, user=owner)

    if round_ % 2 == 0:
        posted, deleted = run_together(post, delete)
    else:
        deleted, posted = run_together(delete, post)
    outcomes = {"post": posted, "delete": deleted}

    assert not any(str(o).startswith("error") for o in outcomes.values()), outcomes
    exists = ExtensionSubscription.objects.filter(number=draft.number).exists()
    # exactly one of the two happened, and each user was told which
    if exists:
        assert outcomes == {"post": "done", "delete": "delete_posted"}, outcomes
        assert ExtensionSubscription.objects.get(pk=draft.pk).status == Status.POSTED
    else:
        assert outcomes == {"post": services.DOCUMENT_DELETED_CODE, "delete": "done"}, outcomes
