"""core.statements: a queryset's SQL made once, run with other values."""

import pytest
from django.db.models.sql.compiler import SQLCompiler

from core.statements import Statement
from policies.models import Measure, Notice, page_query, page_statement

pytestmark = pytest.mark.django_db

PAGE_FIELDS = ["pk", "number", "title", "title_en", "text", "title_is_editorial"]
ANNOTATIONS = ["previous_row", "next_row", "last_public_change", "has_industry_actions"]


def test_a_statement_gives_what_the_queryset_gives_without_building_its_sql_again(
    seed, monkeypatch
):
    statement = page_statement()
    measures = list(Measure.objects.select_related("notice"))
    expected = [page_query().get(pk=measure.pk) for measure in measures]
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda *a, **k: compiled.append(1) or original(*a, **k)
    )
    found = [statement.get(notice__slug=m.notice.slug, number=m.number) for m in measures]
    assert compiled == []
    assert len(found) == 20
    for got, wanted in zip(found, expected, strict=True):
        for name in PAGE_FIELDS + ANNOTATIONS:
            assert getattr(got, name) == getattr(wanted, name), name
        # Its heading and notice come with it, as select_related gives them.
        assert got.heading.title == wanted.heading.title
        assert got.notice.doc_number == wanted.notice.doc_number
        assert got.notice.issued_on == wanted.notice.issued_on


@pytest.mark.parametrize(
    "values",
    [
        {"notice__slug": "gxmd-2020-14", "number": 99},
        {"notice__slug": "nope", "number": 1},
        {"notice__slug": "gxmd-2020-14", "number": 10**20},  # past any integer column
        {"notice__slug": "gxmd-2020-14", "number": -1},
        {"notice__slug": "x" * 5000, "number": 1},  # longer than the column
    ],
)
def test_a_statement_finds_nothing_for_values_no_record_holds(seed, values):
    assert page_statement().get(**values) is None


@pytest.mark.parametrize("number", ["99999999999999999999", "40000", "0"])
def test_a_measure_number_past_the_columns_range_is_a_404(client, seed, number):
    response = client.get(f"/policies/notices/gxmd-2020-14/measures/{number}/")
    assert response.status_code == 404


def test_a_sample_value_must_stand_once_in_the_sql(seed):
    with pytest.raises(ValueError):
        Statement(Notice.objects.filter(doc_number="same"), {"slug": "same", "title": "same"})
