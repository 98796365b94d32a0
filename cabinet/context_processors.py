from subscribers.access import membership_of

# Which item of the layout's navigation a page belongs to, by URL name; pages
# not named here (a subscriber, its subscriptions, a document) are reached
# from «Обслуживаемые абоненты».
_NAV_SECTIONS = {
    "home": "home",
    "subscription_list": "subscriptions",
    # «Продление за месяц» is reached from the subscription list (and «Личный кабинет»).
    "bulk_renewal": "subscriptions",
    "bulk_renewal_batch": "subscriptions",
    "report_extensions_by_month": "reports",
    "api_tokens": "api",
    # «Прайс-лист» and «Реквизиты» open from «Личный кабинет».
    "requisites": "home",
    "price_list": "home",
    # A job's pages («Мои файлы») belong to no section of the navigation.
    "job_list": "",
    "job_detail": "",
    "job_download": "",
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
