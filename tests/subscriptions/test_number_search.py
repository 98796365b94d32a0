"""A document number typed with a Latin T or P finds the document.

Numbers start with a Cyrillic «Т» (base) or «Р» (extension); on a Latin
keyboard the same keys give T and P, which look the same on screen. One
function (`selectors.normalize_document_numbers`) reads a typed number; the
cabinet's «Подписки обслуживаемых абонентов» and the admin's lists and
autocompletes search through it.
"""

import pytest
from django.urls import reverse

from subscriptions.selectors import document_number_q, normalize_document_numbers

LATIN = str.maketrans("ТР", "TP")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("T00000012", "Т00000012"),  # Latin T
        ("t00000012", "Т00000012"),
        ("т00000012", "Т00000012"),  # Cyrillic, lower case
        ("Т00000012", "Т00000012"),  # as stored
        ("P00000003", "Р00000003"),  # Latin P
        ("p3", "Р3"),  # the start of a number
        ("р00000003", "Р00000003"),
        ("ТОО Ромашка T00000012", "ТОО Ромашка Т00000012"),  # each word on its own
        ("Tech", "Tech"),  # not a number: as typed
        ("T", "T"),
        ("T123456789", "T123456789"),  # nine digits: no number has them
        ("AT00000012", "AT00000012"),  # inside a word
        ("T0000001x", "T0000001x"),
        ("770100000011", "770100000011"),  # a subscriber's code stays a code
    ],
)
def test_a_typed_number_is_read_as_numbers_are_stored(typed, read):
    assert normalize_document_numbers(typed) == read


@pytest.mark.parametrize("typed", ["Ромашка", "T", "770100000011", "T00000012 Ромашка", ""])
def test_only_a_whole_number_searches_by_number(typed):
    assert document_number_q(typed) is None


def test_a_complete_number_is_an_exact_match_and_a_shorter_one_a_prefix():
    assert document_number_q(" t00000012 ").children == [("number", "Т00000012")]
    assert document_number_q("P0000").children == [("number__startswith", "Р0000")]


# --- The cabinet: «Подписки обслуживаемых абонентов» ------------------------------------


def listed_numbers(client, q) -> list[str]:
    response = client.get(reverse("subscription_list"), {"q": q})
    assert response.status_code == 200
    return [row.number for row in response.context["rows"]]


def test_the_subscription_list_finds_a_number_typed_with_latin_letters(
    logged_in, viewer, base_twelve_months, sessions_extension, draft_infobases_extension
):
    client = logged_in(viewer)
    base, extension = base_twelve_months, sessions_extension
    assert base.number.startswith("Т") and extension.number.startswith("Р")

    assert listed_numbers(client, base.number.translate(LATIN)) == [base.number]
    assert listed_numbers(client, extension.number.translate(LATIN).lower()) == [extension.number]
    assert listed_numbers(client, base.number) == [base.number]


def test_the_subscription_list_still_finds_by_subscriber(
    logged_in, viewer, base_twelve_months, sessions_extension
):
    client = logged_in(viewer)

    found = listed_numbers(client, "ромашка")

    assert sorted(found) == sorted([base_twelve_months.number, sessions_extension.number])


def test_another_organizations_number_is_not_found(logged_in, other_operator, base_twelve_months):
    client = logged_in(other_operator)

    assert listed_numbers(client, base_twelve_months.number.translate(LATIN)) == []


# --- The admin ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["subscription", "extensionsubscription"])
def test_the_admin_list_finds_a_number_typed_with_latin_letters(
    client, admin_user, sessions_extension, model
):
    document = (
        sessions_extension if model == "extensionsubscription" else sessions_extension.subscription
    )
    client.force_login(admin_user)

    response = client.get(
        reverse(f"admin:subscriptions_{model}_changelist"), {"q": document.number.translate(LATIN)}
    )

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [document.pk]


def test_the_admin_autocomplete_of_a_base_finds_its_number_typed_with_latin_letters(
    client, admin_user, base_twelve_months
):
    client.force_login(admin_user)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "subscriptions",
            "model_name": "extensionsubscription",
            "field_name": "subscription",
            "term": base_twelve_months.number.translate(LATIN),
        },
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(base_twelve_months.pk)]
