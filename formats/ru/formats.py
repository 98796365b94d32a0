"""Russian formats of the cabinet and the admin: days as dd.mm.yyyy everywhere.

Django's Russian shows a date without a format named — the admin's lists and
read-only fields — as «31 марта 2027 г.»; the service writes days as
«31.03.2027». The cabinet names SHORT_DATE_FORMAT itself (`common.formatting.fmt`),
which is Django's «d.m.Y» already. Everything else is Django's Russian.
"""

DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"
