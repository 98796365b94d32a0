from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CabinetConfig(AppConfig):
    """The partner's screens over the domain apps; no models of its own."""

    name = "cabinet"
    verbose_name = _("Кабинет партнера")
