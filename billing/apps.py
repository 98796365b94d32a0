from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Счета и цены")

    def ready(self):
        from subscriptions import pricing as service_pricing

        from .pricing import partner_price

        # Posting keeps the partner's price beside the service's (R16): subscriptions/
        # asks billing's price list through this hook, never by importing billing/.
        service_pricing.use_partner_price(partner_price)
