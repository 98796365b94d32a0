"""«Продление подписки»: the form behind the base card's button «Продлить».

Scoped like every document screen (another organization's base is a 404);
owners and operators only. The service posts the renewal and the carried
extensions in one transaction; its refusal goes back onto the form.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from subscriptions import clock, services
from subscriptions.models import Subscription
from subscriptions.renewal import renewal_refusal
from subscriptions.warnings import renewal_warnings

from ..access import cabinet_view
from ..forms.renewal import RenewalForm
from ..helpers import base_in_scope, replayed_document, save_once


@cabinet_view(write=True)
def subscription_renew(request, pk):
    base = base_in_scope(request, pk)
    if request.method == "POST":
        # A repeated submit of a form that already renewed: show its result.
        if (replayed := replayed_document(Subscription, request, renews=base)) is not None:
            return _after_renewed(request, base, replayed)
    blocker = _renewal_blocker(base)
    if blocker:
        messages.error(request, blocker)
        return redirect("subscription_detail", pk=base.pk)

    today = clock.today()
    if request.method != "POST":
        return _render(request, RenewalForm(base=base, today=today))
    form = RenewalForm(request.POST, base=base, today=today)
    if form.is_valid():
        renewal = save_once(
            request,
            form,
            lambda token: services.subscription_renew(
                subscription=base,
                period=form.cleaned_data["period"],
                copy_extensions=form.cleaned_data.get("copy_extensions", False),
                user=request.user,
                request_token=token,
            ),
            Subscription,
            renews=base,
        )
        if renewal is not None:
            return _after_renewed(request, base, renewal)
    return _render(request, form, status=400)


def _renewal_blocker(base) -> str:
    refusal = renewal_refusal(base)
    return " ".join(refusal.messages) if refusal is not None else ""


def _after_renewed(request, base, renewal):
    carried = renewal.extensions.count()
    text = _(
        "Подписка на тариф № %(base)s продлена: проведена подписка № %(number)s, которая ее "
        "продолжает."
    )
    text %= {"base": base.number, "number": renewal.number}
    if carried:
        text += " " + _("Перенесено расширений: %(count)s.") % {"count": carried}
    messages.success(request, text)
    # What does not block, said once more on the renewal's card.
    for warning in renewal_warnings(
        starts_on=renewal.starts_on, ends_on=renewal.ends_on, today=clock.today()
    ).values():
        messages.warning(request, warning)
    return redirect("subscription_detail", pk=renewal.pk)


def _render(request, form, status=200):
    return render(
        request,
        "subscriptions/renewal_form.html",
        {
            "form": form,
            "subscription": form.base,
            "subscriber": form.base.subscriber,
            "form_data": form.js_data(),
        },
        status=status,
    )
