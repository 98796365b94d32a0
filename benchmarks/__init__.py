"""Benchmarks of Fresh Cabinet at service scale (issue 5).

`python -m benchmarks.generate`, `python -m benchmarks.run` and
`python -m benchmarks.load` are scripts: importing this package outside a
configured Django (the scripts' case) sets Django up with the project's
settings, so each module can import models at the top. Inside pytest or a
running server Django is already set up and this does nothing.
"""

import os

import django
from django.apps import apps

if not apps.ready:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fresh_cabinet.settings")
    django.setup()
