"""Every list can be downloaded as CSV or JSON, exactly as filtered and all of it.

Rows are streamed from the database in chunks, so memory stays flat however many there
are. CSV starts with a UTF-8 byte-order mark so that Excel and LibreOffice read the
Chinese correctly, and quotes every cell; its and the workbook's (.xlsx) column headers
are in the page's language (an export's `labels`). JSON keeps stable English keys (its meta gives the
labels) and carries the same fields, plus absolute links. Numbers are written as the
source prints them, a change signed.

Bounds: a download by anyone but staff holds at most KB_EXPORT_ROW_LIMIT rows (the file
says so in a last row, or JSON's "truncated", and the X-Row-Limit header); each client
may start KB_EXPORTS_PER_MINUTE downloads a minute. The first rows are read before the
response starts, so a database outage is the 503 page; one mid-way raises inside the
stream, so the server breaks the transfer off rather than end the file cleanly.
"""

import csv
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django.conf import settings
from django.core.cache import caches
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _

from core.clients import client_address
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


class Capped:
    """The rows, stopping after `limit` (None: all); `truncated` says whether any were left.

    The first row is read at once, while the view still runs: a database outage is then
    an error page, not a 200 whose body stops after the header."""

    def __init__(self, rows: Iterator, limit: int | None):
        self.rows, self.limit, self.truncated = rows, limit, False
        self.first = list(islice(rows, 1))

    def __iter__(self) -> Iterator:
        try:
            for index, row in enumerate(chain(self.first, self.rows)):
                if index == self.limit:
                    self.truncated = True
                    return
                yield row
        finally:
            # Stopped early (the limit, a client gone): close the database cursor now.
            close = getattr(self.rows, "close", None)
            if close:
                close()


def truncated_note(limit: int) -> str:
    return _(
        "本文件只含前 %(limit)s 行：公开下载以此为限。请缩小筛选范围，或请工作人员下载全部。"
    ) % {"limit": f"{limit:,}"}


def csv_response(
    rows: Capped, columns: list[str], name: str, header: list[str] | None = None
) -> StreamingHttpResponse:
    # Every cell quoted: a spreadsheet that splits on ";" or tabs cannot cut a cell so that a
    # part of it starts like a formula.
    writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([cell(title) for title in header or columns])
        for row in rows:
            yield writer.writerow([csv_value(row.get(column)) for column in columns])
        if rows.truncated:
            # A last row a spreadsheet user sees, under the data.
            yield writer.writerow([csv_value(truncated_note(rows.limit))])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_value(value) -> str:
    """One CSV cell. Every cell, whatever it holds, passes the formula guard last."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = "; ".join(cell_part(v) for v in value)
    text = str(value)
    if text[:1] in FORMULA_STARTS and not NUMBER.fullmatch(text):
        # Spreadsheets run a cell that starts like a formula; an apostrophe keeps it text.
        return "'" + text
    return text


def cell_part(value) -> str:
    """One item of a list in a CSV cell; a record (a classification with its evidence) as
    its values, the last quoted: topic credit 信贷 “加大信贷支持力度”."""
    if isinstance(value, dict):
        *head, last = (str(v) for v in value.values())
        return " ".join([*head, f"“{last}”"])
    return str(value)


def json_response(rows: Capped, name: str, meta: dict) -> StreamingHttpResponse:
    def chunks() -> Iterator[str]:
        yield '{"meta": ' + json.dumps(meta, ensure_ascii=False, default=str) + ', "rows": ['
        for index, row in enumerate(rows):
            line = json.dumps(row, ensure_ascii=False, default=json_number)
            yield ("," if index else "") + "\n" + line
        yield f'\n], "truncated": {json.dumps(rows.truncated)}}}\n'

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
) -> HttpResponse:
    """The response for one list: each of `rows` becomes a line of the `columns`, headed
    by their `labels` (in the page's language) in CSV and XLSX."""
    wait = throttled(request)
    if wait:
        response = render(request, "429.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    name = filename(what, fmt, filtered=filtered)
    absolute = request.build_absolute_uri

    def values() -> Iterator[dict]:
        for row in rows:
            yield {
                column: absolute(value.path(row)) if isinstance(value, Link) else value(row)
                for column, value in columns.items()
            }

    limit = row_limit(request)
    capped = Capped(values(), limit)
    if fmt == "csv":
        response = csv_response(capped, list(columns), name, header=headers(columns, labels))
    elif fmt == "xlsx":
        response = xlsx_response(capped, list(columns), headers(columns, labels), name)
    else:
        meta = {
            "what": what,
            "filters": filters,
            "generated": timezone.localtime().isoformat(timespec="seconds"),
            "source": request.build_absolute_uri(),
            "columns": list(columns),
            "labels": headers(columns, labels),
            "row_limit": limit,
        }
        response = json_response(capped, name, meta)
    if limit is not None:
        response["X-Row-Limit"] = str(limit)
    return response


def row_limit(request: HttpRequest) -> int | None:
    """How many rows this visitor may download: staff all of them."""
    return None if request.user.is_staff else settings.KB_EXPORT_ROW_LIMIT


clock = time.time  # the throttle's clock (tests hold it still)


def throttled(request: HttpRequest) -> int:
    """0, or the seconds until this client may start another download (staff are not
    throttled). A fixed one-minute window per client address, counted in the cache."""
    if request.user.is_staff or not settings.KB_EXPORTS_PER_MINUTE:
        return 0
    now = clock()
    window = int(now // 60)
    key = f"exports:{client_address(request)}:{window}"
    counters = caches["counters"]  # never evicted by pages and counts (see settings.CACHES)
    counters.add(key, 0, timeout=60)
    try:
        count = counters.incr(key)
    except ValueError:  # expired between add and incr: a new window
        counters.add(key, 1, timeout=60)
        count = 1
    if count <= settings.KB_EXPORTS_PER_MINUTE:
        return 0
    return max(1, int((window + 1) * 60 - now + 0.999))


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
    # Cut the template at the placeholders once, so a value that happens to contain the
    # next placeholder (a slug with 987654321 in it) cannot be taken for it.
    rest, parts = reverse(name, args=placeholders), []
    for placeholder in placeholders:
        before, found, rest = rest.partition(str(placeholder))
        assert found, f"{placeholder!r} is not in the URL of {name}"
        parts.append(before)

    def make(*values) -> str:
        filled = (
            part + quote(str(value), safe=RFC3986_SUBDELIMS + "~:@")
            for part, value in zip(parts, values, strict=True)
        )
        return "".join(filled) + rest

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
    try:
        number = Decimal(text) * sign
    except ArithmeticError:  # not a number after all: the text, through the cell guard
        return text
    return int(number) if "." not in text else number


def xlsx_response(rows: Capped, columns: list[str], header: list[str], name: str) -> FileResponse:
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
    line = 0
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
    if rows.truncated:  # a last row a spreadsheet user sees, under the data
        sheet.write_string(line + 1, 0, cell(truncated_note(rows.limit)))
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
