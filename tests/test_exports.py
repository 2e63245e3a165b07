import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from policies.views import MEASURE_COLUMNS

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict]:
    text = body(response)
    assert text.startswith("\ufeff")  # Excel and LibreOffice then read UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


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
    assert rows[1]["topics"] == "credit"
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
    assert row["number"] == 5 and "hubei" in row["regions"] and len(row["regions"]) == 10
    assert row["url"].startswith("http://testserver/")


def test_export_with_a_bad_filter_is_a_400_not_a_file(client, seed):
    response = client.get(reverse("policies:measure-export-csv"), {"topic": "nope"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response


def test_search_results_export(client, seed):
    rows = csv_rows(client.get(reverse("search-export-csv"), {"q": "培训"}))
    assert {(r["kind"], r["citation"]) for r in rows} >= {
        ("measure", "工信明电〔2020〕14号 第6条"),
        ("measure", "工信明电〔2020〕14号 第17条"),
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
