"""Site search: Chinese words of any length, safe against query syntax, ranked."""

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from pytest_django.asserts import assertContains

from core.analysis import Query, Search, analyze
from policies.models import Measure

pytestmark = pytest.mark.django_db

HAN_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")


def measure_texts(measure) -> list[str]:
    """Everything a measure is searched by, read from the records themselves (not from the
    search code): title, text, and the names of its heading and classifications."""
    return [
        measure.title,
        measure.title_en,
        measure.text,
        measure.heading.title,
        measure.heading.title_en,
        *(f"{t.name} {t.name_en}" for t in measure.topics.all()),
        *(f"{t.name} {t.name_en}" for t in measure.target_groups.all()),
        *(f"{t.name} {t.name_en}" for t in measure.regions.all()),
    ]


def found(text: str, queryset=None) -> set[int]:
    queryset = queryset if queryset is not None else Measure.objects.all()
    return set(queryset.matching(text).values_list("number", flat=True))


def containing(*words: str, measures=None) -> set[int]:
    """The measures whose texts hold every word, each somewhere in one of them."""
    if measures is None:
        measures = Measure.objects.select_related("heading").prefetch_related(
            "topics", "target_groups", "regions"
        )
    return {
        m.number
        for m in measures
        if all(any(word in text for text in measure_texts(m)) for word in words)
    }


def test_analyzer_makes_bigrams_words_and_single_characters():
    assert analyze("信贷支持") == "信贷 贷支 支持 zzsepzz 信 贷 支 持"
    assert analyze("PVC纯粉，5G") == "pvc 纯粉 5g zzsepzz 纯 粉"
    assert analyze("") == ""


def test_queries_are_phrases_of_the_same_tokens():
    assert Query.parse("贷款利率") == Query(("贷款", "款利", "利率"), ())
    assert Query.parse("贷") == Query(("贷",), ())
    assert Query.parse("5G 网") == Query(("5g",), ("网",))
    assert not Query.parse("，。！？")
    assert not Query.parse("")


def test_every_two_character_word_finds_exactly_the_measures_containing_it(seed):
    measures = list(
        Measure.objects.select_related("heading").prefetch_related(
            "topics", "target_groups", "regions"
        )
    )
    words = {pair for m in measures for text in measure_texts(m) for pair in HAN_PAIR.findall(text)}
    assert len(words) > 1000
    for word in sorted(words):
        assert found(word) == containing(word, measures=measures), word


def test_a_phrase_finds_only_texts_containing_it(seed):
    for phrase in [
        "贷款利率",
        "中小企业",
        "应急转贷资金",
        "复工复产",
        "专精特新",
        "融资担保",
        "不可抗力事实性证明",
    ]:
        assert found(phrase) == containing(phrase), phrase
        assert found(phrase)
    # Bigrams of 贷款 and 款利 both occur in measure 5, but never as 贷款利.
    assert 5 not in found("贷款利")


def test_one_character_queries_find_the_character(seed):
    for char in ["贷", "税", "网", "碱"]:
        assert found(char) == containing(char), char


def test_latin_words_and_numbers(seed):
    assert found("5G") == {13}
    assert found("5g") == {13}
    assert found("2020") == containing("2020")


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        '"贷款',
        "贷款*",
        "NEAR(贷款 担保)",
        "贷款 OR 担保",
        "title : 贷款",
        "search_title:贷款",
        "贷款 & !担保",
        "'贷款' <-> '担保'",
        "贷款:*",
        "(((",
        "\\",
        "贷款'; DROP TABLE policies_measure; --",
        "\x00\x01贷款",
        "长" * 500,
        "a" * 500,
        "贷款" * 250,
    ],
)
def test_user_input_never_becomes_query_syntax(seed, client, hostile):
    found(hostile)  # no database error
    response = client.get(reverse("search"), {"q": hostile})
    # Null characters are refused by the form with a message; everything else is searched.
    assert response.status_code == (400 if "\x00" in hostile else 200)
    assert Measure.objects.count() == 20


def test_search_page_groups_ranks_and_highlights(seed, client, django_assert_max_num_queries):
    # Five kinds, each: counts, title matches, text matches, then the records found.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("search"), {"q": "贷款"})
    assertContains(response, "支持措施 · 2 条")
    assert [g.has_more for g in response.context["groups"]][0] is False
    assertContains(response, "<mark>贷款</mark>", html=False)


def test_a_title_match_ranks_first(make_measures):
    older, newer = make_measures(2)
    older.title = "融资担保服务"
    older.save()
    newer.text = "提供融资担保和其他服务。"
    newer.save()
    from kbsite.site_search import KINDS_BY_KEY, ranked

    [results] = ranked([KINDS_BY_KEY["measure"]], Search.parse("融资担保"), 0, 10)
    hits = results.hits
    assert [m.pk for m in hits] == [older.pk, newer.pk]


def test_search_results_paginate_by_kind(client, make_measures):
    for measure in make_measures(45):
        measure.text = "关于融资担保的条文。"
        measure.save()
    response = client.get(reverse("search"), {"q": "融资担保", "kind": "measure", "page": 3})
    assert response.status_code == 200
    assert len(response.context["results"].hits) == 5
    assertContains(response, "第 3 页")
    assertContains(response, "第 41–45 条")
    assert 'rel="next"' not in response.content.decode()
    response = client.get(reverse("search"), {"q": "融资担保", "kind": "measure", "page": 2})
    assert 'rel="next"' in response.content.decode()
    overview = client.get(reverse("search"), {"q": "融资担保"})
    assertContains(overview, "支持措施 · 45 条")  # counted, not just paged
    assertContains(overview, "查看全部支持措施结果")


def test_snippets_escape_stored_markup(client, make_measures):
    (measure,) = make_measures(1)
    measure.text = "<script>alert('x')</script>融资担保<b>粗</b>"
    measure.save()
    response = client.get(reverse("search"), {"q": "融资担保"})
    body = response.content.decode()
    assert "<script>alert" not in body and "<b>粗</b>" not in body
    assert "&lt;script&gt;" in body
    assert "<mark>融资担保</mark>" in body


def test_search_text_stays_in_step_with_edits(make_measures):
    (measure,) = make_measures(1)
    assert found("融资担保") == set()
    measure.text = "新增融资担保条文。"
    measure.save()
    assert found("融资担保") == {measure.number}
    measure.delete()
    assert found("融资担保") == set()


def test_bad_search_parameters(client, seed):
    assert client.get(reverse("search"), {"q": "贷款", "kind": "nope"}).status_code == 400
    assert client.get(reverse("search"), {"q": "长" * 501}).status_code == 400
    for page in ["0", "-5", "abc", "999999"]:
        assert (
            client.get(
                reverse("search"), {"q": "贷款", "kind": "measure", "page": page}
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("烧碱", "figure", "3464"),
        ("烧碱", "paragraph", "2019年中国氯碱行业经济运行分析"),
        ("北元", "company", "陕西北元化工"),
        ("次氯酸钠", "action", "陕西北元化工"),
        ("PVC纯粉", "figure", "66.5"),
        ("caustic", "figure", "3464"),  # English names are searchable too
    ],
)
def test_search_finds_industry_records(client, seed, text, kind, expected):
    response = client.get(reverse("search"), {"q": text, "kind": kind})
    assert response.status_code == 200
    assert response.context["results"].hits
    assert expected in strip_tags(response.content.decode())


def test_every_kind_with_hits_is_listed_on_the_overview_and_no_empty_group(client, seed):
    response = client.get(reverse("search"), {"q": "疫情"})
    assert [group.kind.key for group in response.context["groups"]] == [
        "measure",
        "paragraph",
        "action",
    ]
    assert all(group.hits and group.count for group in response.context["groups"])
    response = client.get(reverse("search"), {"q": "北元"})
    assert [group.kind.key for group in response.context["groups"]] == [
        "paragraph",
        "company",
        "action",
    ]


def test_the_index_survives_table_rebuilds(seed):
    """SQLite rebuilds a table to alter a column, dropping its triggers; migrate puts the
    full-text index back. (PostgreSQL alters in place: its generated column stays.)"""
    from django.db import connection

    from core.models import repair_search_indexes

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute('DROP TRIGGER "industry_figure_fts_ai"')
        repair_search_indexes()
    from industry.models import Figure

    figure = Figure.objects.get(value_text="6270.8")
    figure.sentence = figure.sentence + "新增检索词鹦鹉螺。"
    figure.save()
    assert list(Figure.objects.matching("鹦鹉螺")) == [figure]


def test_a_search_page_runs_a_handful_of_statements(client, seed, clear_cache):
    """One statement ranks the matches of every kind (planned with sequential scans off on
    PostgreSQL, by a SET LOCAL that ends with its transaction), then one per kind with hits
    reads its records; asked again before the data changes, the ranking is remembered."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search/?q=贷款").status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    client.get("/search/?q=烧碱")  # the session, the list of other names
    clear_cache()
    first = statements()
    assert len(first) <= 9, first
    assert not [sql for sql in first if "RESET" in sql or sql.startswith("SET enable")]
    if connection.vendor == "postgresql":
        assert first.count("SET LOCAL enable_seqscan = off") == 1
    again = statements()
    assert len(again) < len(first)
    assert not [sql for sql in again if "_fts" in sql or "search_vector" in sql]
