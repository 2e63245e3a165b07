"""Every list can be downloaded as CSV or JSON, exactly as filtered and all of it.

Rows are streamed from the database in chunks, so memory stays flat however many there
are. CSV starts with a UTF-8 byte-order mark so that Excel and LibreOffice read the
Chinese correctly; its column names are stable English identifiers. JSON carries the
same fields, plus absolute links.
"""

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

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


def csv_response(rows: Iterable[dict], columns: list[str], name: str) -> StreamingHttpResponse:
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(columns)
        for row in rows:
            yield writer.writerow([csv_value(row.get(column)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_value(value):
    if isinstance(value, list):
        value = "; ".join(cell_part(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not NUMBER.fullmatch(value):
        # Spreadsheets run a cell that starts like a formula; an apostrophe keeps it text.
        return "'" + value
    return "" if value is None else value


def cell_part(value) -> str:
    """One item of a list in a CSV cell; a record (a classification with its evidence) as
    its values, the last quoted: topic credit 信贷 “加大信贷支持力度”."""
    if isinstance(value, dict):
        *head, last = (str(v) for v in value.values())
        return " ".join([*head, f"“{last}”"])
    return str(value)


def json_response(rows: Iterable[dict], name: str, meta: dict) -> StreamingHttpResponse:
    def chunks() -> Iterator[str]:
        yield '{"meta": ' + json.dumps(meta, ensure_ascii=False, default=str) + ', "rows": ['
        for index, row in enumerate(rows):
            yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str)
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
) -> StreamingHttpResponse:
    """The response for one list: each of `rows` becomes a line of the `columns`."""
    name = filename(what, fmt, filtered=filtered)
    absolute = request.build_absolute_uri

    def values() -> Iterator[dict]:
        for row in rows:
            yield {
                column: absolute(value.path(row)) if isinstance(value, Link) else value(row)
                for column, value in columns.items()
            }

    if fmt == "csv":
        return csv_response(values(), list(columns), name)
    meta = {
        "what": what,
        "filters": filters,
        "generated": timezone.localtime().isoformat(timespec="seconds"),
        "source": request.build_absolute_uri(),
        "columns": list(columns),
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
