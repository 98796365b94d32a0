"""«Ключи API» in the cabinet: the organization's owner issues and revokes keys.

Everyone in the organization sees the list (names, key prefixes, dates); only
the owner may issue or revoke (a POST by anyone else is a 403), and another
organization's key is a 404. A new key is shown once, in the response to the
POST that made it, and is never stored — reloading the page does not show it
again, so the response is not cached.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from api.models import ApiToken
from subscribers.models import Membership

from ..access import cabinet_view
from ..forms.api_tokens import ApiTokenForm
from ..helpers import post_only


def _require_owner(request):
    if request.membership.role != Membership.Role.OWNER:
        raise PermissionDenied


@never_cache
@cabinet_view
def token_list(request):
    can_manage = request.membership.role == Membership.Role.OWNER
    new_key = None
    form = ApiTokenForm() if can_manage else None
    if request.method == "POST":
        _require_owner(request)
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, new_key = ApiToken.issue(
                organization=request.organization,
                name=form.cleaned_data["name"],
                created_by=request.user,
            )
            form = ApiTokenForm()
    tokens = ApiToken.objects.for_organization(request.organization).select_related("created_by")
    return render(
        request,
        "api/token_list.html",
        {
            "title": _("Ключи API"),
            "tokens": tokens,
            "form": form,
            "can_manage": can_manage,
            "new_key": new_key,
        },
    )


@cabinet_view
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.for_organization(request.organization), pk=pk)
    if (refused := post_only(request)) is not None:
        return refused
    _require_owner(request)
    token.revoke()
    messages.success(
        request,
        _("Ключ «%(name)s» отозван: запросы с ним больше не принимаются.") % {"name": token.name},
    )
    return redirect("api_tokens")
