"""The peer the service owner would otherwise use: a stock ModelAdmin per big list.

Registered on a separate AdminSite that exists only for the benchmark (mounted
by `benchmarks/urls.py`), with Django's default options and the same
`list_display` and `list_per_page` as the project's admin, read from the
registered class: the same rows and cells on a page (like with like; the
stock default is 100 rows a page). A column that names a method of the
project's admin class keeps that method; everything else (no
`list_select_related`, exact counts, no custom paginator, no filters, no
search, no date hierarchy, Django's action checkbox) is Django's default.
"""

from django.contrib import admin

from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, Subscription

MODELS = (Subscription, ExtensionSubscription, Subscriber)

site = admin.AdminSite(name="bench_stock_admin")


def stock_admin_class(model, ours: admin.ModelAdmin) -> type[admin.ModelAdmin]:
    attrs = {"list_display": list(ours.list_display), "list_per_page": ours.list_per_page}
    for column in ours.list_display:
        if isinstance(column, str) and "__" not in column and hasattr(type(ours), column):
            if not hasattr(model, column) and column not in dir(admin.ModelAdmin):
                attrs[column] = getattr(type(ours), column)
    return type(f"Stock{model.__name__}Admin", (admin.ModelAdmin,), attrs)


for _model in MODELS:
    site.register(_model, stock_admin_class(_model, admin.site.get_model_admin(_model)))
