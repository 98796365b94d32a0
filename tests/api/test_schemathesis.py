"""Generated requests against every operation of the OpenAPI document, under every check.

The same judge as `schemathesis run --checks all` with an owner's key: each
answer is no 5xx, has a documented status, content type, headers and body; a
request the document forbids is refused, one it allows is not; a request
without the key is a 401. Besides the requests made per operation, the
stateful test chains them as the CLI's stateful phase does (the list's ids
fed to the other operations, along the links schemathesis infers).

The document is loaded from the application itself (the WSGI app, in process,
when the module is collected: making it touches no database) and every request
goes through the same app, inside the test's transaction, with a valid key of
an organization that has data of every kind.

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
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode

from api.models import ApiToken

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
# Requests the document allows, whose id the test points at a real subscriber (a
# forbidden request would turn allowed when its malformed id is replaced).
allowed_requests = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
allowed_requests.config.generation.update(modes=[GenerationMode.POSITIVE])

# `--checks all`: every check schemathesis has, named here so that none is
# left to a default that a later version might narrow.
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())

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


def test_every_check_is_run():
    names = {check.__name__ for check in ALL_CHECKS}

    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "ignored_auth",
        "unsupported_method",
    } <= names


@schema.parametrize()
@BOUNDED
def test_every_generated_request_is_answered_as_documented(case, api):
    case.call_and_validate(headers=api.headers, checks=ALL_CHECKS)


@allowed_requests.include(path_regex=r"\{id\}").parametrize()
@BOUNDED
def test_generated_requests_about_real_subscribers(case, api):
    """The same, with the id pointing at a real subscriber: its own or another organization's."""
    ids = api.own_ids + api.foreign_ids
    subscriber_id = ids[zlib.crc32(str(case.path_parameters.get("id")).encode()) % len(ids)]
    case.path_parameters = {**case.path_parameters, "id": subscriber_id}

    response = case.call_and_validate(headers=api.headers, checks=ALL_CHECKS)

    if subscriber_id in api.foreign_ids:
        assert response.status_code != 200, "another organization's subscriber was served"


Workflow = schema.as_state_machine()


def test_generated_sequences_of_requests_are_answered_as_documented(api):
    class OwnersWorkflow(Workflow):
        def get_call_kwargs(self, case):
            return {"headers": api.headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=ALL_CHECKS,
                headers=api.headers,
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    OwnersWorkflow.run(
        settings=settings(
            BOUNDED, max_examples=15, stateful_step_count=4, database=None, derandomize=False
        )
    )
