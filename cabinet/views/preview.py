"""The live preview of the document forms: what the form would say, before anything is saved.

The forms' script calls these endpoints as the operator types and only puts
their answers into the page; the pages render the same answers themselves
(first render, a refused POST, the no-JavaScript «Пересчитать»), so nothing is
computed in the browser. Every figure comes from the form over the domain's
one homes: «по» from periods.py through the model, the price from pricing.py,
the unavailable periods and the errors from rules.py and the model's
`full_clean()` (run on an unsaved instance: nothing is written or locked), the
limits from the selectors.

Scoped like every document screen (another organization's base or subscriber
is a 404); GET only; read-only users may ask too, since nothing is written.
Bad input is a 200 with the form's errors, or a 400 when the page itself could
not have sent it (a malformed document id); never a 500.
"""

import re
from dataclasses import dataclass

from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common.formatting import fmt, format_tenge
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff
from subscriptions.selectors import Limits, subscriber_limits

from ..access import cabinet_view
from ..forms.documents import ExtensionForm, SubscriptionForm
from ..helpers import base_in_scope, subscriber_in_scope
from ..templatetags.documents import infobases_count, sessions_count
from ..timeline import Timeline, build_timeline, is_drawable

EXTENSION_FIELDS = ("tariff", "period", "starts_on", "quantity")
SUBSCRIPTION_FIELDS = ("tariff", "period", "starts_on")
WHAT_IF_TEMPLATE = "subscriptions/includes/extension_what_if.html"
DOCUMENT_ID = re.compile(r"[0-9]{1,18}")


class BadPreviewRequest(Exception):
    """A query the page could not have sent: answered 400 with the reason."""


# --- The what-if of an extension ---------------------------------------------------


@dataclass(frozen=True)
class LimitsWithExtension:
    """A subscriber's limits on the new extension's first day, without and with it."""

    day: object
    without: Limits
    with_it: Limits

    @property
    def text(self) -> str:
        return _(
            "Если провести расширение, на %(day)s у абонента будет %(sessions)s и "
            "%(infobases)s (без него — %(sessions_without)s и %(infobases_without)s)."
        ) % {
            "day": fmt(self.day),
            "sessions": sessions_count(self.with_it.sessions),
            "infobases": infobases_count(self.with_it.infobases),
            "sessions_without": sessions_count(self.without.sessions),
            "infobases_without": infobases_count(self.without.infobases),
        }

    def as_json(self) -> dict:
        return {
            "day": fmt(self.day),
            "sessions": self.with_it.sessions,
            "infobases": self.with_it.infobases,
            "sessions_without": self.without.sessions,
            "infobases_without": self.without.infobases,
            "text": self.text,
        }


@dataclass(frozen=True)
class WhatIf:
    """The base's timeline with the extension being typed, and the limits it would give."""

    timeline: Timeline | None = None
    limits: LimitsWithExtension | None = None


def limits_with(proposed, without: Limits) -> Limits:
    """`without` (the selectors' limits, posted documents only) plus the proposed
    extension's quantity on its resource, as if it were posted (DESIGN, «What an
    extension does»)."""
    resource = proposed.tariff.resource
    return Limits(
        sessions=without.sessions
        + (proposed.quantity if resource == Tariff.Resource.SESSIONS else 0),
        infobases=without.infobases
        + (proposed.quantity if resource == Tariff.Resource.INFOBASES else 0),
    )


def extension_what_if(form: ExtensionForm, *, today) -> WhatIf:
    """The what-if of `form` (two queries once it reads as an extension, none before).

    The timeline shows the base's stored extensions except the one being edited
    (its stored version would stand beside what the form says it becomes).
    """
    proposed = form.proposal()
    base = form.base
    if proposed is None or not is_drawable(base, proposed):
        # Far outside the base (a typo in the year) the form's errors say it all.
        return WhatIf()
    extensions = base.extensions.select_related("tariff").order_by("starts_on", "pk")
    if form.instance.pk is not None:
        extensions = extensions.exclude(pk=form.instance.pk)
    extensions = list(extensions)
    for extension in extensions:
        extension.subscription = base
    without = subscriber_limits(base.subscriber, proposed.starts_on)
    return WhatIf(
        timeline=build_timeline(base, extensions, today, proposed),
        limits=LimitsWithExtension(proposed.starts_on, without, limits_with(proposed, without)),
    )


# --- Answers -------------------------------------------------------------------------


def preview_errors(form) -> dict:
    """The form's errors as the preview shows them: what the fields and the model's
    `full_clean()` say about the values given. An empty field is not an error
    yet while the operator types (the submit still says it is required)."""
    return {
        name: [
            {"message": error["message"], "code": error["code"]}
            for error in errors
            if error["code"] != "required"
        ]
        for name, errors in form.errors.get_json_data().items()
        if any(error["code"] != "required" for error in errors)
    }


def extension_preview_answer(form: ExtensionForm, what_if: WhatIf, request) -> dict:
    total = form.total()
    ends_on = form.ends_on()
    return {
        "ends_on": fmt(ends_on) if ends_on else None,
        "total": format_tenge(total) if total is not None else None,
        "total_formula": form.total_formula(),
        # «до окончания подписки на тариф»: the start to the base's end, «7 мес. + 12 дн.»
        "span": form.span(),
        "periods": form.period_options(),
        "alignment_note": form.alignment_note(),
        "recommended": {
            "value": form.recommended.isoformat(),
            "text": fmt(form.recommended),
        },
        "quantity_help": form.quantity_help(),
        "quantity_max": form.fields["quantity"].widget.attrs.get("max"),
        "errors": preview_errors(form),
        "limits": what_if.limits.as_json() if what_if.limits else None,
        "timeline_html": render_to_string(WHAT_IF_TEMPLATE, {"what_if": what_if}, request),
    }


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400, json_dumps_params={"ensure_ascii": False})


def _answer(data: dict) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _document_id(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if raw == "":
        return None
    if not DOCUMENT_ID.fullmatch(raw):
        raise BadPreviewRequest(_("Форма устарела: откройте ее заново."))
    return int(raw)


def _posting(request) -> bool:
    """The preview answers for the form's main button («Провести…») unless told «save»."""
    return request.GET.get("action", "post") != "save"


def _bound_data(request, names) -> dict:
    return {name: request.GET.get(name, "") for name in names}


def _get_only(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return None


# --- Endpoints -------------------------------------------------------------------------


@never_cache
@cabinet_view
def extension_preview(request, pk):
    """«Подписка (создание)» / its change: what the form would say for the typed values.

    Query: tariff, period, starts_on, quantity (the form's fields), optionally
    `extension` (the draft being edited) and `action=save` (check as «Записать»).
    """
    base = base_in_scope(request, pk)
    if (response := _get_only(request)) is not None:
        return response
    today = clock.today()
    try:
        edited = _document_id(request, "extension")
    except BadPreviewRequest as error:
        return _bad_request(str(error))
    if edited is None:
        instance = ExtensionSubscription(subscription=base)
    else:
        instance = (
            base.extensions.select_related("tariff", "period")
            .filter(pk=edited, status=Status.DRAFT)
            .first()
        )
        if instance is None:
            return _bad_request(_("Форма устарела: откройте ее заново."))
        instance.subscription = base
    if _posting(request):
        instance.status = Status.POSTED
    form = ExtensionForm(_bound_data(request, EXTENSION_FIELDS), instance=instance, today=today)
    form.is_valid()  # runs the model's full_clean() on the unsaved instance
    return _answer(extension_preview_answer(form, extension_what_if(form, today=today), request))


@never_cache
@cabinet_view
def subscription_preview(request, pk):
    """«Подписка на тариф (создание)» / its change: «по» and the errors for the typed values.

    Query: tariff, period, starts_on, optionally `subscription` (the base being
    changed, of this subscriber) and `action=save`.
    """
    subscriber = subscriber_in_scope(request, pk)
    if (response := _get_only(request)) is not None:
        return response
    try:
        edited = _document_id(request, "subscription")
    except BadPreviewRequest as error:
        return _bad_request(str(error))
    if edited is None:
        instance = Subscription(subscriber=subscriber)
        if _posting(request):
            instance.status = Status.POSTED
    else:
        instance = (
            Subscription.objects.filter(subscriber=subscriber, pk=edited)
            .select_related("tariff", "period")
            .first()
        )
        if instance is None:
            return _bad_request(_("Форма устарела: откройте ее заново."))
        instance.subscriber = subscriber
    form = SubscriptionForm(
        _bound_data(request, SUBSCRIPTION_FIELDS), instance=instance, today=clock.today()
    )
    form.is_valid()
    ends_on = form.ends_on()
    return _answer({"ends_on": fmt(ends_on) if ends_on else None, "errors": preview_errors(form)})
