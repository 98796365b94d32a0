"""Hostile input on the service owner's admin (Hypothesis).

The admin acts across all partners, so "another organization untouched" means
here: nothing but what was asked for changes. «Провести» / «Отменить
проведение» with arbitrary `_selected_action` ids change only the selected
documents; the add forms only add; never a 5xx, and every rule still holds.
"""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.models import ExtensionSubscription, Status, Subscription

from .conftest import (
    anything,
    assert_rules_hold,
    client_for,
    dates,
    field,
    form_data,
    hostile,
    ids,
    numbers,
    rolled_back,
)

MODELS = {
    "subscription": Subscription,
    "extensionsubscription": ExtensionSubscription,
}


@pytest.fixture
def admin(admin_user):
    return client_for(admin_user)


def _rows(model) -> dict:
    return {row["id"]: row for row in model.objects.order_by("pk").values()}


def _as_pk(value) -> int | None:
    """The pk a selected value names, read as Django reads it (int())."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize("action", ["post_selected", "unpost_selected"])
@pytest.mark.parametrize("model_name", sorted(MODELS))
@hostile
@given(data=st.data())
def test_admin_actions_change_only_the_selected_documents(world, admin, model_name, action, data):
    model = MODELS[model_name]
    selected = data.draw(
        st.lists(st.one_of(ids(world.document_ids()).map(str), anything()), min_size=1, max_size=6),
        label="_selected_action",
    )
    body = {
        "action": data.draw(st.one_of(st.just(action), anything()), label="action"),
        "_selected_action": selected,
        "index": data.draw(st.one_of(st.just("0"), anything()), label="index"),
    }
    select_across = data.draw(st.one_of(st.none(), st.sampled_from(["0", "1"]), anything()))
    if select_across is not None:
        body["select_across"] = select_across
    url = reverse(f"admin:subscriptions_{model_name}_changelist")
    with rolled_back():
        before = {m: _rows(m) for m in MODELS.values()}

        response = admin.post(url, body)

        assert response.status_code < 500, response.status_code
        after = {m: _rows(m) for m in MODELS.values()}
        assert after[model].keys() == before[model].keys(), "an action added or removed rows"
        other = next(m for m in MODELS.values() if m is not model)
        assert after[other] == before[other], "the other model's documents changed"
        if select_across in (None, "0", ""):
            picked = {_as_pk(value) for value in selected}
            changed = {pk for pk in before[model] if before[model][pk] != after[model][pk]}
            assert changed <= picked, f"documents {changed - picked} changed, not selected"
        assert_rules_hold()


def _changes_only_add(before: dict, after: dict) -> None:
    for model, rows in before.items():
        for pk, row in rows.items():
            assert after[model].get(pk) == row, f"{model.__name__} {pk} changed on an add"


@hostile
@given(data=st.data())
def test_admin_add_extension_survives_anything(world, admin, data):
    ours, theirs = world.ours, world.theirs
    bases = [ours.base.pk, ours.draft_base.pk, theirs.base.pk]
    body = data.draw(
        form_data(
            {
                "subscription": field(st.one_of(st.sampled_from(bases), ids(bases)).map(str)),
                "tariff": field(ids(world.tariff_ids()).map(str)),
                "period": field(ids(world.period_ids()).map(str)),
                "starts_on": field(dates(world)),
                "quantity": field(
                    st.one_of(st.integers(min_value=-2, max_value=12).map(str), numbers())
                ),
                "status": field(st.sampled_from(Status.values)),
                "_save": st.just("Сохранить"),
            }
        )
    )
    with rolled_back():
        before = {m: _rows(m) for m in MODELS.values()}

        response = admin.post(reverse("admin:subscriptions_extensionsubscription_add"), body)

        assert response.status_code < 500, response.status_code
        _changes_only_add(before, {m: _rows(m) for m in MODELS.values()})
        assert_rules_hold()


@hostile
@given(data=st.data())
def test_admin_add_subscription_survives_anything(world, admin, data):
    subscribers = [world.ours.subscriber.pk, world.theirs.subscriber.pk]
    bases = [world.ours.base.pk, world.theirs.base.pk]
    body = data.draw(
        form_data(
            {
                "subscriber": field(ids(subscribers).map(str)),
                "tariff": field(ids(world.tariff_ids()).map(str)),
                "period": field(ids(world.period_ids()).map(str)),
                "starts_on": field(dates(world)),
                "renews": field(st.one_of(st.just(""), ids(bases).map(str))),
                "status": field(st.sampled_from(Status.values)),
                # Not "1000000": Django would build its absolute_max (2000) rows, a
                # slow page for the staff member who asked, nothing else.
                "extensions-TOTAL_FORMS": st.sampled_from(["0", "1", "2", "-1", "x"]),
                "extensions-INITIAL_FORMS": st.sampled_from(["0", "1", "x"]),
                "extensions-0-tariff": anything(),
                "extensions-0-period": anything(),
                "extensions-0-starts_on": dates(world),
                "extensions-0-quantity": numbers(),
                "_save": st.just("Сохранить"),
            }
        )
    )
    with rolled_back():
        before = {m: _rows(m) for m in MODELS.values()}

        response = admin.post(reverse("admin:subscriptions_subscription_add"), body)

        assert response.status_code < 500, response.status_code
        _changes_only_add(before, {m: _rows(m) for m in MODELS.values()})
        assert_rules_hold()


@hostile
@given(data=st.data())
def test_admin_change_of_a_base_with_its_extension_rows_keeps_every_rule(world, admin, data):
    """The base's change page: its fields and its inline extension rows, all hostile."""
    base = data.draw(st.sampled_from([world.ours.base, world.ours.draft_base]), label="base")
    extensions = list(base.extensions.order_by("pk"))
    rows = {}
    for index, extension in enumerate(extensions):
        rows[f"extensions-{index}-id"] = st.just(str(extension.pk))
        rows[f"extensions-{index}-subscription"] = st.just(str(base.pk))
        rows[f"extensions-{index}-status"] = field(st.sampled_from(Status.values))
        rows[f"extensions-{index}-quantity"] = field(st.integers(0, 12).map(str))
        rows[f"extensions-{index}-DELETE"] = st.sampled_from(["", "on"])
    new = len(extensions)
    body = data.draw(
        form_data(
            {
                "subscriber": st.just(str(base.subscriber_id)),
                "tariff": st.just(str(base.tariff_id)),
                "period": field(ids(world.period_ids()).map(str)),
                "starts_on": field(dates(world)),
                "status": field(st.sampled_from(Status.values)),
                "extensions-TOTAL_FORMS": st.sampled_from([str(new), str(new + 1), "x"]),
                "extensions-INITIAL_FORMS": st.just(str(new)),
                **rows,
                f"extensions-{new}-tariff": field(ids(world.tariff_ids()).map(str)),
                f"extensions-{new}-period": field(ids(world.period_ids()).map(str)),
                f"extensions-{new}-starts_on": field(dates(world)),
                f"extensions-{new}-quantity": field(st.integers(-1, 12).map(str)),
                f"extensions-{new}-status": field(st.sampled_from(Status.values)),
                "_save": st.just("Сохранить"),
            }
        ),
        label="body",
    )
    url = reverse("admin:subscriptions_subscription_change", args=[base.pk])
    with rolled_back():
        others = {
            m: {pk: row for pk, row in _rows(m).items() if _belongs_elsewhere(m, row, base)}
            for m in MODELS.values()
        }

        response = admin.post(url, body)

        assert response.status_code < 500, response.status_code
        for model, rows_before in others.items():
            now = _rows(model)
            for pk, row in rows_before.items():
                assert now.get(pk) == row, f"{model.__name__} {pk} of another base changed"
        assert_rules_hold()


def _belongs_elsewhere(model, row, base) -> bool:
    if model is Subscription:
        return row["id"] != base.pk
    return row["subscription_id"] != base.pk


# --- Every admin with actions: tampered ids select nothing -------------------------------

TAMPERED_IDS = ["", "abc", "1.5", "0.0", "1e3", "\x00", "9" * 30, "-" * 3, "1; DROP TABLE x"]


# The project's own admins. Django's (auth) and django-axes' admins have the
# same Django behaviour and are left as they come.
PROJECT_APPS = {"subscribers", "subscriptions", "api"}


def _admins_with_actions():
    from django.contrib import admin as django_admin

    for model in sorted(django_admin.site._registry, key=lambda model: model._meta.label):
        label = model._meta.label
        if model._meta.app_label not in PROJECT_APPS:
            continue
        yield pytest.param(model, id=label)


@pytest.mark.parametrize("model", list(_admins_with_actions()))
def test_every_admin_action_survives_tampered_ids(world, admin, admin_user, model):
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    model_admin = django_admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = admin_user
    actions = list(model_admin.get_actions(request))
    if not actions:
        pytest.skip("no actions for the superuser")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    rows = list(model.objects.order_by("pk").values())

    for action in actions:
        response = admin.post(
            url, {"action": action, "_selected_action": TAMPERED_IDS, "index": "0"}
        )

        assert response.status_code < 500, (action, response.status_code)
        assert list(model.objects.order_by("pk").values()) == rows, action
