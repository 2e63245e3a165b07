"""Every list can be downloaded as CSV or JSON, exactly as filtered and all of it.

Rows are streamed from the database in chunks, so memory stays flat however many there
are. CSV starts with a UTF-8 byte-order mark so that Excel and LibreOffice read the
Chinese correctly, and quotes every cell; its column names are stable English identifiers. JSON carries the
same fields, plus absolute links.

Bounds: a download by anyone but staff holds at most KB_EXPORT_ROW_LIMIT rows (the file
says so in a last row, or JSON's "truncated", and the X-Row-Limit header); each client
may start KB_EXPORTS_PER_MINUTE downloads a minute. The first rows are read before the
response starts, so a database outage is the 503 page; one mid-way raises inside the
stream, so the server breaks the transfer off rather than end the file cleanly.
"""

import csv
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import chain, islice
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _

from core.clients import client_address

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


def csv_response(rows: Capped, columns: list[str], name: str) -> StreamingHttpResponse:
    # Every cell quoted: a spreadsheet that splits on ";" or tabs cannot cut a cell so that a
    # part of it starts like a formula.
    writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([csv_value(column) for column in columns])
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
            yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str)
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
) -> HttpResponse:
    """The response for one list: each of `rows` becomes a line of the `columns`."""
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
        response = csv_response(capped, list(columns), name)
    else:
        meta = {
            "what": what,
            "filters": filters,
            "generated": timezone.localtime().isoformat(timespec="seconds"),
            "source": request.build_absolute_uri(),
            "columns": list(columns),
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
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=60)
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
