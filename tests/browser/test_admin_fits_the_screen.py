"""The service owner's admin fits a 1366 px laptop screen (static/admin_overrides.css).

Before, the extensions' table made a base subscription's page 1,661 px wide,
and the lists of documents hid their last columns behind a scroll bar.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

SCREEN = 1366

# How wide the page is, and the widest list or inline table against the box it sits in.
MEASURE = """() => {
  const overflow = [];
  for (const table of document.querySelectorAll('#result_list, .inline-group table')) {
    const box = table.closest('.results, fieldset.module');
    const extra = Math.round(
      table.getBoundingClientRect().width - box.getBoundingClientRect().width);
    if (extra > 0) overflow.push((table.id || 'inline') + ' +' + extra + 'px');
  }
  return {page: document.documentElement.scrollWidth, overflow};
}"""


NOT_CLIPPED = """select => {
  const free = select.cloneNode(true);
  free.style.maxWidth = 'none';
  free.style.width = 'auto';
  document.body.appendChild(free);
  const natural = free.getBoundingClientRect().width;
  free.remove();
  return select.getBoundingClientRect().width >= natural - 1;
}"""


def _log_in(page, admin_user):
    page.goto(page.live_server_url + reverse("admin:login"))
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "secret-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def _pages(admin_user, *documents):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        if model_admin.has_add_permission(request):
            yield reverse(f"{prefix}_add")
    for document in documents:
        opts = document._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[document.pk])


def test_every_admin_page_fits_a_laptop_screen(
    page, admin_user, base_with_extensions, organization, screenshot
):
    # Given a base subscription with three extensions (the widest page) and the lists.
    base = base_with_extensions(3)
    extension = base.extensions.order_by("pk").first()
    _log_in(page, admin_user)

    # When each list, add and change page opens at 1366 px,
    too_wide = {}
    for path in _pages(admin_user, base, extension, base.tariff, base.subscriber, organization):
        response = page.goto(page.live_server_url + path)
        assert response.status == 200, path
        measured = page.evaluate(MEASURE)
        if measured["page"] > SCREEN or measured["overflow"]:
            too_wide[path] = measured

    # Then none is wider than the screen, and no table scrolls sideways inside it.
    assert too_wide == {}

    page.goto(
        page.live_server_url + reverse("admin:subscriptions_subscription_change", args=[base.pk])
    )
    screenshot(page, "base-with-extensions")
    rows = page.locator(".inline-group tr.has_original")
    assert rows.count() == 3
    # The selects of a row are as wide as their longest choice: nothing is cut off.
    for select in rows.first.locator("select").all():
        assert select.evaluate(NOT_CLIPPED), select.get_attribute("name")
