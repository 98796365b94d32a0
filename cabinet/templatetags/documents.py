"""Small helpers of the subscription document templates."""

from django import template
from django.utils.translation import npgettext

from common.formatting import plural_word, russian_plural

register = template.Library()


@register.filter
def plural(count, forms: str) -> str:
    """`{{ n|plural:"сеанс,сеанса,сеансов" }}` → «5 сеансов»."""
    one, few, many = (form.strip() for form in forms.split(","))
    return f"{count} {russian_plural(int(count), (one, few, many))}"


@register.filter
def sessions_count(count) -> str:
    """«5 сеансов» in the active language."""
    count = int(count)
    word = plural_word(
        count, ("сеанс", "сеанса", "сеансов"), npgettext("count", "сеанс", "сеансов", count)
    )
    return f"{count} {word}"


@register.filter
def infobases_count(count) -> str:
    """«2 информационные базы» in the active language."""
    count = int(count)
    word = plural_word(
        count,
        ("информационная база", "информационные базы", "информационных баз"),
        npgettext("count", "информационная база", "информационных баз", count),
    )
    return f"{count} {word}"


@register.filter
def verbose_name(document) -> str:
    """«Подписка на тариф» / «Подписка на расширение тарифа»."""
    name = str(document._meta.verbose_name)
    return name[:1].upper() + name[1:]
