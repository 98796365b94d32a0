"""«Реквизиты» and «Прайс-лист» of the organization, and a subscriber's «Данные для счетов».

Everyone in the organization reads the requisites and the price list; only
the owner changes them (anyone else's POST is a 403, as on «Ключи API»).
A subscriber's invoice details are written by owners and operators. Every
write is one function of billing/services.py (or subscribers/services.py),
whose refusal lands next to its field; each page runs a fixed number of
queries whatever the number of rows.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import OrganizationRequisites
from billing.selectors import price_history, price_list
from billing.services import (
    REQUISITES_FIELDS,
    PriceChange,
    price_change_cancel,
    price_list_save,
    requisites_save,
)
from common.admin import add_error_to_form
from common.formatting import fmt
from subscribers.models import Membership
from subscribers.services import subscriber_invoice_details_save
from subscriptions import clock

from ..access import cabinet_view
from ..forms.billing import CancelPriceChangeForm, PriceListForm, RequisitesForm
from ..forms.subscribers import SubscriberInvoiceDetailsForm
from ..helpers import subscriber_in_scope

HISTORY_PAGE_SIZE = 25
REQUISITES_HISTORY_ROWS = 10


def _is_owner(request) -> bool:
    return request.membership.role == Membership.Role.OWNER


def _require_owner(request) -> None:
    if not _is_owner(request):
        raise PermissionDenied


def _requisites_history(requisites) -> list[dict]:
    """The latest changes of the requisites: when, who, why and which fields changed."""
    if requisites is None:
        return []
    records = list(
        requisites.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : REQUISITES_HISTORY_ROWS + 1
        ]
    )
    labels = {
        name: OrganizationRequisites._meta.get_field(name).verbose_name
        for name in REQUISITES_FIELDS
    }
    entries = []
    for record, older in zip(records, [*records[1:], None], strict=False):
        if len(entries) == REQUISITES_HISTORY_ROWS:
            break
        changed = (
            [
                labels[name]
                for name in REQUISITES_FIELDS
                if getattr(record, name) != getattr(older, name)
            ]
            if older is not None
            else []
        )
        entries.append(
            {"record": record, "changed": changed, "is_creation": record.history_type == "+"}
        )
    return entries


@cabinet_view
def requisites(request):
    """«Реквизиты»: the owner edits them; everyone else reads them."""
    organization = request.organization
    can_edit = _is_owner(request)
    stored = OrganizationRequisites.objects.filter(organization=organization).first()
    form = None
    if request.method == "POST":
        _require_owner(request)
        form = RequisitesForm(
            request.POST, instance=stored or OrganizationRequisites(organization=organization)
        )
        if form.is_valid():
            try:
                requisites_save(
                    organization=organization,
                    data={name: form.cleaned_data[name] for name in REQUISITES_FIELDS},
                    user=request.user,
                )
            except ValidationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Реквизиты сохранены."))
                return redirect("requisites")
    elif can_edit:
        initial = {} if stored else {"legal_name": organization.name, "bin": organization.bin}
        form = RequisitesForm(
            instance=stored or OrganizationRequisites(organization=organization), initial=initial
        )
    return render(
        request,
        "cabinet/billing/requisites.html",
        {
            "title": _("Реквизиты"),
            "requisites": stored,
            "form": form,
            "can_edit": can_edit,
            "history": _requisites_history(stored),
        },
    )


@cabinet_view
def price_list_page(request):
    """«Прайс-лист»: every offered period, the service's price and the organization's,
    with its history; the owner sets new prices from a day and cancels scheduled ones."""
    organization = request.organization
    today = clock.today()
    can_edit = _is_owner(request)
    rows = price_list(organization, today)
    form = PriceListForm(rows=rows, today=today) if can_edit else None
    cancel_error = None
    if request.method == "POST":
        _require_owner(request)
        if "cancel" in request.POST:
            cancel = CancelPriceChangeForm(request.POST)
            if cancel.is_valid():
                try:
                    row = price_change_cancel(
                        organization=organization,
                        pk=cancel.cleaned_data["cancel"],
                        user=request.user,
                    )
                except ValidationError as error:
                    cancel_error = " ".join(error.messages)
                else:
                    messages.success(
                        request,
                        _("Изменение цены с %(day)s отменено.") % {"day": fmt(row.valid_from)},
                    )
                    return redirect("price_list")
            else:
                cancel_error = _("Такого изменения цены нет: откройте прайс-лист заново.")
        else:
            form = PriceListForm(request.POST, rows=rows, today=today)
            if form.is_valid():
                changes = [PriceChange(period, price) for period, price in form.changes()]
                try:
                    written = price_list_save(
                        organization=organization,
                        changes=changes,
                        valid_from=form.cleaned_data["valid_from"],
                        user=request.user,
                    )
                except ValidationError as error:
                    add_error_to_form(form, error)
                else:
                    if written:
                        messages.success(request, _("Цены сохранены."))
                    else:
                        messages.info(
                            request,
                            _("Цены не изменились: измените цену в строке, чтобы сохранить ее."),
                        )
                    return redirect("price_list")
    history = Paginator(price_history(organization), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cabinet/billing/price_list.html",
        {
            "title": _("Прайс-лист"),
            "rows": rows,
            "form": form,
            "can_edit": can_edit,
            "cancel_error": cancel_error,
            "history": history,
            "today": today,
        },
    )


SUBSCRIBER_INVOICE_TITLE = gettext_lazy("Данные для счетов")


@cabinet_view(write=True)
def subscriber_invoice_details(request, pk):
    """A subscriber's «Данные для счетов» (legal address, e-mail for invoices)."""
    subscriber = subscriber_in_scope(request, pk)
    if request.method == "POST":
        form = SubscriberInvoiceDetailsForm(request.POST, instance=subscriber)
        if form.is_valid():
            try:
                subscriber_invoice_details_save(
                    subscriber=subscriber,
                    legal_address=form.cleaned_data["legal_address"],
                    invoice_email=form.cleaned_data["invoice_email"],
                    user=request.user,
                )
            except ValidationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Данные для счетов сохранены."))
                return redirect("subscriber_detail", subscriber.pk)
    else:
        form = SubscriberInvoiceDetailsForm(instance=subscriber)
    return render(
        request,
        "cabinet/billing/subscriber_invoice_details.html",
        {"title": SUBSCRIBER_INVOICE_TITLE, "subscriber": subscriber, "form": form},
    )
