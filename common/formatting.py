"""Formatting shared by the domain's messages, the cabinet and the admin: money,
days and plurals in the active language. No rules and no queries here."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language


def fmt(day: datetime.date) -> str:
    """A day in the active language's short format: «30.11.2026» (ru, kk), «30 Nov 2026» (en)."""
    return date_format(day, "SHORT_DATE_FORMAT")


def format_tenge(amount) -> str:
    """«12 000 ₸» in Russian and Kazakh, «12,000 ₸» in English; no kopecks when whole.

    Grouping and the decimal separator are the active language's formats
    (Django's for ru and en, formats/kk for Kazakh).
    """
    if amount is None:
        return "—"
    amount = Decimal(amount)
    places = 0 if amount == amount.to_integral_value() else 2
    text = number_format(amount, decimal_pos=places, force_grouping=True)
    return f"{text}\u00a0₸"


def russian_plural(count: int, forms: tuple[str, str, str]) -> str:
    n = abs(count) % 100
    if 11 <= n <= 14:
        return forms[2]
    n %= 10
    if n == 1:
        return forms[0]
    if 2 <= n <= 4:
        return forms[1]
    return forms[2]


def plural_word(count: int, russian_forms: tuple[str, str, str], translated: str) -> str:
    """The word for `count` things: Russian's three forms in Russian (the source
    language, which has no catalogue), else `translated` — the ngettext of the
    active language, whose msgid and msgid_plural are Russian's one and many forms."""
    language = get_language() or settings.LANGUAGE_CODE
    if language.split("-")[0] == "ru":
        return russian_plural(count, russian_forms)
    return translated
