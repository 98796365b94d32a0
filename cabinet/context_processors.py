from subscribers.access import membership_of

# Which item of the layout's navigation a page belongs to, by URL name; pages
# not named here (a subscriber, its subscriptions, a document) are reached
# from «Обслуживаемые абоненты».
_NAV_SECTIONS = {
    "home": "home",
    "subscription_list": "subscriptions",
    "report_extensions_by_month": "reports",
    "api_tokens": "api",
}


def cabinet(request):
    """The current user's membership, for the layout (organization name, role)."""
    user = getattr(request, "user", None)
    membership = membership_of(user) if user is not None and user.is_authenticated else None
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None else None
    return {
        "membership": membership,
        "can_write": bool(membership and membership.can_write),
        "nav_section": _NAV_SECTIONS.get(url_name, "subscribers"),
    }
