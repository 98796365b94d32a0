"""Small helpers of the subscription document templates."""

from django import template

from subscriptions.periods import russian_plural

register = template.Library()


@register.filter
def plural(count, forms: str) -> str:
    """`{{ n|plural:"сеанс,сеанса,сеансов" }}` → «5 сеансов»."""
    one, few, many = (form.strip() for form in forms.split(","))
    return f"{count} {russian_plural(int(count), (one, few, many))}"


@register.filter
def verbose_name(document) -> str:
    """«Подписка на тариф» / «Подписка на расширение тарифа»."""
    name = str(document._meta.verbose_name)
    return name[:1].upper() + name[1:]
