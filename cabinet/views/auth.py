"""«Вход»: the cabinet's login. Partner users go to «Личный кабинет», staff to the admin."""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _

from subscribers.access import membership_of
from subscribers.services import membership_set_language

from ..forms.auth import CabinetAuthenticationForm


class CabinetLoginView(LoginView):
    """«Вход». Partner users go to «Личный кабинет», staff to the admin."""

    template_name = "registration/login.html"
    authentication_form = CabinetAuthenticationForm
    redirect_authenticated_user = True
    extra_context = {"title": _("Вход")}

    def form_valid(self, form):
        """Log in, then agree the browser's language with the one kept for the user:
        a language chosen in this browser (the cookie, e.g. on this login page) is
        the latest choice and is kept on the membership; a browser without one
        (a new computer) gets the user's kept language."""
        response = super().form_valid(form)
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            membership_set_language(user=self.request.user, language=chosen)
            return response
        membership = membership_of(self.request.user)
        if membership is not None and membership.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                membership.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    def get_redirect_url(self):
        # Only a path of this site («/subscribers/12/»): Django also accepts a
        # relative «0» or «x/y», which would land on a 404 after a good login.
        url = super().get_redirect_url()
        return url if url.startswith("/") and not url.startswith("//") else ""

    def get_default_redirect_url(self):
        user = self.request.user
        if user.is_staff and membership_of(user) is None:
            return resolve_url("admin:index")
        return super().get_default_redirect_url()
