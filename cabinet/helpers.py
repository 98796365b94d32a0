"""What the document screens share: finding an object within the user's
organization (another organization's is a 404), POST-only actions, and saving
a form's document exactly once per one-time token."""

import uuid

from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, Subscription


def subscriber_in_scope(request, pk) -> Subscriber:
    return get_object_or_404(Subscriber.objects.for_organization(request.organization), pk=pk)


def base_in_scope(request, pk, *, related=(), annotations=None) -> Subscription:
    queryset = Subscription.objects.for_organization(request.organization).select_related(
        "subscriber", "tariff", "period", *related
    )
    if annotations:
        queryset = queryset.annotate(**annotations)
    return get_object_or_404(queryset, pk=pk)


def extension_in_scope(request, pk, *, related=()) -> ExtensionSubscription:
    queryset = ExtensionSubscription.objects.for_organization(request.organization).select_related(
        "subscription__subscriber",
        "subscription__tariff",
        "subscription__period",
        "tariff",
        "period",
        *related,
    )
    return get_object_or_404(queryset, pk=pk)


def post_only(request):
    """405 for anything but POST, checked after the object was found in scope."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def replayed_document(model, request, **scope):
    """The document an earlier submission of this very form already wrote, if any.

    Checked before validation: the repeated form would otherwise be refused by
    the rules its first submission now trips (a second posted base overlaps the
    first). The service checks the token again under its lock.
    """
    try:
        token = uuid.UUID(request.POST.get("request_token", ""))
    except ValueError:
        return None
    return model.objects.filter(request_token=token, **scope).first()


def form_token(form):
    value = form.cleaned_data.get("request_token")
    return value if isinstance(value, uuid.UUID) else None


def save_once(request, form, save, model, **scope):
    """Write the form's document through `save(token)` once per one-time token.

    Returns the document — the new one, or the one an earlier submission of
    this very form wrote (a double click, a resubmit, a twin request that won
    the lock) — or None after putting the refusal onto the form. `scope` names
    what the document belongs to on this page (subscriber=…, subscription=…).
    """
    try:
        saved = save(form_token(form))
    except ValidationError as error:
        replayed = replayed_document(model, request, **scope)
        if replayed is not None:
            return replayed
        form.add_error(None, error)
        return None
    if all(getattr(saved, f"{name}_id") == owner.pk for name, owner in scope.items()):
        return saved
    # A token replayed from another page's form: nothing was written here.
    form.add_error(None, _("Форма устарела: откройте ее заново."))
    return None
