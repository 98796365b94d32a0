"""Whose is a user: the partner membership that scopes everything a user sees
(the querysets' `for_organization()` take its organization)."""

from .models import Membership


def membership_of(user):
    """The user's membership, cached on the user object for the request."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_cabinet_membership"):
        user._cabinet_membership = (
            Membership.objects.select_related("organization").filter(user=user).first()
        )
    return user._cabinet_membership
