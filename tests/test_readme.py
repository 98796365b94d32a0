"""The README's «Logging in» table tells the truth about the demo data."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from subscribers.models import Subscriber

README = Path(settings.BASE_DIR) / "README.md"


def login_row(username: str) -> str:
    (row,) = [
        line for line in README.read_text().splitlines() if line.startswith(f"| `{username}` |")
    ]
    return row


@pytest.mark.django_db
def test_the_readme_names_every_subscriber_the_other_partners_operator_sees():
    call_command("seed_demo", "--password", "demo-pass-12345", stdout=StringIO())
    served = set(
        Subscriber.objects.filter(organization__memberships__user__username="other").values_list(
            "name", flat=True
        )
    )

    named = set(re.findall(r"«([^»]+)»", login_row("other")))

    assert served and named == served
