"""«Вход»: the cabinet's login. Partner users go to «Личный кабинет», staff to the admin."""

from django.contrib.auth.views import LoginView
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _

from subscribers.access import membership_of

from ..forms.auth import CabinetAuthenticationForm


class CabinetLoginView(LoginView):
    """«Вход». Partner users go to «Личный кабинет», staff to the admin."""

    template_name = "registration/login.html"
    authentication_form = CabinetAuthenticationForm
    redirect_authenticated_user = True
    extra_context = {"title": _("Вход")}

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
