"""Hostile input on every cabinet form and filter (Hypothesis).

Arbitrary strings (unicode, NUL bytes, very long, SQL-ish), numbers (huge,
negative, floats), dates (out of range, malformed) and ids (missing, the
other organization's, the other model's) go into the login, the subscriber
list, the subscriptions list, the document forms and the card buttons. After
every request (see conftest.assert_survived): never a 5xx, the other
organization untouched, a refusal wrote nothing, every rule still holds.
"""

import pytest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.models import Status

from .conftest import (
    anything,
    assert_rules_hold,
    assert_survived,
    client_for,
    dates,
    everything_snapshot,
    field,
    form_data,
    hostile,
    ids,
    numbers,
    rolled_back,
)

PASSWORD = "secret-pass-123"
ACTIONS = st.one_of(st.sampled_from(["post", "save", "close", ""]), anything())


def _request(client, method, url, body):
    return getattr(client, method)(url, body)


def _page(response) -> str:
    return response.content.decode(errors="replace")


# --- Вход ------------------------------------------------------------------------------


EVIL_NEXT = [
    "//evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    " //evil.example",
    "/%2F%2Fevil.example",
    "/subscribers/",
]


@hostile
@given(
    url_name=st.sampled_from(["login", "admin:login"]),
    username=st.one_of(st.sampled_from(["owner", "viewer", "other-owner", "admin"]), anything()),
    password=st.one_of(st.just(PASSWORD), anything()),
    next_url=st.one_of(st.none(), st.sampled_from(EVIL_NEXT), anything()),
    attempts=st.integers(min_value=1, max_value=6),
    address=st.sampled_from(["198.51.100.7", "2001:db8::1"]),
    forwarded=st.one_of(st.none(), anything()),
)
def test_login_survives_anything(
    world,
    admin_user,
    settings,
    url_name,
    username,
    password,
    next_url,
    attempts,
    address,
    forwarded,
):
    settings.AXES_ENABLED = True
    body = {"username": username, "password": password}
    if next_url is not None:
        body["next"] = next_url
    headers = {"REMOTE_ADDR": address}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    with rolled_back():
        before = everything_snapshot(world)
        client = client_for(None)
        for _ in range(attempts):
            response = client.post(reverse(url_name), body, **headers)
            assert response.status_code in (200, 302, 429), response.status_code
            if response.status_code == 302:
                location = response["Location"]
                # only ever to a page of this site (the admin's login also keeps a
                # relative «next» such as «0», which stays on this site)
                assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})
                assert not location.startswith(("//", "/\\"))
        assert everything_snapshot(world) == before


# --- Обслуживаемые абоненты ------------------------------------------------------------


@hostile
@given(
    params=form_data(
        {
            "q": field(st.sampled_from(["", "Абонент", "тоо", "0001", "Ромашка"])),
            "sort": field(
                st.sampled_from(
                    ["name", "-name", "code", "-bin_iin", "city", "-sessions", "infobases"]
                )
            ),
            "page": field(st.sampled_from(["1", "2", "last", "0", "-1"])),
        }
    )
)
def test_subscriber_list_survives_any_search_sort_and_page(world, params):
    client = client_for(world.ours.owner)
    with rolled_back():
        before = everything_snapshot(world)

        response = client.get(reverse("subscriber_list"), params)

        assert response.status_code in (200, 400)
        assert world.theirs.subscriber.code not in _page(response) or any(
            world.theirs.subscriber.code in str(v) for v in params.values()
        )
        assert everything_snapshot(world) == before


# --- Подписки обслуживаемых абонентов ----------------------------------------------------


@hostile
@given(data=st.data())
def test_subscription_list_survives_any_filter(world, data):
    tariff_ids = world.tariff_ids()
    params = data.draw(
        form_data(
            {
                "q": field(st.sampled_from(["", "Абонент", "Т0000", "Р0000"])),
                "kind": field(st.sampled_from(["", "base", "extension"])),
                "tariff": field(ids(tariff_ids).map(str)),
                "status": field(st.sampled_from(["", *Status.values])),
                "active_on": field(dates(world)),
                "ends_within": field(st.one_of(st.integers(-5, 4000).map(str), numbers())),
                "page": field(st.sampled_from(["1", "2", "last", "0", "-1"])),
            }
        )
    )
    client = client_for(world.ours.owner)
    with rolled_back():
        before = everything_snapshot(world)

        response = client.get(reverse("subscription_list"), params)

        assert response.status_code in (200, 400)
        page = _page(response)
        for document in (world.theirs.base, world.theirs.extension):
            assert document.number not in page
        assert everything_snapshot(world) == before


# --- The document forms --------------------------------------------------------------------


def _document_ids(world, *preferred):
    """Mostly the objects the form is for; any id of either side or none otherwise."""
    return st.one_of(st.sampled_from([obj.pk for obj in preferred]), ids(world.document_ids()))


def _form_fields(world, *, quantity=False):
    fields = {
        "tariff": field(ids(world.tariff_ids()).map(str)),
        "period": field(ids(world.period_ids()).map(str)),
        "starts_on": field(dates(world)),
        "request_token": st.one_of(st.uuids().map(str), anything()),
        "action": ACTIONS,
    }
    if quantity:
        fields["quantity"] = field(
            st.one_of(st.integers(min_value=-2, max_value=12).map(str), numbers())
        )
    return fields


def _run_form(world, data, url_name, targets, fields):
    pk = data.draw(_document_ids(world, *targets), label="pk")
    method = data.draw(st.sampled_from(["post", "post", "post", "get"]), label="method")
    body = data.draw(form_data(fields), label="body")
    client = client_for(world.ours.owner)
    with rolled_back():
        before = everything_snapshot(world)
        response = _request(client, method, reverse(url_name, args=[pk]), body)
        assert_survived(response, world, before)


@hostile
@given(data=st.data())
def test_subscription_create_survives_anything(world, data):
    ours, theirs = world.ours, world.theirs
    _run_form(
        world,
        data,
        "subscription_create",
        [ours.subscriber, theirs.subscriber],
        _form_fields(world),
    )


@hostile
@given(data=st.data())
def test_subscription_edit_survives_anything(world, data):
    ours, theirs = world.ours, world.theirs
    _run_form(
        world,
        data,
        "subscription_edit",
        [ours.base, ours.draft_base, theirs.base],
        _form_fields(world),
    )


@hostile
@given(data=st.data())
def test_extension_create_survives_anything(world, data):
    ours, theirs = world.ours, world.theirs
    _run_form(
        world,
        data,
        "extension_create",
        [ours.base, ours.draft_base, theirs.base],
        _form_fields(world, quantity=True),
    )


@hostile
@given(data=st.data())
def test_extension_edit_survives_anything(world, data):
    ours, theirs = world.ours, world.theirs
    _run_form(
        world,
        data,
        "extension_edit",
        [ours.draft_extension, ours.extension, theirs.draft_extension],
        _form_fields(world, quantity=True),
    )


@hostile
@given(
    url_name=st.sampled_from(["extension_create", "extension_edit", "subscription_create"]),
    starts_on=st.one_of(dates(), anything()),
)
def test_a_start_in_the_query_string_never_breaks_a_form(world, url_name, starts_on):
    target = {
        "extension_create": world.ours.base,
        "extension_edit": world.ours.draft_extension,
        "subscription_create": world.ours.subscriber,
    }[url_name]
    client = client_for(world.ours.owner)

    response = client.get(reverse(url_name, args=[target.pk]), {"starts_on": starts_on})

    assert response.status_code == 200


def test_a_start_past_the_business_range_is_refused_next_to_its_field(world):
    client = client_for(world.ours.owner)
    period = world.session_tariff.periods.get(count=12)
    before = everything_snapshot(world)

    response = client.post(
        reverse("extension_create", args=[world.ours.base.pk]),
        {
            "tariff": world.session_tariff.pk,
            "period": period.pk,
            "starts_on": "9999-12-31",
            "quantity": "1",
            "action": "post",
        },
    )

    assert response.status_code == 400
    # R18: the service's business range ends on 31.12.2099 (the calendar's end is no rule)
    errors = " ".join(response.context["form"].errors["starts_on"])
    assert "рабочего диапазона" in errors and "31.12.2099" in errors
    assert everything_snapshot(world) == before


# --- The card buttons: post, un-post, delete ---------------------------------------------

CARD_ACTIONS = [
    "subscription_post",
    "subscription_unpost",
    "subscription_delete",
    "extension_post",
    "extension_unpost",
    "extension_delete",
]


@pytest.mark.parametrize("url_name", CARD_ACTIONS)
@hostile
@given(data=st.data())
def test_card_buttons_survive_any_id_and_body(world, url_name, data):
    ours, theirs = world.ours, world.theirs
    if url_name.startswith("subscription"):
        targets = [ours.base, ours.draft_base, theirs.base, theirs.draft_base]
    else:
        targets = [ours.extension, ours.draft_extension, theirs.extension]
    pk = data.draw(_document_ids(world, *targets), label="pk")
    method = data.draw(st.sampled_from(["post", "post", "get"]), label="method")
    body = data.draw(
        form_data({"confirm": field(st.sampled_from(["yes", "no", "YES", ""]))}), label="body"
    )
    client = client_for(ours.owner)
    with rolled_back():
        before = everything_snapshot(world)
        response = _request(client, method, reverse(url_name, args=[pk]), body)
        assert_survived(response, world, before)


# --- A sequence of any of them -----------------------------------------------------------


@hostile
@given(data=st.data())
def test_any_sequence_of_cabinet_requests_keeps_every_rule(world, data):
    """Up to six requests in a row: states no single request reaches (an un-posted
    base under a posted extension, a deleted draft then reposted…)."""
    ours, theirs = world.ours, world.theirs
    steps = {
        "subscription_create": ([ours.subscriber], _form_fields(world)),
        "subscription_edit": ([ours.base, ours.draft_base], _form_fields(world)),
        "extension_create": ([ours.base, ours.draft_base], _form_fields(world, quantity=True)),
        "extension_edit": ([ours.draft_extension], _form_fields(world, quantity=True)),
        **{
            name: (
                [ours.base, ours.draft_base, theirs.base]
                if name.startswith("subscription")
                else [ours.extension, ours.draft_extension],
                {"confirm": st.just("yes")},
            )
            for name in CARD_ACTIONS
        },
    }
    client = client_for(ours.owner)
    count = data.draw(st.integers(min_value=2, max_value=6), label="steps")
    with rolled_back():
        for _ in range(count):
            url_name = data.draw(st.sampled_from(sorted(steps)), label="step")
            targets, fields = steps[url_name]
            pk = data.draw(_document_ids(world, *targets), label="pk")
            body = data.draw(form_data(fields), label="body")
            before = everything_snapshot(world)
            response = client.post(reverse(url_name, args=[pk]), body)
            assert_survived(response, world, before)
        assert_rules_hold()
