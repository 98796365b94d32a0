"""The embedded database matches Cyrillic case-insensitively, like PostgreSQL."""

import pytest

from subscribers.models import Subscriber
from subscribers.sqlite import unicode_like
from tests import factories


@pytest.mark.parametrize(
    "pattern, value, escape, matches",
    [
        ("%ромашка%", 'ТОО "Ромашка"', "\\", True),
        ("%РОМАШКА%", 'ТОО "ромашка"', "\\", True),
        ("тоо%", 'ТОО "Ромашка"', "\\", True),
        ("%ё%", "Ёлка", "\\", True),
        ("_оо", "Тоо", None, True),
        ("%100\\%%", "скидка 100%", "\\", True),
        ("%100\\%%", "скидка 1000", "\\", False),
        ("%a\\_b%", "a_b", "\\", True),
        ("%a\\_b%", "axb", "\\", False),
        ("%лотос%", 'ТОО "Ромашка"', "\\", False),
    ],
)
def test_unicode_like_keeps_sqlite_wildcards_and_folds_case(pattern, value, escape, matches):
    assert unicode_like(pattern, value, escape) is matches


def test_unicode_like_is_null_for_null():
    assert unicode_like("%a%", None) is None


def test_icontains_finds_cyrillic_in_any_case_on_every_database(organization):
    factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"')
    factories.SubscriberFactory(organization=organization, name="ИП 100% Сервис")

    assert Subscriber.objects.filter(name__icontains="ромашка").count() == 1
    assert Subscriber.objects.filter(name__icontains="РОМАШКА").count() == 1
    assert Subscriber.objects.filter(name__icontains="100%").count() == 1
    assert Subscriber.objects.filter(name__icontains="%").count() == 1
    assert Subscriber.objects.filter(name__icontains="_").count() == 0
