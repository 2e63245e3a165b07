"""Every list can be downloaded as CSV, XLSX or JSON, exactly as filtered and all of it.

Rows are streamed from the database in chunks, so memory stays flat however many there
are. CSV starts with a UTF-8 byte-order mark so that Excel and LibreOffice read the
Chinese correctly; its and the workbook's column headers are in the page's language
(an export's `labels`). JSON keeps stable English keys (its meta gives the labels) and
carries the same fields, plus absolute links. Numbers are written as the source prints
them, a change signed.
"""

import csv
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from core.text import english

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


class _Line:
    """A file-like object for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def filename(what: str, extension: str, *, filtered: bool) -> str:
    today = timezone.localdate().isoformat()
    return f"kb-{what}{'-filtered' if filtered else ''}-{today}.{extension}"


def csv_response(
    rows: Iterable[dict], columns: list[str], name: str, header: list[str] | None = None
) -> StreamingHttpResponse:
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([cell(title) for title in header or columns])
        for row in rows:
            yield writer.writerow([csv_value(row.get(column)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_value(value):
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not NUMBER.fullmatch(value):
        # Spreadsheets run a cell that starts like a formula; an apostrophe keeps it text.
        return "'" + value
    return "" if value is None else value


def json_response(rows: Iterable[dict], name: str, meta: dict) -> StreamingHttpResponse:
    def chunks() -> Iterator[str]:
        yield '{"meta": ' + json.dumps(meta, ensure_ascii=False, default=str) + ', "rows": ['
        for index, row in enumerate(rows):
            line = json.dumps(row, ensure_ascii=False, default=json_number)
            yield ("," if index else "") + "\n" + line
        yield "\n]}\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class Link:
    """An export column whose value is a path on this site, written out as a full URL."""

    def __init__(self, path: Callable[[Any], str]):
        self.path = path


# An export's columns: name -> the value of a row (a callable, or a Link to a page).
Columns = dict[str, Callable[[Any], Any] | Link]


def export(
    request: HttpRequest,
    fmt: str,
    *,
    what: str,
    rows: Iterable,
    columns: Columns,
    filtered: bool,
    filters: dict,
    labels: dict | None = None,
) -> StreamingHttpResponse | FileResponse:
    """The response for one list: each of `rows` becomes a line of the `columns`, headed
    by their `labels` (in the page's language) in CSV and XLSX."""
    name = filename(what, fmt, filtered=filtered)
    absolute = request.build_absolute_uri

    def values() -> Iterator[dict]:
        for row in rows:
            yield {
                column: absolute(value.path(row)) if isinstance(value, Link) else value(row)
                for column, value in columns.items()
            }

    if fmt == "csv":
        return csv_response(values(), list(columns), name, header=headers(columns, labels))
    if fmt == "xlsx":
        return xlsx_response(values(), list(columns), headers(columns, labels), name)
    meta = {
        "what": what,
        "filters": filters,
        "generated": timezone.localtime().isoformat(timespec="seconds"),
        "source": request.build_absolute_uri(),
        "columns": list(columns),
        "labels": headers(columns, labels),
    }
    return json_response(values(), name, meta)


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def chunks(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def related_names(model, field: str, ids: list[int]) -> dict[int, list[str]]:
    """{id: [name, ...]} of a many-to-many vocabulary for a chunk of rows, in one query:
    each name in the page's language (the editorial English name on English pages)."""
    relation = model._meta.get_field(field)
    through = relation.remote_field.through
    source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    name = f"{target}__name_en" if english() else f"{target}__name"
    found: dict[int, list[str]] = {}
    pairs = through.objects.filter(**{f"{source}_id__in": ids}).order_by(f"{target}__slug")
    for row_id, chinese, shown in pairs.values_list(f"{source}_id", f"{target}__name", name):
        found.setdefault(row_id, []).append(shown or chinese)
    return found


def plain(value: Decimal | None) -> int | Decimal | None:
    """A stored decimal without the zeros its column pads it with (100.00 is 100)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value.normalize()


def related_slugs(model, field: str, ids: list[int]) -> dict[int, list[str]]:
    """{id: [slug, ...]} of a many-to-many field for a chunk of rows, in one query."""
    relation = model._meta.get_field(field)
    through = relation.remote_field.through
    source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    found: dict[int, list[str]] = {}
    pairs = through.objects.filter(**{f"{source}_id__in": ids}).order_by(f"{target}__slug")
    for row_id, slug in pairs.values_list(f"{source}_id", f"{target}__slug"):
        found.setdefault(row_id, []).append(slug)
    return found


def url_maker(name: str, *placeholders) -> Callable[..., str]:
    """A fast reverse() for one URL pattern, for export rows: reverse once with
    placeholders, then fill them in per row."""
    template = reverse(name, args=placeholders)

    def make(*values) -> str:
        url = template
        for placeholder, value in zip(placeholders, values, strict=True):
            url = url.replace(str(placeholder), str(value), 1)
        return url

    return make


# ---- Spreadsheets and the page's language ----
# Column headers are the page's words for each column (`labels`), an .xlsx file is written
# beside CSV and JSON, and numbers are written as numbers.


def headers(columns: Iterable[str], labels: dict | None) -> list[str]:
    """Each column's header: its label in the page's language, else its key."""
    labels = labels or {}
    return [str(labels.get(column, column)) for column in columns]


def cell(value):
    """What one exported cell holds. Every CSV and XLSX cell is written through here, so
    the formula guard (csv_value) applies to both."""
    return csv_value(value)


def printed_number(text: str, sign: int = 1) -> int | Decimal | None:
    """A number as the source prints it (2518, 6.10), signed: 同比下降23% is -23."""
    if not text:
        return None
    number = Decimal(text) * sign
    return int(number) if "." not in text else number


def xlsx_response(
    rows: Iterable[dict], columns: list[str], header: list[str], name: str
) -> FileResponse:
    """The rows as an .xlsx workbook. XlsxWriter's constant_memory mode writes each row to
    disk as it comes, so memory stays flat however many rows there are; the finished file
    is then streamed from a temporary file, deleted when the response closes."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook = xlsxwriter.Workbook(
        spool, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    sheet.set_column(0, len(columns) - 1, 16)
    sheet.freeze_panes(1, 0)
    for index, title in enumerate(header):
        sheet.write_string(0, index, cell(title), bold)
    for line, row in enumerate(rows, start=1):
        for index, column in enumerate(columns):
            value = row.get(column)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(line, index, value)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(line, index, value)
            else:
                sheet.write_string(line, index, str(cell(value)))
    workbook.close()
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX_TYPE)
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def json_number(value):
    """JSON's default for what json cannot write: a Decimal as a number, else text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)
