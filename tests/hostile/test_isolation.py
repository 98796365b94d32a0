"""Every cabinet URL × GET/POST × who is asking: scoping and roles.

The table is read from cabinet/urls.py, so a URL
added later is checked without anyone remembering to list it. For each URL:

- another organization's owner naming our object: 404 on GET and POST (and,
  to show the 404 is the scoping, not a broken URL, its own object is found);
- another organization's owner on a page without an object: never our data;
- a read-only user («Пользователь»): every POST is a 403 and writes nothing;
  a GET is a page, a 403 (write forms) or a 405 (post-only actions);
- a user without an organization: 404; an anonymous visitor: sent to «Вход».

Nothing is ever written by any of these requests.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, reverse

import cabinet.urls

from .conftest import client_for, everything_snapshot

# Not cabinet pages: the login and logout of django.contrib.auth.
NOT_CABINET = {"login", "logout"}

# What the <int:pk> of a route names, by the route's first segment.
OBJECT_KINDS = {
    "subscribers": "subscriber",
    "subscriptions": "base",
    "extensions": "extension",
    "api-tokens": "api_token",
    "jobs": "job",
    "renewal": "bulk_batch",
}


def _kind(pattern: URLPattern) -> str | None:
    route = str(pattern.pattern)
    if "<" not in route:
        return None
    assert route.count("<") == 1 and "<int:pk>" in route, f"classify the URL {route!r}"
    first = route.split("/", 1)[0]
    assert first in OBJECT_KINDS, f"what object does {route!r} name?"
    return OBJECT_KINDS[first]


CABINET_URLS = sorted(
    (pattern.name, _kind(pattern))
    for pattern in cabinet.urls.urlpatterns
    if pattern.name not in NOT_CABINET
)


def test_the_table_covers_the_cabinet(world):
    names = {name for name, _ in CABINET_URLS}
    # the screens of DESIGN.md's flow, at least
    assert {
        "home",
        "subscriber_list",
        "subscriber_detail",
        "subscriber_subscriptions",
        "subscription_create",
        "subscription_detail",
        "subscription_edit",
        "subscription_post",
        "subscription_unpost",
        "subscription_delete",
        "extension_create",
        "extension_detail",
        "extension_edit",
        "extension_post",
        "extension_unpost",
        "extension_delete",
        "subscription_list",
    } <= names


def _target(side, kind):
    return {
        "subscriber": side.subscriber,
        "base": side.base,
        "extension": side.draft_extension,
        "api_token": side.api_token,
        "job": side.job,
        "bulk_batch": side.bulk_batch,
    }[kind]


def _url(name, kind, side):
    return reverse(name, args=[_target(side, kind).pk]) if kind else reverse(name)


# A POST as a form would send it: enough for any of the cabinet's forms.
BODY = {
    "confirm": "yes",
    "action": "post",
    "starts_on": "2030-01-01",
    "quantity": "1",
    "q": "",
}


def _our_marks(world) -> list[str]:
    """Strings that only our organization's pages would show."""
    ours = world.ours
    return [
        ours.subscriber.code,
        ours.subscriber.bin_iin,
        ours.base.number,
        ours.draft_base.number,
        ours.extension.number,
        ours.draft_extension.number,
    ]


@pytest.mark.parametrize(("name", "kind"), CABINET_URLS)
def test_scoping_and_roles_on_every_cabinet_url(world, name, kind):
    before = everything_snapshot(world)
    url = _url(name, kind, world.ours)
    stranger = get_user_model().objects.create_user("stranger", password="secret-pass-123")
    other_owner = client_for(world.theirs.owner)
    viewer = client_for(world.viewer)
    problems = []

    def expect(actor, method, response, allowed):
        if response.status_code not in allowed:
            problems.append(f"{actor} {method.upper()} {url}: {response.status_code}")

    for method in ("get", "post"):
        body = BODY if method == "post" else {}

        response = getattr(other_owner, method)(url, body)
        if kind is not None:
            expect("other organization's owner", method, response, {404})
        else:
            # 400: a form refused (the POST here is no valid form of the page)
            expect("other organization's owner", method, response, {200, 302, 400, 405})
            if response.get("Content-Type", "").startswith("text/html"):
                page = response.content.decode()
                leaked = [mark for mark in _our_marks(world) if mark in page]
                if leaked:
                    problems.append(f"other organization's owner sees {leaked} at {url}")

        response = getattr(viewer, method)(url, body)
        if method == "post":
            expect("viewer", method, response, {403})
        else:
            expect("viewer", method, response, {200, 403, 405})

        response = getattr(client_for(stranger), method)(url, body)
        expect("user without an organization", method, response, {404})

        response = getattr(Client(raise_request_exception=False), method)(url, body)
        expect("anonymous", method, response, {302})
        if response.status_code == 302 and not response["Location"].startswith(reverse("login")):
            problems.append(f"anonymous {method.upper()} {url} goes to {response['Location']}")

    if kind is not None:
        # The other owner's own object at the same URL is found: the 404 above is the scoping.
        own = other_owner.get(_url(name, kind, world.theirs))
        if own.status_code == 404:
            problems.append(f"other organization's owner cannot GET its own {url}")

    assert not problems, "\n".join(problems)
    assert everything_snapshot(world) == before, "a refused or read-only request wrote something"
