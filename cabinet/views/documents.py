"""The subscription document screens of the cabinet.

Every view is scoped to the user's organization: an object of another
organization is a 404 on every URL, GET or POST, before anything else is
looked at. Writes go through `services.py`; a refusal (ValidationError) goes
back onto the form next to its field with status 400, or, for the card's
buttons, becomes an error message on the card. Nothing here re-implements a rule.

The document forms show the server's preview (cabinet/views/preview.py) on
every render; their «Пересчитать» button (for browsers without JavaScript)
posts the form back only to render it again with the preview: it validates,
shows the errors and writes nothing.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from spreadsheets.export import requested_format
from subscribers.models import Subscriber
from subscriptions import clock, rules, services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.selectors import subscriber_window_rows
from subscriptions.warnings import extension_warnings

from .. import exports
from ..access import cabinet_view
from ..forms.documents import DATE_INPUT_FORMATS, ExtensionForm, SubscriptionForm
from ..helpers import (
    base_in_scope,
    extension_in_scope,
    post_only,
    replayed_document,
    save_once,
    subscriber_in_scope,
)
from ..history import BASE_FIELDS, EXTENSION_FIELDS, document_history
from ..timeline import build_timeline
from .ending import card_actions, unpost_context
from .grace import grace_card
from .preview import extension_what_if

# --- Scoping --------------------------------------------------------------------


def _refusal_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _wants_preview(request) -> bool:
    """The form's «Пересчитать» button: show the preview, write nothing."""
    return "preview" in request.POST


def _parse_date(value):
    for pattern in DATE_INPUT_FORMATS:
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except (TypeError, ValueError):
            continue
    return None


# --- Window «Подписка» ------------------------------------------------------------


@cabinet_view
def subscriber_subscriptions(request, pk):
    """All the subscriber's subscriptions: each base (newest first), its extensions under it.

    Three queries whatever the number of documents: the subscriber, its bases,
    their extensions.
    """
    subscriber = subscriber_in_scope(request, pk)
    return render(
        request,
        "subscriptions/subscriber_subscriptions.html",
        {
            "subscriber": subscriber,
            "rows": list(subscriber_window_rows(subscriber)),
            "today": clock.today(),
        },
    )


@cabinet_view
def subscriber_subscriptions_export(request, pk):
    """The window «Подписка» as XLSX or CSV, rows in the page's order (a big one through
    a job and its progress page, cabinet/exports.py)."""
    subscriber = subscriber_in_scope(request, pk)
    fmt = requested_format(request)
    table = exports.subscriber_subscriptions_table(subscriber, today=clock.today())
    return exports.download(request, table, fmt=fmt)


def subscriber_subscriptions_download(organization, data, *, today, pk=None):
    """The window's table for the subscriber `pk`: what a job writes (exports.SOURCES).
    None when the subscriber is no longer the organization's."""
    subscriber = Subscriber.objects.for_organization(organization).filter(pk=pk).first()
    if subscriber is None:
        return None
    return exports.subscriber_subscriptions_table(subscriber, today=today)


def _base_url(base):
    return reverse("subscription_detail", args=[base.pk])


def _extension_url(extension):
    return reverse("extension_detail", args=[extension.pk])


# --- Base subscription: create, card, change, post, un-post, delete --------------


@cabinet_view(write=True)
def subscription_create(request, pk):
    subscriber = subscriber_in_scope(request, pk)
    today = clock.today()
    instance = Subscription(subscriber=subscriber)
    if request.method != "POST":
        form = SubscriptionForm(instance=instance, today=today)
        return _render_subscription_form(request, form, subscriber)

    if _wants_preview(request):
        # Checked as the main button («Провести и закрыть») would be.
        instance.status = Status.POSTED
        form = SubscriptionForm(request.POST, instance=instance, today=today)
        form.is_valid()
        return _render_subscription_form(request, form, subscriber)
    if (replayed := replayed_document(Subscription, request, subscriber=subscriber)) is not None:
        return _after_subscription_saved(request, replayed)
    if request.POST.get("action") == "post":
        # Set before validation, so clean() checks what posting requires (R11).
        instance.status = Status.POSTED
    form = SubscriptionForm(request.POST, instance=instance, today=today)
    if form.is_valid():
        saved = save_once(
            request,
            form,
            lambda token: services.subscription_save(
                subscription=form.instance, user=request.user, request_token=token
            ),
            Subscription,
            subscriber=subscriber,
        )
        if saved is not None:
            return _after_subscription_saved(request, saved)
    elif (replayed := replayed_document(Subscription, request, subscriber=subscriber)) is not None:
        # The twin of this form committed while this one was being validated (a
        # double click): the rules now see its document («overlaps № …»). The
        # token decides: show the first one's result.
        return _after_subscription_saved(request, replayed)
    return _render_subscription_form(request, form, subscriber, status=400)


def _after_subscription_saved(request, subscription):
    if subscription.is_posted:
        done = _("Подписка на тариф № %(number)s проведена.")
        messages.success(request, done % {"number": subscription.number})
        return redirect("subscriber_subscriptions", pk=subscription.subscriber_id)
    done = _("Подписка на тариф № %(number)s записана (черновик).")
    messages.success(request, done % {"number": subscription.number})
    return redirect("subscription_detail", pk=subscription.pk)


def _render_subscription_form(request, form, subscriber, status=200, subscription=None):
    return render(
        request,
        "subscriptions/subscription_form.html",
        {
            "form": form,
            "subscriber": subscriber,
            "subscription": subscription,
            "form_data": form.js_data(),
        },
        status=status,
    )


@cabinet_view
def subscription_detail(request, pk):
    base = base_in_scope(
        request,
        pk,
        related=("created_by", "posted_by", "renews", "ended_early_by"),
        annotations=_renewed_by(),
    )
    today = clock.today()
    extensions = list(
        base.extensions.select_related("tariff", "period").order_by("starts_on", "pk")
    )
    for extension in extensions:
        extension.subscription = base
    can_write = request.membership.can_write
    extension_blocker = _extension_blocker(base, today)
    highlight = request.GET.get("new", "")
    return render(
        request,
        "subscriptions/subscription_detail.html",
        {
            "subscription": base,
            "subscriber": base.subscriber,
            "extensions": extensions,
            "timeline": build_timeline(base, extensions, today),
            "history": document_history(base, BASE_FIELDS),
            "can_write": can_write,
            "can_extend": can_write and not extension_blocker,
            "extension_blocker": extension_blocker,
            "can_delete": can_write and base.is_draft and not extensions and not base.has_renewals,
            "can_renew": can_write
            and base.is_posted
            and not base.is_grace
            and base.renewed_by_pk is None,
            "highlight": highlight,
            "today": today,
            **card_actions(base, today=today, can_write=can_write),
            **grace_card(base, today=today, can_write=can_write),
        },
    )


def _extension_blocker(base, today) -> str:
    """Why no extension can be posted to `base` today (R6, from its rule), or ""."""
    refusal = rules.check_extension_posting(
        today=today,
        starts_on=None,
        base_number=base.number,
        base_is_posted=base.is_posted,
        base_ends_on=base.ends_on,
        base_is_grace=base.is_grace,
    ).get("__all__")
    return " ".join(refusal.messages) if refusal else ""


def _renewed_by() -> dict:
    """The posted renewal of a base and its grace subscription (R13; pk and number),
    read with the base itself."""
    continuing = Subscription.objects.filter(renews=OuterRef("pk")).order_by("pk")
    renewals = continuing.filter(kind=Subscription.Kind.MAIN, status=Status.POSTED)
    grace = continuing.filter(kind=Subscription.Kind.GRACE)
    return {
        "has_renewals": Exists(continuing),
        "renewed_by_pk": Subquery(renewals.values("pk")[:1]),
        "renewed_by_number": Subquery(renewals.values("number")[:1]),
        "grace_pk": Subquery(grace.values("pk")[:1]),
        "grace_number": Subquery(grace.values("number")[:1]),
    }


@cabinet_view(write=True)
def subscription_edit(request, pk):
    base = base_in_scope(request, pk)
    if base.is_grace:  # R13: its days are chosen once, when it is recorded
        refusal = rules.grace_edit_refusal(base, today=clock.today())
        messages.error(request, " ".join(refusal.messages))
        return redirect("subscription_detail", pk=base.pk)
    today = clock.today()
    if request.method != "POST":
        form = SubscriptionForm(instance=base, today=today)
        return _render_subscription_form(request, form, base.subscriber, subscription=base)
    form = SubscriptionForm(request.POST, instance=base, today=today)
    if _wants_preview(request):
        form.is_valid()
        return _render_subscription_form(request, form, base.subscriber, subscription=base)
    if form.is_valid():
        try:
            saved = services.subscription_save(subscription=form.instance, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Подписка на тариф № %(number)s изменена.") % {"number": saved.number}
            )
            return redirect("subscription_detail", pk=saved.pk)
    return _render_subscription_form(request, form, base.subscriber, status=400, subscription=base)


def _card_action(request, document, action, done_message) -> bool:
    """Run a card button's service; a refusal becomes an error message on the card.

    False when the document is gone (another user deleted it meanwhile): the
    caller then leaves for the page that still exists.
    """
    try:
        action()
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
        return not _vanished(error)
    messages.success(request, done_message % {"number": document.number})
    return True


def _vanished(error: ValidationError) -> bool:
    return getattr(error, "code", None) == services.DOCUMENT_DELETED_CODE


def _base_gone(base):
    """Where to go when the base was deleted meanwhile: its subscriber's «Подписка»."""
    return redirect("subscriber_subscriptions", pk=base.subscriber_id)


def _extension_gone(extension):
    """Where to go when the extension was deleted meanwhile: its base's card."""
    url = reverse("subscription_detail", args=[extension.subscription_id])
    return redirect(f"{url}#extensions")


def _card_url(document) -> str:
    return _base_url(document) if isinstance(document, Subscription) else _extension_url(document)


def _parent_page(document):
    """Where a document's card leaves for when the document is gone, or after it
    was deleted: a base's subscriber's «Подписка», an extension's base card."""
    if isinstance(document, Subscription):
        return _base_gone(document)
    return _extension_gone(document)


def _card_button(request, document, action, done_message):
    """A POST-only button of a document's card («Провести», «Отменить проведение»):
    back to the card, or to its parent page when another user deleted the document."""
    if (response := post_only(request)) is not None:
        return response
    if not _card_action(request, document, action, done_message):
        return _parent_page(document)
    return redirect(_card_url(document))


def _delete_button(request, document, action, done_message):
    """«Удалить»: a draft asks for confirmation first; a refusal stays on the card."""
    if (response := post_only(request)) is not None:
        return response
    if request.POST.get("confirm") != "yes" and document.is_draft:
        return _render_confirm_delete(request, document, _card_url(document))
    try:
        action()
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
        if _vanished(error):
            return _parent_page(document)
        return redirect(_card_url(document))
    messages.success(request, done_message % {"number": document.number})
    return _parent_page(document)


@cabinet_view
def subscription_post(request, pk):
    base = base_in_scope(request, pk)
    return _card_button(
        request,
        base,
        lambda: services.subscription_post(subscription=base, user=request.user),
        _("Подписка на тариф № %(number)s проведена."),
    )


@cabinet_view(write=True)
def subscription_unpost(request, pk):
    base = base_in_scope(request, pk)
    return _unpost_button(
        request,
        base,
        lambda: services.subscription_unpost(subscription=base, user=request.user),
        _("Проведение подписки на тариф № %(number)s отменено."),
    )


def _unpost_button(request, document, action, done_message):
    """«Отменить проведение»: GET asks for confirmation, saying what is lost and
    whether R15 allows it; POST does it (a refusal on the card, as other buttons)."""
    if request.method == "POST":
        return _card_button(request, document, action, done_message)
    return render(request, "subscriptions/document_confirm_unpost.html", unpost_context(document))


@cabinet_view
def subscription_delete(request, pk):
    base = base_in_scope(request, pk)
    return _delete_button(
        request,
        base,
        lambda: services.subscription_delete(subscription=base, user=request.user),
        _("Черновик подписки на тариф № %(number)s удален."),
    )


def _render_confirm_delete(request, document, cancel_url):
    return render(
        request,
        "subscriptions/document_confirm_delete.html",
        {"document": document, "cancel_url": cancel_url},
    )


# --- Extension subscription ------------------------------------------------------


def _initial_start(request):
    """A start chosen by the «Рекомендуемая дата» link (the no-JS way)."""
    return _parse_date(request.GET.get("starts_on", ""))


@cabinet_view(write=True)
def extension_create(request, pk):
    base = base_in_scope(request, pk)
    today = clock.today()
    if blocker := _extension_blocker(base, today):
        messages.error(request, blocker)
        return redirect("subscription_detail", pk=base.pk)
    instance = ExtensionSubscription(subscription=base)
    if request.method != "POST":
        form = ExtensionForm(instance=instance, today=today, starts_on=_initial_start(request))
        return _render_extension_form(request, form, base)

    if _wants_preview(request):
        # Checked as the main button («Провести и закрыть») would be.
        instance.status = Status.POSTED
        form = ExtensionForm(request.POST, instance=instance, today=today)
        form.is_valid()
        return _render_extension_form(request, form, base)
    if (
        replayed := replayed_document(ExtensionSubscription, request, subscription=base)
    ) is not None:
        return _after_extension_saved(request, replayed)
    posting = request.POST.get("action") == "post"
    if posting:
        # Set before validation, so clean() checks what posting requires (R6, R7).
        instance.status = Status.POSTED
    form = ExtensionForm(request.POST, instance=instance, today=today)
    if form.is_valid():
        saved = save_once(
            request,
            form,
            lambda token: services.extension_save(
                extension=form.instance, user=request.user, post=posting, request_token=token
            ),
            ExtensionSubscription,
            subscription=base,
        )
        if saved is not None:
            return _after_extension_saved(request, saved)
    return _render_extension_form(request, form, base, status=400)


def _after_extension_saved(request, extension):
    if extension.is_posted:
        messages.success(
            request,
            _("Подписка на расширение тарифа № %(number)s проведена.")
            % {"number": extension.number},
        )
        # A warning that does not block: it was posted, and it adds to one of its dates.
        for warning in extension_warnings(
            extension, today=clock.today(), draft=False, posted=True
        ).values():
            messages.warning(request, warning)
        url = reverse("subscription_detail", args=[extension.subscription_id])
        return redirect(f"{url}?new={extension.pk}#extensions")
    messages.success(
        request,
        _("Подписка на расширение тарифа № %(number)s записана (черновик).")
        % {"number": extension.number},
    )
    return redirect("extension_detail", pk=extension.pk)


def _render_extension_form(request, form, base, status=200, extension=None):
    return render(
        request,
        "subscriptions/extension_form.html",
        {
            "form": form,
            "subscription": base,
            "subscriber": base.subscriber,
            "extension": extension,
            "form_data": form.js_data(),
            "what_if": extension_what_if(form, today=form.today),
            # What does not block (shown once the form was submitted): «добавить еще?»
            "warnings": extension_warnings(form.instance, today=form.today, draft=False)
            if form.is_bound
            else {},
        },
        status=status,
    )


@cabinet_view
def extension_detail(request, pk):
    extension = extension_in_scope(
        request, pk, related=("created_by", "posted_by", "ended_early_by", "replaces")
    )
    today = clock.today()
    replacements = list(extension.replacements.order_by("pk"))
    can_write = request.membership.can_write
    actions = card_actions(extension, today=today, can_write=can_write)
    if any(r.is_posted for r in replacements):
        actions["can_change_quantity"] = False  # changed already: change it in the new one
    return render(
        request,
        "subscriptions/extension_detail.html",
        {
            "extension": extension,
            "subscription": extension.subscription,
            "subscriber": extension.subscription.subscriber,
            "history": document_history(extension, EXTENSION_FIELDS),
            "can_write": can_write,
            "today": today,
            "replacements": replacements,
            "warnings": extension_warnings(extension, today=today, draft=True)
            if extension.is_draft
            else {},
            **actions,
        },
    )


@cabinet_view(write=True)
def extension_edit(request, pk):
    extension = extension_in_scope(request, pk)
    base = extension.subscription
    if extension.is_posted:
        messages.error(request, " ".join(services.posted_edit_refusal(extension).messages))
        return redirect("extension_detail", pk=extension.pk)
    today = clock.today()
    if request.method != "POST":
        form = ExtensionForm(instance=extension, today=today, starts_on=_initial_start(request))
        return _render_extension_form(request, form, base, extension=extension)
    if _wants_preview(request):
        extension.status = Status.POSTED
        form = ExtensionForm(request.POST, instance=extension, today=today)
        form.is_valid()
        extension.status = Status.DRAFT
        return _render_extension_form(request, form, base, extension=extension)
    posting = request.POST.get("action") == "post"
    if posting:
        extension.status = Status.POSTED
    form = ExtensionForm(request.POST, instance=extension, today=today)
    if form.is_valid():
        try:
            saved = services.extension_save(
                extension=form.instance, user=request.user, post=posting
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _after_extension_saved(request, saved)
    extension.status = Status.DRAFT
    return _render_extension_form(request, form, base, status=400, extension=extension)


@cabinet_view
def extension_post(request, pk):
    extension = extension_in_scope(request, pk)
    return _card_button(
        request,
        extension,
        lambda: services.extension_post(extension=extension, user=request.user),
        _("Подписка на расширение тарифа № %(number)s проведена."),
    )


@cabinet_view(write=True)
def extension_unpost(request, pk):
    extension = extension_in_scope(request, pk, related=("replaces",))
    return _unpost_button(
        request,
        extension,
        lambda: services.extension_unpost(extension=extension, user=request.user),
        _("Проведение подписки на расширение тарифа № %(number)s отменено."),
    )


@cabinet_view
def extension_delete(request, pk):
    extension = extension_in_scope(request, pk)
    return _delete_button(
        request,
        extension,
        lambda: services.extension_delete(extension=extension, user=request.user),
        _("Черновик подписки на расширение тарифа № %(number)s удален."),
    )
