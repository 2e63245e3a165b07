import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from industry.views import ACTION_LABELS, FIGURE_LABELS
from kbsite.site_search import EXPORT_LABELS
from policies.views import MEASURE_COLUMNS, MEASURE_LABELS

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def column_keys(header: list[str]) -> list[str]:
    """An export's column keys, from its header in the page's language."""
    for labels in (MEASURE_LABELS, FIGURE_LABELS, ACTION_LABELS, EXPORT_LABELS):
        keys = {str(label): key for key, label in labels.items()}
        if set(header) <= set(keys):
            return [keys[title] for title in header]
    return header


def csv_rows(response) -> list[dict]:
    """The rows of a CSV export, keyed by column key (its header is in the page's language)."""
    text = body(response)
    assert text.startswith("\ufeff")  # Excel and LibreOffice then read UTF-8
    reader = csv.reader(io.StringIO(text[1:]))
    keys = column_keys(next(reader))
    # A last row of one cell may say the download stopped at the row limit.
    return [dict(zip(keys, row, strict=len(row) > 1)) for row in reader]


def test_measure_csv_is_exactly_the_filter_with_all_rows(client, seed):
    response = client.get(reverse("policies:measure-export-csv"), {"q": "贷款", "page": 2})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="kb-measures-filtered-{today}.csv"'
    )
    rows = csv_rows(response)
    assert [int(r["number"]) for r in rows] == [5, 8]
    assert list(rows[0]) == list(MEASURE_COLUMNS)
    assert rows[1]["title"] == "加大信贷支持力度"
    assert rows[1]["citation"] == "工信明电〔2020〕14号 第8条"
    assert rows[1]["topics"] == "信贷"
    assert rows[1]["url"] == "http://testserver/policies/notices/gxmd-2020-14/measures/8/"


def test_unfiltered_export_has_every_measure(client, seed):
    response = client.get(reverse("policies:measure-export-csv"))
    assert "kb-measures-20" in response["Content-Disposition"]
    assert len(csv_rows(response)) == 20


def test_export_is_not_limited_to_a_page(client, make_measures, topic):
    make_measures(120, topic=topic)
    assert (
        len(csv_rows(client.get(reverse("policies:measure-export-csv"), {"topic": "credit"})))
        == 120
    )


def test_measure_json_has_the_same_fields_plus_links(client, seed):
    response = client.get(reverse("policies:measure-export-json"), {"region": "hubei"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body(response))
    assert data["meta"]["filters"] == {"region": ["hubei"]}
    assert data["meta"]["columns"] == list(MEASURE_COLUMNS)
    (row,) = data["rows"]
    assert set(row) == set(MEASURE_COLUMNS)
    assert row["number"] == 5 and "湖北" in row["regions"] and len(row["regions"]) == 10
    assert row["url"].startswith("http://testserver/")


def test_export_with_a_bad_filter_is_a_400_not_a_file(client, seed):
    response = client.get(reverse("policies:measure-export-csv"), {"topic": "nope"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response


def test_search_results_export(client, seed):
    rows = csv_rows(client.get(reverse("search-export-csv"), {"q": "培训"}))
    assert {(r["kind"], r["citation"]) for r in rows} >= {
        ("支持措施", "工信明电〔2020〕14号 第6条"),
        ("支持措施", "工信明电〔2020〕14号 第17条"),
    }
    data = json.loads(
        body(client.get(reverse("search-export-json"), {"q": "培训", "kind": "measure"}))
    )
    assert {r["citation"] for r in data["rows"]} == {
        "工信明电〔2020〕14号 第6条",
        "工信明电〔2020〕14号 第17条",
    }


def test_list_pages_link_their_exports_with_the_filter(client, seed):
    html = client.get(
        reverse("policies:measure-list"), {"topic": "credit", "page": 1}
    ).content.decode()
    assert 'href="/policies/measures.csv?topic=credit"' in html
    assert 'href="/policies/measures.json?topic=credit"' in html


def test_figures_export_follows_the_filter(client, seed):
    rows = csv_rows(
        client.get(reverse("industry:figure-export-csv"), {"product": "pvc-pure-powder"})
    )
    assert {r["value_as_printed"] for r in rows} == {"66.5", "50.7"}
    assert all(
        r["sentence"] and r["url"].startswith("http://testserver/industry/figures/") for r in rows
    )
    data = json.loads(body(client.get(reverse("industry:figure-export-json"))))
    assert len(data["rows"]) == 34


def test_actions_export_lists_every_action(client, seed):
    rows = csv_rows(client.get(reverse("industry:action-export-csv")))
    assert len(rows) == 12
    assert any(r["quantity_as_printed"] == "100万元" for r in rows)
    assert any("工信明电〔2020〕14号 第4条" in r["related_measures"] for r in rows)


def test_csv_cells_that_look_like_formulas_stay_text(client, make_measures):
    (measure,) = make_measures(1)
    measure.title = '=HYPERLINK("http://evil.example","点我")'
    measure.text = "-7.5万吨是数字开头的正文"
    measure.save()
    (row,) = csv_rows(client.get(reverse("policies:measure-export-csv")))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","点我")'
    assert row["text"] == "'-7.5万吨是数字开头的正文"
    assert row["number"] == "1"


def test_csv_headers_and_classifications_are_in_the_page_language(client, seed):
    text = body(client.get(reverse("policies:measure-export-csv"), {"topic": "credit"}))
    header = next(csv.reader(io.StringIO(text[1:])))
    assert header[:3] == ["发文字号", "文件标题", "部分序号"]
    assert "政策工具/主题" in header and "topics" not in header
    assert "信贷" in text and ",credit," not in text

    text = body(client.get("/en/policies/measures.csv", {"topic": "credit"}))
    header, *rows = csv.reader(io.StringIO(text[1:]))
    assert header[:2] == ["Document number", "Document title"]
    assert all("Credit" in row[header.index("Policy tool/topic")] for row in rows)


def test_figure_numbers_are_as_printed_and_changes_signed(client, seed):
    rows = csv_rows(client.get(reverse("industry:figure-export-csv")))
    capacity = next(r for r in rows if r["value_as_printed"] == "2518")
    assert capacity["value"] == "2518"  # not 2518.0000
    exports = next(r for r in rows if r["change_as_printed"] == "同比下降23%")
    assert exports["change_pct"] == "-23"  # a fall is negative, not 23 beside a direction
    assert "change_direction" not in exports
    rise = next(r for r in rows if r["change_as_printed"] == "同比增长88.8%")
    assert rise["change_pct"] == "88.8"

    data = json.loads(body(client.get(reverse("industry:figure-export-json"))))
    row = next(r for r in data["rows"] if r["change_as_printed"] == "同比下降23%")
    assert row["change_pct"] == -23 and row["value"] == 114
    assert data["meta"]["labels"][data["meta"]["columns"].index("change_pct")] == (
        "变化率%（减少为负）"
    )


def read_xlsx(response) -> list[list]:
    import openpyxl

    content = b"".join(response.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_xlsx_export_keeps_chinese_cells_and_numbers(client, seed):
    response = client.get(reverse("industry:figure-export-xlsx"), {"product": "caustic-soda"})
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="kb-figures-filtered-' in response["Content-Disposition"]
    header, *rows = read_xlsx(response)
    assert header[:4] == ["编号", "产品", "指标", "分项"]
    by_key = [dict(zip(column_keys(header), row, strict=True)) for row in rows]
    exports = next(r for r in by_key if r["change_as_printed"] == "同比下降23%")
    assert exports["product"] == "烧碱"
    assert exports["sentence"].startswith("2019年，我国烧碱进口6.1万吨")
    assert exports["value"] == 114 and exports["change_pct"] == -23
    assert all(r["url"].startswith("http://testserver/industry/figures/") for r in by_key)


def test_xlsx_of_measures_and_actions_and_the_download_links(client, seed):
    header, *rows = read_xlsx(client.get(reverse("policies:measure-export-xlsx")))
    assert len(rows) == 20 and header[0] == "发文字号"
    assert rows[7][column_keys(header).index("title")] == "加大信贷支持力度"
    header, *rows = read_xlsx(client.get(reverse("industry:action-export-xlsx")))
    assert len(rows) == 12 and header[0] == "企业名称"
    html = client.get(reverse("policies:measure-list"), {"topic": "credit"}).content.decode()
    assert 'href="/policies/measures.xlsx?topic=credit"' in html


def test_xlsx_cells_that_look_like_formulas_stay_text(client, make_measures):
    (measure,) = make_measures(1)
    measure.title = '=HYPERLINK("http://evil.example","点我")'
    measure.save()
    header, row = read_xlsx(client.get(reverse("policies:measure-export-xlsx")))
    assert row[column_keys(header).index("title")] == '\'=HYPERLINK("http://evil.example","点我")'


# Every export the site offers, with a query that finds rows in each (search needs words).
ALL_EXPORTS = [
    ("policies:measure-export-csv", {}),
    ("industry:figure-export-csv", {}),
    ("industry:action-export-csv", {}),
    ("search-export-csv", {"q": "企业"}),
]


def poison_every_text_field(start: str) -> None:
    """Make every text field of every knowledge record (and the tag slugs the measure
    export lists) start with `start`, kept unique by the row's id. A field whose database
    rules refuse such a value (a choice, a length) keeps its value."""
    from django.db import DatabaseError, models, transaction
    from django.db.models.functions import Cast, Concat

    from core.models import knowledge_apps
    from policies.models import Measure
    from policies.views import TAG_FIELDS

    tag_models = {Measure._meta.get_field(field).related_model for field in TAG_FIELDS}
    for config in knowledge_apps():
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                if not field.editable or not isinstance(field, models.CharField | models.TextField):
                    continue
                if isinstance(field, models.SlugField) and model not in tag_models:
                    continue  # page addresses, checked by their own converters
                value = Concat(
                    models.Value(start), Cast("pk", models.CharField()), output_field=field
                )
                try:
                    with transaction.atomic():
                        model.objects.update(**{field.name: value})
                except DatabaseError:
                    pass


@settings_hypothesis(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.sampled_from(["=", "+", "-", "@", "\t", "\r"]).flatmap(
        lambda c: st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6
        ).map(lambda rest: c + rest)
    )
)
def test_no_csv_cell_of_any_export_starts_like_a_formula(client, seed, start):
    """Property: whatever an editor types at the start of any field, no cell of any CSV
    export (lists of places, measures and slugs included) starts like a formula."""
    from django.db import transaction

    from core.exports import FORMULA_STARTS, NUMBER

    with transaction.atomic():
        poison_every_text_field(start)
        guarded = 0
        for name, query in ALL_EXPORTS:
            rows = csv_rows(client.get(reverse(name), query))
            assert rows, name
            for row in rows:
                for column, cell in row.items():
                    assert cell[:1] not in FORMULA_STARTS or NUMBER.fullmatch(cell), (
                        name,
                        column,
                        cell,
                    )
                    guarded += cell.startswith("'" + start[0])
        assert guarded
        transaction.set_rollback(True)


def test_list_cells_are_guarded(client, seed):
    """The cells that hold a list: an action's places and measures, a measure's tags."""
    from industry.models import Place

    for place in Place.objects.all():
        Place.objects.filter(pk=place.pk).update(
            name=f'=HYPERLINK("http://evil.example/{place.pk}")'
        )
    rows = csv_rows(client.get(reverse("industry:action-export-csv")))
    places = [r["places"] for r in rows if r["places"]]
    assert places and all(p.startswith("'=HYPERLINK") for p in places)


def test_public_downloads_stop_at_the_row_limit_and_say_so(client, admin_client, seed, settings):
    settings.KB_EXPORT_ROW_LIMIT = 3
    url = reverse("policies:measure-export-csv")
    response = client.get(url)
    assert response["X-Row-Limit"] == "3"
    rows = csv_rows(response)
    assert len(rows) == 4  # three measures, then the note a spreadsheet user sees
    assert rows[-1]["notice"].startswith("本文件只含前 3 行")
    data = json.loads(body(client.get(reverse("policies:measure-export-json"))))
    assert len(data["rows"]) == 3
    assert data["truncated"] is True and data["meta"]["row_limit"] == 3
    # The list page says so too; staff download everything, and are told nothing.
    assert "每个文件最多 3 行" in client.get(reverse("policies:measure-list")).content.decode()
    response = admin_client.get(url)
    assert "X-Row-Limit" not in response
    staff_rows = csv_rows(response)
    assert len(staff_rows) > 3 and not staff_rows[-1]["notice"].startswith("本文件")
    page = admin_client.get(reverse("policies:measure-list")).content.decode()
    assert "每个文件最多" not in page


def test_a_download_within_the_limit_is_not_marked_truncated(client, seed, settings):
    settings.KB_EXPORT_ROW_LIMIT = 10_000
    data = json.loads(body(client.get(reverse("policies:measure-export-json"))))
    assert data["truncated"] is False
    assert not csv_rows(client.get(reverse("policies:measure-export-csv")))[-1][
        "notice"
    ].startswith("本文件")


def test_no_flood_of_other_cache_entries_resets_the_download_throttle(
    client, seed, settings, monkeypatch
):
    """Kept pages and counts take one cache entry per query string anyone may invent; the
    memory cache drops entries when full. The throttle's counts must not go with them."""
    from django.core.cache import cache

    import core.exports

    settings.KB_EXPORTS_PER_MINUTE = 2
    monkeypatch.setattr(core.exports, "clock", lambda: 1_000_000 * 60 + 20.0)
    url = reverse("industry:action-export-csv")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    for n in range(1_000):  # what 1,000 pages with made-up query strings would leave
        cache.set(f"flood:{n}", "page")
    assert client.get(url).status_code == 429


def test_downloads_are_throttled_per_client(client, admin_client, seed, settings, monkeypatch):
    import core.exports

    settings.KB_EXPORTS_PER_MINUTE = 2
    # 20 seconds into a minute, however long the test takes: the answer is 40 seconds.
    monkeypatch.setattr(core.exports, "clock", lambda: 1_000_000 * 60 + 20.0)
    url = reverse("industry:action-export-csv")
    assert csv_rows(client.get(url))
    assert json.loads(body(client.get(reverse("industry:figure-export-json"))))["rows"]
    response = client.get(url)
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert "Content-Disposition" not in response
    assert "下载过于频繁" in response.content.decode()
    # Another client, and staff, still download.
    assert csv_rows(client.get(url, REMOTE_ADDR="192.0.2.9"))
    assert csv_rows(admin_client.get(url))
    assert csv_rows(admin_client.get(url))
    # The next minute, the client may download again.
    monkeypatch.setattr(core.exports, "clock", lambda: 1_000_001 * 60 + 1.0)
    assert csv_rows(client.get(url))


def test_a_database_outage_before_a_download_is_a_503_not_an_empty_file(seed, monkeypatch):
    from django.db import OperationalError, connection
    from django.test import Client

    def broken(*args, **kwargs):
        raise OperationalError("connection refused (simulated outage)")

    client = Client(raise_request_exception=False)
    monkeypatch.setattr(connection, "cursor", broken)
    for name in ("policies:measure-export-csv", "industry:action-export-json"):
        response = client.get(reverse(name))
        assert response.status_code == 503, name
        assert "Content-Disposition" not in response


def test_losing_the_database_mid_download_breaks_the_transfer_off(client, seed, monkeypatch):
    """The stream raises, so the server aborts the chunked response instead of ending
    the file cleanly (a client then sees an incomplete transfer)."""
    from django.db import OperationalError, connection

    import core.exports

    monkeypatch.setattr(core.exports, "CHUNK", 2)
    response = client.get(reverse("policies:measure-export-csv"))
    assert response.status_code == 200
    stream = iter(response.streaming_content)
    assert next(stream).decode().startswith("\ufeff")

    def broken(*args, **kwargs):
        raise OperationalError("connection lost (simulated outage)")

    monkeypatch.setattr(connection, "cursor", broken)
    with pytest.raises(OperationalError):
        for _ in stream:
            pass


def test_every_csv_cell_is_quoted_so_no_separator_can_cut_a_formula_out_of_it(client, seed):
    """A spreadsheet that splits on ";" (or tabs) would start a new cell after it: a value
    like `Acme;=cmd|...` must reach it whole, inside quotes."""
    from industry.models import Company

    company = Company.objects.order_by("pk").first()
    Company.objects.filter(pk=company.pk).update(name="Acme;=cmd|'/C calc'!A0;")
    text = body(client.get(reverse("industry:action-export-csv"))).lstrip("\ufeff")
    assert "Acme;=cmd" in text
    # Read as a spreadsheet set to split on ";" or tabs would read it.
    for delimiter in ";\t":
        for cells in csv.reader(io.StringIO(text), delimiter=delimiter):
            assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], cells
    # And still read back as the same cells.
    assert any(
        row["company"] == "Acme;=cmd|'/C calc'!A0;"
        for row in csv_rows(client.get(reverse("industry:action-export-csv")))
    )


def test_export_links_are_right_whatever_the_slug_holds(client, seed):
    from policies.models import Notice

    notice = Notice.objects.get()
    Notice.objects.filter(pk=notice.pk).update(slug="gx987654321")
    rows = csv_rows(client.get(reverse("policies:measure-export-csv")))
    assert rows
    for row in rows:
        path = row["url"].split("://", 1)[-1].partition("/")[2]
        assert client.get("/" + path).status_code == 200, row["url"]
