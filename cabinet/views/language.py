"""The header's language switch (`/i18n/setlang/`, the name Django's templates know).

Django's `set_language` keeps the choice in the `django_language` cookie, which
the cabinet's pages follow (ops.middleware.CabinetLocaleMiddleware). A signed-in
partner user's choice is stored on their membership as well: the reminder mails,
sent by a worker that has no cookie, are written in it (subscriptions/reminders.py).
On the login page the switch only sets the cookie.
"""

from django.views.i18n import set_language as django_set_language

from subscribers.services import membership_set_language


def set_language(request):
    """Django's view (a POST sets the cookie and goes back to `next`; a GET only goes
    back), then the same choice on the signed-in user's membership."""
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        membership_set_language(user=request.user, language=request.POST.get("language", ""))
    return response
