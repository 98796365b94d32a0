"""The price list's table: each row's own field of the one price-list form."""

from django import template

register = template.Library()


@register.filter
def price_field(form, period):
    """`form|price_field:period` — the bound field of the new price of `period`."""
    return form.price_field(period)
