"""Links for the cabinet's tables: page and sort links that keep the other GET parameters."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _query(request, **changes) -> str:
    params = request.GET.copy()
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (an empty value drops one).

    ``<a href="{% query_with page=3 %}">`` keeps the search, filters and sort.
    """
    return _query(context["request"], **changes)


@register.simple_tag(takes_context=True)
def sort_header(context, key, label, css_class=""):
    """A sortable column header: a link that sorts by `key`, then toggles the direction.

    The current sort comes from the context variable `sort` (``"name"`` or
    ``"-name"``); sorting goes back to the first page.
    """
    current = context.get("sort", "")
    if current == key:
        state, target, arrow = "ascending", f"-{key}", "▲"
        hint = _("отсортировано по возрастанию; нажмите, чтобы по убыванию")
    elif current == f"-{key}":
        state, target, arrow = "descending", key, "▼"
        hint = _("отсортировано по убыванию; нажмите, чтобы по возрастанию")
    else:
        state, target, arrow = "none", key, ""
        hint = _("нажмите, чтобы отсортировать")
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="sort-link" href="{}" title="{}">'
        '{}<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        css_class,
        state,
        _query(context["request"], sort=target, page=None),
        hint,
        label,
        arrow,
    )


@register.simple_tag
def page_numbers(page_obj):
    """Page numbers around the current page, with «…» for the gaps."""
    return list(
        page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
    )
