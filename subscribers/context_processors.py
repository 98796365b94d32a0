from .access import membership_of


def cabinet(request):
    """The current user's membership, for the layout (organization name, role)."""
    user = getattr(request, "user", None)
    membership = membership_of(user) if user is not None and user.is_authenticated else None
    return {"membership": membership, "can_write": bool(membership and membership.can_write)}
