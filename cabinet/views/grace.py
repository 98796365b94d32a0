"""«Продлевающая подписка» («обещанный платеж», R13): the base card's part and its form.

Scoped like every document screen (another organization's base is a 404);
owners and operators write. The card shows the button on an ended posted base
when R13 allows one today, and otherwise why not; the form posts the grace
subscription through `services.grace_create`, whose refusal goes back onto it.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.formatting import fmt
from subscriptions import clock, services
from subscriptions.grace import grace_refusal_for
from subscriptions.models import Subscription

from ..access import cabinet_view
from ..forms.grace import GraceForm
from ..helpers import base_in_scope, replayed_document, save_once


def grace_card(base, *, today, can_write) -> dict:
    """The card's context: whether to offer «Продлевающая подписка», or why not.

    Asked only of a posted main subscription that has ended (before its end a
    renewal is what the operator needs; nothing is shown).
    """
    if not (can_write and base.is_posted and not base.is_grace and today > base.ends_on):
        return {"can_grace": False, "grace_blocker": ""}
    refusal = grace_refusal_for(base, today)
    return {
        "can_grace": refusal is None,
        "grace_blocker": " ".join(refusal.messages) if refusal is not None else "",
    }


@cabinet_view(write=True)
def grace_create(request, pk):
    base = base_in_scope(request, pk)
    if request.method == "POST":
        # A repeated submit of a form that already recorded one: show its result.
        if (replayed := replayed_document(Subscription, request, renews=base)) is not None:
            return _after_created(request, replayed)
    today = clock.today()
    if (refusal := grace_refusal_for(base, today)) is not None:
        messages.error(request, " ".join(refusal.messages))
        return redirect("subscription_detail", pk=base.pk)
    if request.method != "POST":
        return _render(request, GraceForm(base=base, today=today))
    form = GraceForm(request.POST, base=base, today=today)
    if form.is_valid():
        grace = save_once(
            request,
            form,
            lambda token: services.grace_create(
                subscription=base,
                days=form.cleaned_data["days"],
                user=request.user,
                request_token=token,
            ),
            Subscription,
            renews=base,
        )
        if grace is not None:
            return _after_created(request, grace)
    return _render(request, form, status=400)


def _after_created(request, grace):
    messages.success(
        request,
        _("Проведена продлевающая подписка № %(number)s, с %(starts_on)s по %(ends_on)s.")
        % {
            "number": grace.number,
            "starts_on": fmt(grace.starts_on),
            "ends_on": fmt(grace.ends_on),
        },
    )
    return redirect("subscription_detail", pk=grace.pk)


def _render(request, form, status=200):
    return render(
        request,
        "subscriptions/grace_form.html",
        {"form": form, "subscription": form.base, "subscriber": form.base.subscriber},
        status=status,
    )
