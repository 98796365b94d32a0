"""Hostile input on «Продление за месяц» (Hypothesis): any filters in the address, any
body posted to it. Never a 5xx, never the other organization's rows, a refusal writes
nothing, the rules hold (conftest.assert_survived)."""

from urllib.parse import urlencode

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from .conftest import (
    anything,
    assert_survived,
    client_for,
    everything_snapshot,
    field,
    form_data,
    hostile,
    ids,
    rolled_back,
)

MONTH_TEXTS = ["", "13.2026", "00.2026", "2026-13", "01.1999", "12.2100", "1.2027", "02.2027"]


def _months(world):
    """Plausible months: the one our base ends in (so rows are listed), and others."""
    ends = world.ours.base.ends_on
    return st.one_of(
        st.sampled_from([ends.strftime("%m.%Y"), ends.strftime("%Y-%m"), *MONTH_TEXTS]),
        anything(),
    )


def _filters(world):
    return form_data(
        {
            "month": field(_months(world)),
            "tariff": field(ids(world.tariff_ids()).map(str)),
            "extensions": field(st.sampled_from(["carry", "keep", ""])),
            "page": field(st.sampled_from(["1", "2", "last", "0", "-1"])),
        }
    )


@hostile
@given(data=st.data())
def test_the_page_survives_any_filter(world, data):
    params = data.draw(_filters(world), label="params")
    client = client_for(world.ours.owner)
    with rolled_back():
        before = everything_snapshot(world)

        response = client.get(reverse("bulk_renewal"), params)

        assert response.status_code in (200, 400)
        assert world.theirs.base.number not in response.content.decode(errors="replace")
        assert everything_snapshot(world) == before


@hostile
@given(data=st.data())
def test_renewing_survives_any_body(world, data):
    ours, theirs = world.ours, world.theirs
    base_ids = [ours.base.pk, ours.draft_base.pk, theirs.base.pk]
    period_ids = world.period_ids()
    query = {"month": ours.base.ends_on.strftime("%m.%Y")}
    body = data.draw(
        form_data(
            {
                "request_token": field(st.uuids().map(str)),
                "action": field(st.sampled_from(["renew", "preview", ""])),
                "base": field(ids(base_ids).map(str)),
                "all_rows": field(st.sampled_from(["on", ""])),
                f"period_{ours.base.pk}": field(ids(period_ids).map(str)),
            }
        ),
        label="body",
    )
    client = client_for(ours.owner)
    with rolled_back():
        before = everything_snapshot(world)

        response = client.post(f"{reverse('bulk_renewal')}?{urlencode(query)}", body)

        assert_survived(response, world, before)
