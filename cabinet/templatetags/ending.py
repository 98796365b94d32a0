"""What the cards show of R14: the first day a document no longer acts, a replacement's term."""

import datetime

from django import template

register = template.Library()


@register.filter
def day_after(value):
    """The day after `value` (a date); «» for anything else."""
    if isinstance(value, datetime.date):
        return value + datetime.timedelta(days=1)
    return ""


@register.filter
def term_label(document) -> str:
    """«Период действия» of a document as its card and table show it: its `period_label`,
    the one wording of every page, download and the API (a replacement's span too)."""
    return document.period_label
