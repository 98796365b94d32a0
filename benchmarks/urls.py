"""The project's URLs plus the stock admin site at bench-stock-admin/ (benchmark only)."""

from django.urls import include, path

from fresh_cabinet import urls as project_urls

from .stock_admin import site as stock_site

urlpatterns = [
    path("bench-stock-admin/", stock_site.urls),
    path("", include(project_urls)),
]

# The project's error pages, as under its own URLconf.
for _code in (400, 403, 404, 500):
    _handler = getattr(project_urls, f"handler{_code}", None)
    if _handler is not None:
        globals()[f"handler{_code}"] = _handler
