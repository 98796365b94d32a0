"""English formats of the cabinet: dates as «30 Nov 2026»; the rest is Django's English."""

from django.conf.locale.en.formats import *  # noqa: F403 - Django's English, then ours

SHORT_DATE_FORMAT = "d M Y"
SHORT_DATETIME_FORMAT = "d M Y H:i"
