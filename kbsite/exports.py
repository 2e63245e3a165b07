"""Every list can be downloaded as CSV or JSON, exactly as filtered and all of it.

Rows are streamed from the database in chunks, so memory stays flat however many there
are. CSV starts with a UTF-8 byte-order mark so that Excel and LibreOffice read the
Chinese correctly; its column names are stable English identifiers. JSON carries the
same fields, plus absolute links.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

CHUNK = 2000


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
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def json_response(rows: Iterable[dict], name: str, meta: dict) -> StreamingHttpResponse:
    def chunks() -> Iterator[str]:
        yield '{"meta": ' + json.dumps(meta, ensure_ascii=False, default=str) + ', "rows": ['
        for index, row in enumerate(rows):
            yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str)
        yield "\n]}\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export(
    request: HttpRequest,
    fmt: str,
    *,
    what: str,
    rows: Callable[[Callable[[str], str]], Iterable[dict]],
    columns: list[str],
    filtered: bool,
    filters: dict,
) -> StreamingHttpResponse:
    """The response for one list: `rows(absolute)` yields dicts whose keys are `columns`
    (plus `url`); `absolute` turns a path into a full link."""
    name = filename(what, fmt, filtered=filtered)
    if fmt == "csv":
        return csv_response(rows(request.build_absolute_uri), columns, name)
    meta = {
        "what": what,
        "filters": filters,
        "generated": timezone.localtime().isoformat(timespec="seconds"),
        "source": request.build_absolute_uri(),
        "columns": columns,
    }
    return json_response(rows(request.build_absolute_uri), name, meta)


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
