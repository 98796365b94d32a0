"""A control is described by the messages next to it (cabinet/templatetags/controls.py).

Django points a control with errors at `<id>_error`; the cabinet's templates put
a field's errors in `<id>_errors`. Every reference must lead to an element on
the page, or a screen reader reads the field without its error.
"""

import re

from django.urls import reverse

from tests.cabinet.pages import text_of


def control(html: str, name: str) -> str:
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html)[0]


def described_by(tag: str) -> list[str]:
    found = re.search(r'aria-describedby="([^"]*)"', tag)
    return found[1].split() if found else []


def test_a_refused_field_is_described_by_its_error_on_the_page(logged_in, owner):
    response = logged_in(owner).post(reverse("api_tokens"), {"name": ""})

    html = text_of(response)
    assert described_by(control(html, "name")) == ["id_name_helptext", "id_name_errors"]
    assert 'id="id_name_helptext"' in html and 'id="id_name_errors"' in html


def test_a_field_without_errors_is_described_by_its_help_only(logged_in, owner):
    html = text_of(logged_in(owner).get(reverse("api_tokens")))

    assert described_by(control(html, "name")) == ["id_name_helptext"]


def test_the_document_forms_fields_point_at_their_errors_box_before_any_error(
    logged_in, operator, base_twelve_months, session_tariff
):
    """The extension form's script fills each field's errors box as the operator
    types: the box is on the page from the start, and so is the reference to it."""
    url = reverse("extension_create", args=[base_twelve_months.pk])
    html = text_of(logged_in(operator).get(url))

    for name in ("tariff", "period", "starts_on", "quantity"):
        ids = described_by(control(html, name))
        assert f"id_{name}_errors" in ids, (name, ids)
        for id_ in ids:
            assert f'id="{id_}"' in html, (name, id_)
