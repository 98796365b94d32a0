"""«Прекратить» and «Изменить количество» (R14): the pages behind the cards' buttons.

Scoped like every document screen (another organization's document is a 404);
owners and operators only (a read-only user gets a 403). GET shows the form
with what the action would do; «Пересчитать» shows it again for the typed
values and writes nothing; the main button calls the service, whose refusal
lands next to its field (status 400). A document that cannot be ended or
changed at all (a draft, one that has ended) sends the user back to its card
with the reason.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.formatting import fmt, format_tenge
from subscriptions import clock, rules, services
from subscriptions.models import Status, Subscription

from ..access import cabinet_view
from ..forms.ending import ChangeQuantityForm, EndEarlyForm
from ..helpers import base_in_scope, extension_in_scope


def card_actions(document, *, today, can_write: bool) -> dict:
    """What a document's card offers for R14 (the buttons), from the rules themselves."""
    can_end = (
        can_write
        and document.is_posted
        and not rules.check_early_end_day(
            today=today,
            last_day=None,
            starts_on=document.starts_on,
            ends_on=document.ends_on,
            is_posted=True,
        )
    )
    can_change = False
    if can_write and document.is_posted and not isinstance(document, Subscription):
        can_change = not rules.check_quantity_change(
            today=today,
            change_on=None,
            starts_on=document.starts_on,
            ends_on=document.ends_on,
            is_posted=True,
            quantity=document.quantity,
            new_quantity=None,
            max_quantity=None,
        )
    return {"can_end_early": can_end, "can_change_quantity": can_change}


def _card_url(document) -> str:
    if isinstance(document, Subscription):
        return reverse("subscription_detail", args=[document.pk])
    return reverse("extension_detail", args=[document.pk])


def _gone(request, error, document):
    """The document vanished meanwhile: say so and leave for the page that exists."""
    messages.error(request, " ".join(error.messages))
    if isinstance(document, Subscription):
        return redirect("subscriber_subscriptions", pk=document.subscriber_id)
    return redirect(f"{reverse('subscription_detail', args=[document.subscription_id])}#extensions")


def _vanished(error) -> bool:
    return getattr(error, "code", None) == services.DOCUMENT_DELETED_CODE


# --- «Прекратить» ----------------------------------------------------------------------


def _end_early_page(request, document, end):
    today = clock.today()
    form = EndEarlyForm(
        request.POST if request.method == "POST" else None, document=document, today=today
    )
    if refusal := form.refusal():
        messages.error(request, refusal)
        return redirect(_card_url(document))
    if request.method != "POST":
        return _render_end_early(request, form)
    if "preview" in request.POST:
        form.is_valid()
        return _render_end_early(request, form)
    if form.is_valid():
        with_it = [extension.number for extension, _unused in form.ended_with_base()]
        try:
            ended = end(form.cleaned_data)
        except ValidationError as error:
            if _vanished(error):
                return _gone(request, error, document)
            form.add_error(None, error)
        else:
            messages.success(request, _done_message(ended, with_it))
            return redirect(_card_url(ended))
    return _render_end_early(request, form, status=400)


def _done_message(document, ended_with_it) -> str:
    if isinstance(document, Subscription):
        text = _(
            "Подписка № %(number)s прекращена: последний день — %(last_day)s, не использовано "
            "%(unused)s."
        )
    else:
        text = _(
            "Расширение № %(number)s прекращено: последний день — %(last_day)s, не использовано "
            "%(unused)s."
        )
    text = text % {
        "number": document.number,
        "last_day": fmt(document.ends_on),
        "unused": format_tenge(document.unused_amount),
    }
    if ended_with_it:
        text += " " + _("Вместе с ней прекращены расширения: %(list)s.") % {
            "list": ", ".join(f"№ {number}" for number in ended_with_it)
        }
    return text


def _render_end_early(request, form, status=200):
    document = form.document
    base = document if isinstance(document, Subscription) else document.subscription
    return render(
        request,
        "subscriptions/document_end_early.html",
        {
            "form": form,
            "document": document,
            "subscription": base,
            "subscriber": base.subscriber,
            "is_base": form.is_base,
            "card_url": _card_url(document),
        },
        status=status,
    )


@cabinet_view(write=True)
def subscription_end_early(request, pk):
    base = base_in_scope(request, pk)
    return _end_early_page(
        request,
        base,
        lambda data: services.subscription_end_early(
            subscription=base,
            last_day=data["last_day"],
            reason=data["reason"],
            end_extensions=data.get("end_extensions", False),
            user=request.user,
        ),
    )


@cabinet_view(write=True)
def extension_end_early(request, pk):
    extension = extension_in_scope(request, pk)
    return _end_early_page(
        request,
        extension,
        lambda data: services.extension_end_early(
            extension=extension,
            last_day=data["last_day"],
            reason=data["reason"],
            user=request.user,
        ),
    )


# --- «Изменить количество» ---------------------------------------------------------------


@cabinet_view(write=True)
def extension_change_quantity(request, pk):
    extension = extension_in_scope(request, pk)
    today = clock.today()
    form = ChangeQuantityForm(
        request.POST if request.method == "POST" else None, extension=extension, today=today
    )
    if refusal := form.refusal():
        messages.error(request, refusal)
        return redirect("extension_detail", pk=extension.pk)
    if request.method != "POST":
        return _render_change_quantity(request, form)
    if "preview" in request.POST:
        form.is_valid()
        return _render_change_quantity(request, form)
    if form.is_valid():
        try:
            replacement = services.extension_change_quantity(
                extension=extension,
                change_on=form.cleaned_data["change_on"],
                quantity=form.cleaned_data["quantity"],
                user=request.user,
            )
        except ValidationError as error:
            if _vanished(error):
                return _gone(request, error, extension)
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Количество изменено: с %(day)s действует расширение № %(number)s × "
                    "%(quantity)s, № %(old)s закончится %(last_day)s."
                )
                % {
                    "day": fmt(replacement.starts_on),
                    "number": replacement.number,
                    "quantity": replacement.quantity,
                    "old": extension.number,
                    "last_day": fmt(replacement.starts_on - services.DAY),
                },
            )
            return redirect("extension_detail", pk=replacement.pk)
    return _render_change_quantity(request, form, status=400)


def _render_change_quantity(request, form, status=200):
    extension = form.extension
    return render(
        request,
        "subscriptions/extension_change_quantity.html",
        {
            "form": form,
            "extension": extension,
            "subscription": extension.subscription,
            "subscriber": extension.subscription.subscriber,
        },
        status=status,
    )


# --- «Отменить проведение» (R15) ----------------------------------------------------------


def unpost_context(document) -> dict:
    """What the confirmation page of «Отменить проведение» says: what is lost, what
    posting again needs, and — when R15 or a replacement refuses it — why not."""
    is_base = isinstance(document, Subscription)
    base = document if is_base else document.subscription
    refusal = ""
    if document.is_posted:
        errors = rules.check_unpost_window(
            today=clock.today(),
            starts_on=document.starts_on,
            posted_on=services.posted_day(document),
            number=document.number,
        )
        if not errors and not is_base:
            replacement = document.replacements.filter(status=Status.POSTED).first()
            errors = rules.check_unpost_keeps_replacement(
                replacement_number=replacement.number if replacement else None
            )
        if errors:
            refusal = " ".join(errors["__all__"].messages)
    return {
        "document": document,
        "is_base": is_base,
        "subscription": base,
        "subscriber": base.subscriber,
        "card_url": _card_url(document),
        "refusal": refusal,
        "can_end_early": bool(refusal)
        and card_actions(document, today=clock.today(), can_write=True)["can_end_early"],
        "end_early_url": reverse(
            "subscription_end_early" if is_base else "extension_end_early", args=[document.pk]
        ),
        "replaced": None if is_base else document.replaces,
    }
