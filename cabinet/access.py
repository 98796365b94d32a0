"""Who may see and do what in the cabinet: scoping per organization and roles.

A partner user sees only its own organization's objects: anything else is a 404
(never a 403 that would confirm the object exists). A read-only user's POST is
a 403.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from subscribers.access import membership_of


def cabinet_view(view=None, *, write=False):
    """Require a partner membership; sets request.membership and request.organization.

    Staff without a membership are sent to the admin; other users without one
    get a 404. With `write=True`, or on any POST, a read-only role gets a 403.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            membership = membership_of(request.user)
            if membership is None:
                if request.user.is_staff:
                    return redirect("admin:index")
                raise Http404
            if (write or request.method == "POST") and not membership.can_write:
                raise PermissionDenied
            request.membership = membership
            request.organization = membership.organization
            return func(request, *args, **kwargs)

        return wrapper

    if view is not None:
        return decorator(view)
    return decorator
