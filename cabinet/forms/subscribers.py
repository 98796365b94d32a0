"""The search box of «Обслуживаемые абоненты», and what an invoice to a subscriber needs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from subscribers.models import Subscriber


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


class SubscriberInvoiceDetailsForm(forms.ModelForm):
    """«Данные для счетов» of a subscriber: its legal address and e-mail for invoices."""

    class Meta:
        model = Subscriber
        fields = ["legal_address", "invoice_email"]
        widgets = {"legal_address": forms.Textarea(attrs={"rows": 2, "cols": 60})}
