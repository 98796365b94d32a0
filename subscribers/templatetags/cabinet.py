"""Formatting for the cabinet: dates as dd.mm.yyyy, money as «12 000 ₸»."""

import datetime

from django import template

from subscriptions.models import format_tenge

register = template.Library()


@register.filter
def ru_date(value):
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


@register.filter
def tenge(value):
    return format_tenge(value)
