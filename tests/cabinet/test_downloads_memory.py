"""A big download holds a few chunks of rows, never the table (issue 13: bounded memory).

Two judges: the writers never keep a row once it is written (rows are
counted alive while they are written: the number stays at one whatever the
table's length); and the whole job — the database read in chunks, the
writer, the file — stays under a fixed bound of Python allocations
(tracemalloc) at 20,000 subscribers, the same bound as at 2,000. The seconds
and the process's resident memory at larger sizes are measured by
`python -m benchmarks.export_memory` (benchmarks/README.md).
"""

import datetime
import gc
import tracemalloc
import weakref
from decimal import Decimal

import pytest
from django.urls import reverse

from cabinet.exports import subscription_list_columns
from jobs.models import Job
from spreadsheets.export import write_csv, write_xlsx
from subscribers.models import Subscriber
from tests.factories import valid_bin_iin
from tests.jobs.conftest import job_files_folder  # noqa: F401  (autouse: a folder per test)

MIB = 2**20


class Row:
    """A row of «Подписки обслуживаемых абонентов» that counts how many of its kind are alive."""

    alive = weakref.WeakSet()
    most_alive = 0

    def __init__(self, i: int):
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 300)
        self.number = f"Р{i:08d}"
        self.kind_label = "Расширяющая"
        self.subscriber_name = f'ТОО "Абонент {i:06d}"'
        self.tariff_name = "Дополнительный сеанс"
        self.period_label = "1 месяц"
        self.starts_on = day
        self.ends_on = day + datetime.timedelta(days=30)
        self.quantity = 1 + i % 5
        self.status_label = "Проведен"
        self.amount = Decimal(3000 + i)
        Row.alive.add(self)
        Row.most_alive = max(Row.most_alive, len(Row.alive))


def rows(n: int):
    for i in range(n):
        yield Row(i)


@pytest.mark.parametrize("n", [2_000, 20_000])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_writers_keep_no_row_once_it_is_written(tmp_path, fmt, n):
    gc.disable()  # a row kept alive only by a reference cycle would count, too
    Row.most_alive = 0
    try:
        with open(tmp_path / f"table.{fmt}", "w+b") as target:
            if fmt == "csv":
                write_csv(subscription_list_columns(), rows(n), target)
            else:
                write_xlsx(subscription_list_columns(), rows(n), sheet_title="Т", target=target)
            size = target.seek(0, 2)
    finally:
        gc.enable()

    assert Row.most_alive <= 2  # the row being written (and the next being made)
    assert size > n * (10 if fmt == "xlsx" else 60)  # every row is in the file


@pytest.fixture
def partner_of(organization):
    """partner_of(n) → `organization` with n subscribers (inserted in bulk: valid codes
    and BIN/IIN, no documents — «Обслуживаемые абоненты» still computes every limit)."""

    def make(n):
        Subscriber.objects.bulk_create(
            Subscriber(
                organization=organization,
                name=f'ТОО "Абонент {i:06d}"',
                code=f"{10**11 + i:012d}",
                bin_iin=valid_bin_iin(i),
                city="Алматы",
            )
            for i in range(n)
        )
        return organization

    return make


def peak_of_the_job(client, fmt) -> tuple[int, Job]:
    """Peak Python allocations while the job runs (the tests run it in the request).

    A small job of the same kind runs first: what the first one loads once
    (templates, catalogues, modules) is not what the rows cost.
    """
    warm_up = client.get(reverse("subscriber_list_export"), {"format": fmt, "q": "Абонент 00000"})
    assert Job.objects.get(pk=warm_up["Location"].split("/")[2]).state == Job.State.DONE
    tracemalloc.start()
    try:
        response = client.get(reverse("subscriber_list_export"), {"format": fmt})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 302
    return peak, Job.objects.latest("pk")


# A bound far under what the rows would take: 20,000 subscribers as dicts are ≈ 20 MiB,
# as model instances more. The job holds one chunk of CHUNK_ROWS (2,000) of them and
# the writer's buffers: measured 1.5 MiB at 2,000 rows and 2.0 MiB at 20,000.
BOUND = 5 * MIB


@pytest.mark.parametrize("n", [2_000, 20_000])
def test_a_big_download_job_stays_under_a_fixed_memory_bound(
    logged_in, viewer, partner_of, settings, n
):
    partner_of(n)
    settings.DOWNLOAD_IMMEDIATE_MAX_ROWS = 0  # every download is a job, the warm-up's too
    client = logged_in(viewer)

    peak, job = peak_of_the_job(client, "csv")

    assert (job.state, job.done, job.total) == (Job.State.DONE, n, n)
    assert peak < BOUND, f"{peak / MIB:.1f} MiB at {n} rows"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_memory_benchmark_measures_a_case(fmt):
    """`python -m benchmarks.export_memory` runs each case so, in a process of its own."""
    from benchmarks.export_memory import run_case

    row = run_case({"source": "generated", "format": fmt, "rows": 300}, traced=False)

    assert row["rows"] == 300
    assert row["size"] > 300 * 10
    assert row["seconds"] > 0 and row["added"] >= 0
