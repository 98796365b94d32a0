"""The search box of «Обслуживаемые абоненты»."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SubscriberSearchForm(forms.Form):
    """The search box of «Обслуживаемые абоненты»."""

    q = forms.CharField(
        label=_("Поиск"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Наименование, БИН/ИИН или код абонента")}
        ),
        error_messages={"max_length": _("Не длиннее %(limit_value)d символов.")},
    )
