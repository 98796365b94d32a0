"""«Вход»: the cabinet's login form."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from subscribers.access import membership_of

INVALID_LOGIN_MESSAGE = _("Логин или пароль введены неправильно. Попробуйте еще раз.")


class CabinetAuthenticationForm(AuthenticationForm):
    """Django's login form with the cabinet's wording.

    A wrong login or password (and an inactive account, which Django cannot
    tell apart without revealing it) gives one message that names neither.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN_MESSAGE,
        "inactive": INVALID_LOGIN_MESSAGE,
        "no_membership": _(
            "Учетная запись не привязана к обслуживающей организации. "
            "Обратитесь к администратору сервиса."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Логин")
        self.fields["password"].label = _("Пароль")
        self.fields["username"].widget.attrs.setdefault("autocomplete", "username")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        # Staff work in the admin; anyone else needs a partner organization,
        # otherwise every cabinet page would be a bare 404 after logging in.
        if not user.is_staff and membership_of(user) is None:
            raise ValidationError(self.error_messages["no_membership"], code="no_membership")
