"""Generated requests against every operation of the OpenAPI document: never a 5xx.

The document is loaded from the application itself (the WSGI app, in process,
when the module is collected: making it touches no database) and every request
goes through the same app, inside the test's transaction, with a valid key of
an organization that has data of every kind. One test per operation.

`schemathesis.pytest.from_fixture` would load it inside the test instead, but
schemathesis 4.32 reads `Function._nodeid`, which pytest 9 no longer has.
"""

import zlib
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.models import ApiToken

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())

BOUNDED = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def keep_test_connection():
    """Keep the test's connection (and its transaction) open across WSGI requests.

    A WSGI request closes stale connections when it starts and ends; inside a
    test's transaction that would drop the transaction. Django's test client
    does the same as this fixture.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api(db, organization, other_organization, populate, keep_test_connection):
    """A key of `organization`, its subscribers' ids and another organization's."""
    own = populate(3)
    foreign = populate(2, organization=other_organization)
    return SimpleNamespace(
        headers={
            "Authorization": f"Bearer {ApiToken.issue(organization=organization, name='st')[1]}"
        },
        own_ids=[subscriber.pk for subscriber in own],
        foreign_ids=[subscriber.pk for subscriber in foreign],
    )


@schema.parametrize()
@BOUNDED
def test_no_generated_request_is_a_server_error(case, api):
    case.call_and_validate(headers=api.headers, checks=[not_a_server_error])


@schema.include(path_regex=r"\{id\}").parametrize()
@BOUNDED
def test_generated_requests_about_real_subscribers(case, api):
    """The same, with the id pointing at a real subscriber: its own or another organization's."""
    ids = api.own_ids + api.foreign_ids
    subscriber_id = ids[zlib.crc32(str(case.path_parameters.get("id")).encode()) % len(ids)]
    case.path_parameters = {**case.path_parameters, "id": subscriber_id}

    response = case.call_and_validate(headers=api.headers, checks=[not_a_server_error])

    if subscriber_id in api.foreign_ids:
        assert response.status_code != 200, "another organization's subscriber was served"
