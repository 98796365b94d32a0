"""«Подписки обслуживаемых абонентов»: every base and extension subscription of
the organization's subscribers in one table, filtered and paged."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from subscribers.access import cabinet_view

from .filters import SubscriptionFilterForm
from .selectors import document_rows, organization_documents

PAGE_SIZE = 25


@cabinet_view
def subscription_list(request):
    form = SubscriptionFilterForm(request.GET)
    context = {"title": _("Подписки обслуживаемых абонентов"), "form": form}
    if not form.is_valid():
        return render(request, "subscriptions/subscription_list.html", context, status=400)

    documents = organization_documents(request.organization, **form.filter_kwargs())
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    # A page of dicts becomes DocumentRow objects without further queries.
    page.object_list = document_rows(page.object_list)
    context.update({"page_obj": page, "rows": page.object_list})
    return render(request, "subscriptions/subscription_list.html", context)
