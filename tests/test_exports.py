"""Downloads of the cabinet's lists: XLSX and CSV opened back and compared with the page.

Each download is read back with openpyxl (typed cells) and with csv (UTF-8
with BOM, `;`), and must hold the page's rows — same filters, same order —
from every page, not only the first.
"""

import csv
import datetime
import io
import tracemalloc
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pytest_django.asserts import assertContains

from spreadsheets.export import (
    CSV_BATCH_ROWS,
    DATE,
    INTEGER,
    MONEY,
    MONTH,
    TEXT,
    Column,
    csv_chunks,
    csv_text,
    write_xlsx,
)
from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription
from subscriptions.periods import Periodicity
from tests import factories

DAY = datetime.timedelta(days=1)


def download(client, url, params=None, fmt="xlsx"):
    response = client.get(url, {**(params or {}), "format": fmt})
    assert response.status_code == 200, response.status_code
    assert isinstance(response, StreamingHttpResponse)
    return response, b"".join(response.streaming_content)


def xlsx_sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def xlsx_rows(content: bytes) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in xlsx_sheet(content).iter_rows()]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def excel_text(text: str) -> str:
    """How the CSV holds text that Excel would otherwise read as a number or a date."""
    return f'="{text}"'


def both(client, url, params=None):
    """(XLSX rows, CSV rows) of one download, header first."""
    _response, xlsx = download(client, url, params, "xlsx")
    _response, text = download(client, url, params, "csv")
    return xlsx_rows(xlsx), csv_rows(text)


# --- «Обслуживаемые абоненты» ---------------------------------------------------------

SUBSCRIBERS = reverse("subscriber_list")
SUBSCRIBERS_EXPORT = reverse("subscriber_list_export")


@pytest.fixture
def three_subscribers_one_without_a_city(three_subscribers):
    """`three_subscribers` with «Лотос»'s city never filled in: sorting by city meets an
    empty value, and the download must keep the page's order all the same."""
    lotos = three_subscribers["lotos"]
    Subscriber.objects.filter(pk=lotos.pk).update(city="")  # as if created without one
    lotos.refresh_from_db()
    return three_subscribers


def page_subscribers(client, params) -> list:
    response = client.get(SUBSCRIBERS, params)
    assert response.status_code == 200
    return list(response.context["page_obj"].object_list)


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "-sessions"}, {"sort": "city"}, {"q": "о"}, {"q": "о", "sort": "-name"}],
)
def test_subscriber_list_download_has_the_pages_rows_in_its_order(
    logged_in, viewer, three_subscribers_one_without_a_city, params
):
    client = logged_in(viewer)
    expected = page_subscribers(client, params)

    xlsx, text = both(client, SUBSCRIBERS_EXPORT, params)

    header = ["Код абонента", "Наименование", "БИН/ИИН", "Город", "Тариф", "Сеансы", "Базы"]
    assert list(xlsx[0]) == header
    assert text[0] == header
    assert [row[0] for row in xlsx[1:]] == [s.code for s in expected]
    assert [row[0] for row in text[1:]] == [excel_text(s.code) for s in expected]
    assert [row[5] for row in xlsx[1:]] == [s.limit_sessions for s in expected]
    assert [row[6] for row in text[1:]] == [str(s.limit_infobases) for s in expected]
    assert "ТОО Чужой абонент" not in {row[1] for row in xlsx[1:]}


def test_subscriber_list_download_has_every_page(logged_in, viewer, organization):
    for n in range(30):
        factories.SubscriberFactory(organization=organization, name=f"Абонент {n:02d}")
    client = logged_in(viewer)
    params = {"sort": "-name"}
    pages = page_subscribers(client, params) + page_subscribers(client, {**params, "page": 2})

    xlsx, text = both(client, SUBSCRIBERS_EXPORT, {**params, "page": 2})

    assert len(pages) == 30
    assert [row[1] for row in xlsx[1:]] == [s.name for s in pages]
    assert [row[1] for row in text[1:]] == [s.name for s in pages]


def test_subscriber_list_cells_are_typed(logged_in, viewer, three_subscribers_one_without_a_city):
    subscribers = three_subscribers_one_without_a_city
    _response, content = download(logged_in(viewer), SUBSCRIBERS_EXPORT)
    sheet = xlsx_sheet(content)
    header, romashka = (
        list(sheet.iter_rows())[0],
        next(row for row in sheet.iter_rows() if row[1].value == 'ТОО "Ромашка"'),
    )

    assert all(cell.font.b for cell in header)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 30
    # 12-digit codes and BIN/IIN stay text (a leading zero survives), limits are numbers
    assert romashka[0].data_type == "s" and romashka[0].value == subscribers["romashka"].code
    assert romashka[2].data_type == "s" and romashka[2].value == subscribers["romashka"].bin_iin
    assert romashka[4].value == "Стандарт"
    assert (romashka[5].value, romashka[6].value) == (5 + 3, 2)
    assert isinstance(romashka[5].value, int)


def test_download_of_a_name_that_looks_like_a_formula_stays_text(logged_in, viewer, organization):
    factories.SubscriberFactory(organization=organization, name='=HYPERLINK("http://x","y")')
    client = logged_in(viewer)

    _response, content = download(client, SUBSCRIBERS_EXPORT)
    cell = xlsx_sheet(content)["B2"]
    _response, text = download(client, SUBSCRIBERS_EXPORT, fmt="csv")

    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x","y")'
    assert csv_rows(text)[1][1] == '\'=HYPERLINK("http://x","y")'


def test_csv_keeps_codes_and_bin_iin_as_text_when_excel_opens_it(logged_in, viewer, organization):
    factories.SubscriberFactory(
        organization=organization, name="12.05", code="012345678901", bin_iin="000000000010"
    )
    client = logged_in(viewer)

    _response, content = download(client, SUBSCRIBERS_EXPORT, fmt="csv")
    raw_line = content.decode("utf-8-sig").splitlines()[1]
    code, name, bin_iin = csv_rows(content)[1][:3]

    # Excel shows the value of ="…": the text itself, leading zeros and all.
    assert (code, name, bin_iin) == ('="012345678901"', '="12.05"', '="000000000010"')
    assert raw_line.startswith('"=""012345678901""";"=""12.05""";"=""000000000010""";')


@pytest.mark.parametrize(
    ("kind", "value", "written"),
    [
        # Excel would make a number, a date, a time or a percentage of these: ="…"
        (TEXT, "770100000011", '="770100000011"'),
        (TEXT, "000000000010", '="000000000010"'),
        (TEXT, "1-2", '="1-2"'),
        (TEXT, "12:30", '="12:30"'),
        (TEXT, "1,5", '="1,5"'),
        (TEXT, "5%", '="5%"'),
        (TEXT, "1e5", '="1e5"'),
        (MONTH, datetime.date(2026, 1, 1), '="01.2026"'),
        # a formula's first character: an apostrophe, never ="…"
        (TEXT, "=1+1", "'=1+1"),
        (TEXT, "-1", "'-1"),
        (TEXT, "+7 701 000 00 00", "'+7 701 000 00 00"),
        (TEXT, "@SUM(A1)", "'@SUM(A1)"),
        (TEXT, "\t12", "'\t12"),
        # anything else as it is: Excel keeps text as text
        (TEXT, 'ТОО "Ромашка"', 'ТОО "Ромашка"'),
        (TEXT, "Т00000012", "Т00000012"),
        (TEXT, '1";HYPERLINK("http://x")', '1";HYPERLINK("http://x")'),
        (TEXT, "1" * 256, "1" * 256),  # too long for a formula's text: as it is
        # numbers and dates are meant as numbers and dates
        (INTEGER, 12, "12"),
        (MONEY, Decimal("8500.50"), "8500,50"),
        (DATE, datetime.date(2026, 1, 31), "31.01.2026"),
    ],
)
def test_csv_text_of_a_value(kind, value, written):
    assert csv_text(kind, value) == written


FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


@given(st.text(alphabet='0123456789=+-@"; .,:/%eE()AЯ\t\r') | st.text())
def test_no_text_becomes_a_formula_with_its_content(text):
    """A CSV cell Excel would read as a formula is ="…" around text with no quote, or nothing."""
    written = csv_text(TEXT, text)

    if written.startswith(FORMULA_FIRST):
        assert written.startswith('="') and written.endswith('"')
        inner = written[2:-1]
        assert inner == text
        assert '"' not in inner  # the string constant cannot be closed early
        assert inner[0].isdigit() and set(inner) <= set("0123456789 .,:/%+-eE")
    elif text.startswith(FORMULA_FIRST):
        assert written == "'" + text


def test_control_characters_in_a_name_do_not_break_the_download(logged_in, viewer, organization):
    factories.SubscriberFactory(organization=organization, name="ТОО \x01Бета\x1f")
    client = logged_in(viewer)

    xlsx, text = both(client, SUBSCRIBERS_EXPORT)

    assert xlsx[1][1] == "ТОО Бета"  # XLSX cannot hold them
    assert text[1][1] == "ТОО \x01Бета\x1f"


def test_download_headers_name_the_file_and_its_type(
    logged_in, viewer, three_subscribers_one_without_a_city, today
):
    client = logged_in(viewer)

    xlsx, _content = download(client, SUBSCRIBERS_EXPORT)
    text, _content = download(client, SUBSCRIBERS_EXPORT, fmt="csv")

    # The list's own name for browsers (RFC 6266), a transliterated one for old clients.
    name = f"abonenty-{today.isoformat()}"
    russian = quote(f"Обслуживаемые абоненты {today.isoformat()}")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    assert xlsx["Content-Disposition"] == (
        f"attachment; filename=\"{name}.xlsx\"; filename*=UTF-8''{russian}.xlsx"
    )
    assert text["Content-Type"] == "text/csv; charset=utf-8"
    assert text["Content-Disposition"].startswith(f'attachment; filename="{name}.csv"')
    assert "no-store" in text["Cache-Control"]


def test_subscriber_list_links_to_its_downloads_keeping_search_and_sort(
    logged_in, viewer, three_subscribers_one_without_a_city
):
    response = logged_in(viewer).get(SUBSCRIBERS, {"q": "о", "sort": "-name", "page": "1"})

    assertContains(response, f'href="{SUBSCRIBERS_EXPORT}?q=%D0%BE&amp;sort=-name&amp;format=xlsx"')
    assertContains(response, f'href="{SUBSCRIBERS_EXPORT}?q=%D0%BE&amp;sort=-name&amp;format=csv"')
    assertContains(response, "Скачать XLSX")
    assertContains(response, "Скачать CSV")


def test_bad_search_download_is_a_400_like_the_page(
    logged_in, viewer, three_subscribers_one_without_a_city
):
    client = logged_in(viewer)

    page = client.get(SUBSCRIBERS, {"q": "я" * 201})
    response = client.get(SUBSCRIBERS_EXPORT, {"q": "я" * 201, "format": "csv"})

    assert page.status_code == response.status_code == 400
    assertContains(response, "Не длиннее 200 символов.", status_code=400)


@pytest.mark.parametrize("fmt", ["pdf", "XLSX", ""])
def test_unknown_format_is_a_400(logged_in, viewer, three_subscribers_one_without_a_city, fmt):
    response = logged_in(viewer).get(SUBSCRIBERS_EXPORT, {"format": fmt})

    assert response.status_code == 400


def test_anonymous_download_asks_to_log_in(client, three_subscribers_one_without_a_city):
    response = client.get(SUBSCRIBERS_EXPORT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- «Подписки обслуживаемых абонентов» ------------------------------------------------

SUBSCRIPTIONS = reverse("subscription_list")
SUBSCRIPTIONS_EXPORT = reverse("subscription_list_export")


@pytest.fixture
def documents_of_every_kind_with_a_kept_amount(documents_of_every_kind):
    """`documents_of_every_kind` whose posted «sessions» × 3 kept 8 500,50 ₸ when it was
    posted (today's price would make 9 000 ₸): the downloads show the kept amount."""
    sessions = documents_of_every_kind["sessions"]
    # Written as the factory would have: in the one saved row, no second history record.
    ExtensionSubscription.objects.filter(pk=sessions.pk).update(amount=Decimal("8500.50"))
    sessions.refresh_from_db()
    return documents_of_every_kind


def page_numbers(client, params) -> list[str]:
    response = client.get(SUBSCRIPTIONS, params)
    assert response.status_code == 200
    return [row.number for row in response.context["rows"]]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "draft"},
        {"kind": "extension"},
        {"q": "ромашка", "status": "posted"},
        {"active_on": "__today__"},
        {"ends_within": 15},
        {"tariff": "__base_tariff__"},
    ],
)
def test_subscription_list_download_has_the_pages_rows_in_its_order(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount, base_tariff, today, params
):
    replace = {"__today__": today.strftime("%d.%m.%Y"), "__base_tariff__": base_tariff.pk}
    params = {key: replace.get(value, value) for key, value in params.items()}
    client = logged_in(viewer)
    expected = page_numbers(client, params)

    xlsx, text = both(client, SUBSCRIPTIONS_EXPORT, params)

    assert expected, "the filter leaves rows to compare"
    assert [row[0] for row in xlsx[1:]] == expected
    assert [row[0] for row in text[1:]] == expected
    assert documents_of_every_kind_with_a_kept_amount["foreign"].number not in {
        row[0] for row in xlsx
    }


def test_subscription_list_cells_are_typed(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount, today
):
    client = logged_in(viewer)
    documents = documents_of_every_kind_with_a_kept_amount
    sessions = documents["sessions"]

    xlsx, text = both(client, SUBSCRIPTIONS_EXPORT)
    _response, content = download(client, SUBSCRIPTIONS_EXPORT)
    sheet = xlsx_sheet(content)

    header = [
        "Номер",
        "Тип подписки",
        "Абонент",
        "Тариф",
        "Период действия",
        "Действует с",
        "по",
        "Количество",
        "Состояние",
        "Сумма, ₸",
    ]
    assert list(xlsx[0]) == header and text[0] == header
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == sessions.number)
    assert row[1].value == "Расширяющая"
    assert row[5].value.date() == sessions.starts_on  # a date cell
    assert row[5].number_format == "DD.MM.YYYY"
    assert row[6].value.date() == sessions.ends_on
    assert row[7].value == 3
    assert row[9].value == pytest.approx(8500.50)  # the kept amount, a number
    assert "₸" in row[9].number_format
    current = next(
        r for r in sheet.iter_rows(min_row=2) if r[0].value == documents["current"].number
    )
    assert current[9].value == 120000 and current[9].number_format == '#,##0 "₸"'
    assert current[7].value is None  # no quantity for a base

    line = next(r for r in text if r[0] == sessions.number)
    assert line[5] == sessions.starts_on.strftime("%d.%m.%Y")
    assert line[7] == "3"
    assert line[9] == "8500,50"
    draft = next(r for r in text if r[0] == documents["infobases"].number)
    assert (draft[8], draft[9]) == ("Черновик", "11000")  # today's price × quantity


def test_bad_filter_download_is_a_400_like_the_page(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount
):
    client = logged_in(viewer)

    for params in ({"tariff": "abc"}, {"active_on": "31.02.2025"}, {"ends_within": "-1"}):
        page = client.get(SUBSCRIPTIONS, params)
        response = client.get(SUBSCRIPTIONS_EXPORT, {**params, "format": "xlsx"})
        assert page.status_code == response.status_code == 400
        assertContains(response, "Исправьте фильтр", status_code=400)


def test_subscription_list_links_to_its_downloads_keeping_the_filters(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount
):
    response = logged_in(viewer).get(SUBSCRIPTIONS, {"status": "posted", "page": 1})

    assertContains(response, f'href="{SUBSCRIPTIONS_EXPORT}?status=posted&amp;format=xlsx"')
    assertContains(response, f'href="{SUBSCRIPTIONS_EXPORT}?status=posted&amp;format=csv"')


# --- The window «Подписка» -------------------------------------------------------------


def test_subscriber_window_download_has_the_pages_rows(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount
):
    subscriber = documents_of_every_kind_with_a_kept_amount["current"].subscriber
    client = logged_in(viewer)
    page = client.get(reverse("subscriber_subscriptions", args=[subscriber.pk]))
    expected = [row.document.number for row in page.context["rows"]]
    url = reverse("subscriber_subscriptions_export", args=[subscriber.pk])

    xlsx, text = both(client, url)

    d = documents_of_every_kind_with_a_kept_amount
    assert expected == [
        d["renewal"].number,
        d["current"].number,
        d["sessions"].number,
        d["infobases"].number,
    ]
    assert [row[0] for row in xlsx[1:]] == expected
    assert [row[0] for row in text[1:]] == expected
    by_number = {row[0]: row for row in xlsx[1:]}
    assert by_number[d["renewal"].number][1] == "Основная"  # a renewal continues «current»
    assert by_number[d["sessions"].number][1:3] == ("Расширяющая", d["current"].number)
    assert by_number[d["current"].number][2] is None
    assert by_number[d["sessions"].number][7] == 3
    assert by_number[d["sessions"].number][9] == pytest.approx(8500.50)
    assert isinstance(by_number[d["current"].number][5], datetime.datetime)
    assertContains(page, f'href="{url}?format=xlsx"')


def test_subscriber_window_download_with_many_bases_keeps_extensions_under_their_base(
    logged_in, viewer, subscriber, base_tariff, session_tariff, today, monkeypatch
):
    monkeypatch.setattr("cabinet.exports.CHUNK_ROWS", 2)  # several batches of bases
    day = factories.TariffPeriodFactory(tariff=base_tariff, periodicity=Periodicity.DAY, count=1)
    extension_day = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.DAY, count=1
    )
    for n in range(5):
        base = factories.SubscriptionFactory(
            subscriber=subscriber, tariff=base_tariff, period=day, starts_on=today + n * DAY
        )
        factories.ExtensionFactory(
            subscription=base, tariff=session_tariff, period=extension_day, starts_on=base.starts_on
        )
    client = logged_in(viewer)
    page = client.get(reverse("subscriber_subscriptions", args=[subscriber.pk]))
    url = reverse("subscriber_subscriptions_export", args=[subscriber.pk])

    xlsx, _text = both(client, url)

    assert [row[0] for row in xlsx[1:]] == [row.document.number for row in page.context["rows"]]
    assert [row[1] for row in xlsx[1:]] == ["Основная", "Расширяющая"] * 5


def test_another_organizations_subscriber_window_download_is_a_404(
    logged_in, other_operator, documents_of_every_kind_with_a_kept_amount
):
    url = reverse(
        "subscriber_subscriptions_export",
        args=[documents_of_every_kind_with_a_kept_amount["current"].subscriber_id],
    )
    client = logged_in(other_operator)

    assert client.get(url, {"format": "csv"}).status_code == 404
    assert client.get(url, {"format": "pdf"}).status_code == 404  # scope before anything else


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_every_role_downloads(logged_in, request, documents_of_every_kind_with_a_kept_amount, role):
    client = logged_in(request.getfixturevalue(role))
    subscriber = documents_of_every_kind_with_a_kept_amount["current"].subscriber

    for url in (
        SUBSCRIBERS_EXPORT,
        SUBSCRIPTIONS_EXPORT,
        reverse("subscriber_subscriptions_export", args=[subscriber.pk]),
        reverse("report_extensions_by_month_export"),
    ):
        for fmt in ("xlsx", "csv"):
            download(client, url, fmt=fmt)


# --- The report «Расширения по месяцам» --------------------------------------------------


def test_report_download_has_the_pages_table_and_totals(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount, today
):
    client = logged_in(viewer)
    url = reverse("report_extensions_by_month")
    page = client.get(url)
    report = page.context["report"]

    xlsx, text = both(client, reverse("report_extensions_by_month_export"))
    _response, content = download(client, reverse("report_extensions_by_month_export"))
    sheet = xlsx_sheet(content)

    assert list(xlsx[0]) == [
        "Месяц",
        "Тариф",
        "Документов",
        "Количество расширений",
        "Сумма, ₸",
        "Не использовано, ₸",
    ]
    body = [
        (row.month, row.tariff_label, row.figures.documents, row.figures.quantity)
        for row in report.rows()
    ]
    assert [(r[0].date(), r[1], r[2], r[3]) for r in xlsx[1 : len(body) + 1]] == body
    assert [(r[0], r[1], r[2], r[3]) for r in text[1 : len(body) + 1]] == [
        (excel_text(m.strftime("%m.%Y")), t, str(d), str(q)) for m, t, d, q in body
    ]
    total = xlsx[-1]
    assert total[:4] == (None, "Итого", 1, 3)  # the posted sessions; the draft does not count
    assert total[4] == pytest.approx(8500.50)
    assert total[5] == 0  # nothing ended early
    assert text[-1] == ["", "Итого", "1", "3", "8500,50", "0"]
    assert sheet.cell(row=sheet.max_row, column=2).font.b
    assert sheet.cell(row=2, column=1).number_format == "MMMM YYYY"


def test_bad_report_range_download_is_a_400_like_the_page(
    logged_in, viewer, documents_of_every_kind_with_a_kept_amount
):
    client = logged_in(viewer)
    params = {"from_month": "2026-13"}

    page = client.get(reverse("report_extensions_by_month"), params)
    response = client.get(reverse("report_extensions_by_month_export"), params)

    assert page.status_code == response.status_code == 400
    assertContains(response, "Введите месяц в формате ММ.ГГГГ", status_code=400)


# --- Streaming, memory, queries ---------------------------------------------------------


def test_csv_is_streamed_in_batches(logged_in, viewer, organization):
    factories.SubscriberFactory.create_batch(CSV_BATCH_ROWS + 10, organization=organization)

    response = logged_in(viewer).get(SUBSCRIBERS_EXPORT, {"format": "csv"})
    chunks = list(response.streaming_content)

    assert isinstance(response, StreamingHttpResponse)
    assert len(chunks) == 3  # BOM and header, a full batch, the rest
    assert len(csv_rows(b"".join(chunks))) == 1 + CSV_BATCH_ROWS + 10


def test_xlsx_is_streamed_from_a_file_in_chunks(
    logged_in, viewer, three_subscribers_one_without_a_city
):
    response = logged_in(viewer).get(SUBSCRIBERS_EXPORT)

    assert isinstance(response, StreamingHttpResponse)
    assert int(response["Content-Length"]) == len(b"".join(response.streaming_content))


def _many_rows(n):
    day = datetime.date(2026, 1, 1)
    for i in range(n):
        yield (f"{i:012d}", f"Абонент {i}", day, i)


MANY_COLUMNS = [
    Column("Код", lambda r: r[0], TEXT),
    Column("Наименование", lambda r: r[1], TEXT),
    Column("Дата", lambda r: r[2], "date"),
    Column("Число", lambda r: r[3], "integer"),
]


def _peak_memory(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writers_hold_only_a_little_of_a_long_table_in_memory():
    rows = 10_000

    def write_csv():
        for _chunk in csv_chunks(MANY_COLUMNS, _many_rows(rows)):
            pass

    def write_workbook():
        write_xlsx(MANY_COLUMNS, _many_rows(rows), sheet_title="Тест").close()

    # The CSV keeps one batch, the write-only workbook little more: its rows go
    # to a temporary file (a workbook built in memory takes about 14 MB here).
    assert _peak_memory(write_csv) < 1_000_000
    assert _peak_memory(write_workbook) < 4_000_000


# The session, the user, the membership, then the export's own queries: a count that
# stops at DOWNLOAD_IMMEDIATE_MAX_ROWS + 1 (small enough to answer at once?), then the rows.
EXPORT_QUERIES = {
    "subscribers": 3 + 1 + 1,  # the annotated subscribers, read in chunks by one query
    "subscriptions": 3 + 1 + 1,  # the UNION ALL of both kinds
    "window": 3 + 1 + 3,  # the subscriber, its bases, their extensions
    "report": 3 + 2,  # the aggregate, the extension tariffs (counted in memory)
}


@pytest.mark.parametrize("rows", [5, 40])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_download_queries_do_not_grow_with_rows(
    logged_in, viewer, populate, rows, fmt, django_assert_num_queries
):
    subscribers = populate(rows)
    client = logged_in(viewer)
    window = reverse("subscriber_subscriptions_export", args=[subscribers[0].pk])
    urls = {
        "subscribers": SUBSCRIBERS_EXPORT,
        "subscriptions": SUBSCRIPTIONS_EXPORT,
        "window": window,
        "report": reverse("report_extensions_by_month_export"),
    }

    for name, url in urls.items():
        with django_assert_num_queries(EXPORT_QUERIES[name]):
            response = client.get(url, {"format": fmt})
            content = b"".join(response.streaming_content)
        assert response.status_code == 200, name
        assert content
