"""The cabinet's tables as downloads: XLSX and CSV, streamed.

A table is a list of `Column`s and an iterable of rows (any objects; each
column reads its value from a row). The caller passes the very queryset its
page shows — same filters, same order — iterated with `.iterator()`, so a
download of 100,000 rows holds a few thousand of them in memory at a time:

- XLSX: openpyxl in write-only mode (rows go straight to a temporary file,
  strings inline: nothing grows with the rows in memory), typed cells (dates
  are dates, amounts are numbers with a tenge format), a bold header row with
  an autofilter, panes frozen below it, column widths. The finished workbook
  sits in a SpooledTemporaryFile (on disk past a few megabytes) and is
  streamed from there in chunks — or, for a big download's job, in the job's
  file (`write_xlsx(..., target=)`).
- CSV: what Excel in Russian opens as it is — UTF-8 with a BOM, `;` between
  fields, dates as dd.mm.yyyy, a decimal comma. Generated row by row while
  it is being sent, or written so into a job's file (`write_csv`).

Text that a spreadsheet would take for a formula (starting with =, +, -, @)
stays text: a forced string cell in XLSX, a leading apostrophe in CSV (the
OWASP advice against CSV injection). Text that Excel would take for a number
or a date — a 12-digit code, «01.2026» — stays text too: a string cell in
XLSX, the formula ="…" in CSV (see `csv_text`).
"""

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import BadRequest
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX = "xlsx"
CSV = "csv"
FORMATS = (XLSX, CSV)
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
}

# Column kinds: how a value is typed in XLSX and written in CSV.
TEXT = "text"
INTEGER = "integer"
DATE = "date"
MONTH = "month"  # a date standing for its month
MONEY = "money"  # tenge

DATE_FORMAT = "DD.MM.YYYY"
MONTH_FORMAT = "MMMM YYYY"
# Excel shows "," as the locale's group separator: «12 000 ₸» in Russian.
TENGE_FORMAT = '#,##0 "₸"'
TENGE_KOPECKS_FORMAT = '#,##0.00 "₸"'

CHUNK_ROWS = 2000  # rows read from the database at a time (queryset.iterator)
CSV_BATCH_ROWS = 500  # rows per chunk sent to the client
STREAM_BLOCK_SIZE = 64 * 1024
SPOOL_MAX_BYTES = 4 * 1024 * 1024  # a bigger workbook waits on disk, not in memory

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Text Excel would convert when it opens a CSV: a number (a 12-digit code or BIN/IIN
# becomes 7,70E+11 and loses its leading zeros), a date or a time («01.2026» becomes
# 1 January, «1-2» the 1st of February), a percentage. It starts with a digit and
# holds nothing but digits, spaces and . , : / - + % e E.
_EXCEL_WOULD_CONVERT = re.compile(r"[0-9][0-9 .,:/%+eE-]*")
# Excel refuses a text constant longer than this inside a formula.
_EXCEL_FORMULA_TEXT_LIMIT = 255


@dataclass(frozen=True)
class Column:
    """One column of a download: its header, how to read a row, its kind and width."""

    header: str
    value: Callable[[object], object]
    kind: str = TEXT
    width: float = 14


def requested_format(request) -> str:
    """`?format=xlsx|csv` (XLSX when absent); anything else is a 400."""
    value = request.GET.get("format", XLSX)
    if value not in FORMATS:
        raise BadRequest(_("Формат выгрузки — xlsx или csv."))
    return value


def filename_for(stem: str, day: datetime.date, fmt: str) -> str:
    """«abonenty-2026-11-29.xlsx»: an ASCII stem, the day of the download."""
    return f"{stem}-{day.isoformat()}.{fmt}"


def content_disposition(filename: str, ascii_filename: str | None = None) -> str:
    """An attachment header: the name in any language as RFC 6266's `filename*`, and
    `ascii_filename` (else `filename` with its other letters as «?») for old clients."""
    ascii_name = (ascii_filename or filename).encode("ascii", "replace").decode()
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def export_response(
    *,
    fmt: str,
    columns: list[Column],
    rows: Iterable,
    filename: str,
    sheet_title: str,
    emphasize: Callable[[object], bool] | None = None,
    ascii_filename: str | None = None,
) -> StreamingHttpResponse:
    """The download of `rows` as `fmt` ("xlsx" or "csv"), streamed.

    `emphasize(row)` marks rows (a totals row) that XLSX shows in bold.
    `filename` may be in any language; `ascii_filename` is the name for
    clients that read only ASCII (see `content_disposition`).
    """
    if fmt == XLSX:
        workbook = write_xlsx(columns, rows, sheet_title=sheet_title, emphasize=emphasize)
        response = FileResponse(workbook, content_type=CONTENT_TYPES[XLSX])
        response.block_size = STREAM_BLOCK_SIZE
    else:
        response = StreamingHttpResponse(csv_chunks(columns, rows), content_type=CONTENT_TYPES[CSV])
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    # A download of personal data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


# --- XLSX ---------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31] or "Sheet"


def write_xlsx(columns, rows, *, sheet_title: str, emphasize=None, target=None):
    """The workbook written into the binary file `target`, positioned at its start.

    Without `target`, into a SpooledTemporaryFile (returned). Rows are written
    one at a time to openpyxl's temporary sheet file, cells as inline strings:
    nothing grows with the number of rows but the files.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    header_alignment = Alignment(vertical="top", wrap_text=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cell.alignment = header_alignment
        header.append(cell)
    sheet.append(header)

    count = 0
    for row in rows:
        strong = bool(emphasize and emphasize(row))
        sheet.append([_xlsx_cell(sheet, column, column.value(row), strong) for column in columns])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"

    if target is None:
        target = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)
    workbook.save(target)
    target.seek(0)
    return target


def _xlsx_cell(sheet, column: Column, value, strong: bool):
    value = _xlsx_value(column.kind, value)
    if not strong and column.kind in (TEXT, INTEGER):
        if not (isinstance(value, str) and value.startswith("=")):
            return value  # a plain value is typed by openpyxl, and costs no cell object
    cell = WriteOnlyCell(sheet, value=value)
    if cell.data_type == "f":
        cell.data_type = "s"  # a name that starts with "=" is a name, not a formula
    elif column.kind == DATE:
        cell.number_format = DATE_FORMAT
    elif column.kind == MONTH:
        cell.number_format = MONTH_FORMAT
    elif column.kind == MONEY and value is not None:
        whole = Decimal(value) == Decimal(value).to_integral_value()
        cell.number_format = TENGE_FORMAT if whole else TENGE_KOPECKS_FORMAT
    if strong:
        cell.font = Font(bold=True)
    return cell


def _xlsx_value(kind: str, value):
    if value is None or value == "":
        return None
    if kind == TEXT:
        # Control characters cannot be stored in XLSX (openpyxl refuses them).
        return ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if kind == MONTH and isinstance(value, datetime.date):
        return value.replace(day=1)
    return value


# --- CSV ----------------------------------------------------------------------------


def csv_text(kind: str, value) -> str:
    """A value as CSV text that Excel in Russian reads back as the same value."""
    if value is None or value == "":
        return ""
    if kind == DATE:
        return value.strftime("%d.%m.%Y")  # Russian Excel reads it as the date it is
    if kind == MONTH:
        return _csv_kept_text(value.strftime("%m.%Y"))
    if kind == MONEY:
        amount = Decimal(value)
        if amount == amount.to_integral_value():
            return str(int(amount))
        return f"{amount:.2f}".replace(".", ",")
    if kind == INTEGER:
        return str(int(value))
    return _csv_kept_text(str(value))


def _csv_kept_text(text: str) -> str:
    """`text` written so that Excel, opening the CSV, shows it as this very text.

    - Text that starts like a formula (= + - @, tab, CR) gets a leading
      apostrophe, the OWASP advice against formula injection: Excel shows the
      apostrophe in a CSV, and the cell stays inert text.
    - Text that Excel would turn into a number or a date is written as the
      formula ="…", whose value is that text: Excel in any language shows it as
      text (there is no function name to translate), with its leading zeros.
      Neither an apostrophe (it would stay visible) nor a leading tab (it would
      stay in the cell, and in anything copied from it) does that. Only text
      made of digits, spaces and . , : / - + % e E takes this form: it holds no
      quote to end the string, so the formula can never be anything but that
      one constant — no user content becomes a formula.
    - Anything else is written as it is.
    """
    if text.startswith(_FORMULA_PREFIXES):
        return f"'{text}"
    if len(text) <= _EXCEL_FORMULA_TEXT_LIMIT and _EXCEL_WOULD_CONVERT.fullmatch(text):
        return f'="{text}"'
    return text


def csv_chunks(columns, rows) -> Iterator[bytes]:
    """The CSV as byte chunks: the BOM and the header first, then batches of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([csv_text(column.kind, column.value(row)) for column in columns])
        pending += 1
        if pending == CSV_BATCH_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode()


def write_csv(columns, rows, target) -> None:
    """The CSV of `csv_chunks()` into the binary file `target`, positioned at its start."""
    for chunk in csv_chunks(columns, rows):
        target.write(chunk)
    target.flush()
    target.seek(0)
