"""Formatting for the cabinet in the active language: dates as dd.mm.yyyy (ru, kk)
or «30 Nov 2026» (en), money as «12 000 ₸» (ru, kk) or «12,000 ₸» (en)."""

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from common.formatting import format_tenge

register = template.Library()


@register.filter
def ru_date(value):
    """A day, or a moment in the service's time zone, in the active language's short format.

    The name is historical: the format follows the language (SHORT_DATE_FORMAT
    and SHORT_DATETIME_FORMAT; Russian's are «d.m.Y» and «d.m.Y H:i»).
    """
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(value, "SHORT_DATETIME_FORMAT")
    return date_format(value, "SHORT_DATE_FORMAT")


@register.filter
def tenge(value):
    return format_tenge(value)
