import pytest
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains

from core.widgets import FacetCheckboxes
from tests.facets import option

pytestmark = pytest.mark.django_db

LIST_URL = reverse("policies:measure-list")


def numbers(response) -> list[int]:
    return [m.number for m in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "贷款"}, [5, 8]),
        ({"q": "培训"}, [6, 17]),
        ({"q": "担保"}, [9]),
        ({"q": "融资担保"}, [9]),
        ({"q": "5G"}, [13]),
        ({"q": "信贷支持"}, [8]),  # in a title only
        ({"q": "  贷款  "}, [5, 8]),
        ({"topic": "credit"}, [8, 10]),
        ({"topic": "training"}, [6, 17]),
        ({"target_group": "small-micro"}, [8, 9, 10]),
        ({"target_group": "specialised-sophisticated"}, [12]),
        ({"region": "hubei"}, [5]),
        ({"topic": "credit", "q": "贷款"}, [8]),
        # 17 says 受疫情影响的企业, not hard hit (issue 14's review).
        ({"topic": "training", "target_group": "hard-hit"}, [6]),
        ({"q": "不存在的词语"}, []),
    ],
)
def test_filters_return_exactly_the_right_measures(client, seed, query, expected):
    response = client.get(LIST_URL, query)
    assert response.status_code == 200
    assert numbers(response) == expected


def test_heading_filter(client, seed):
    from policies.models import Heading

    heading = Heading.objects.get(ordinal=3)
    response = client.get(LIST_URL, {"heading": heading.pk})
    assert numbers(response) == [8, 9, 10, 11]


def test_unfiltered_list_groups_measures_under_headings(
    client, seed, django_assert_max_num_queries
):
    # Uncached: the data version twice, seven for the facets, the total and the page.
    with django_assert_max_num_queries(11):
        response = client.get(LIST_URL)
    assert numbers(response) == list(range(1, 21))
    body = response.content.decode()
    assert body.count('class="heading-group"') == 6
    assert body.index("一、全力保障企业有序复工复产") < body.index("1.</span>加强分类指导")
    assertContains(response, "全部 20 条措施")


def test_filtered_list_is_flat_with_count(client, seed, django_assert_max_num_queries):
    # Nothing cached yet: with the two that count the topic's share of the measures, read
    # once per edit (core.facets.share_of_rows).
    with django_assert_max_num_queries(12 + 2):
        response = client.get(LIST_URL, {"q": "贷款", "topic": "fiscal-tax"})
    assertContains(response, "找到 1 条措施")
    assert 'class="heading-group"' not in response.content.decode()


def test_each_choice_shows_how_many_measures_it_gives(client, seed):
    response = client.get(LIST_URL)
    assert option(response, "topic", "credit") == ("信贷（2）", False)
    assert option(response, "region", "hubei") == ("湖北（1）", False)
    # Counts follow the other active filters.
    response = client.get(LIST_URL, {"q": "贷款"})
    assert option(response, "topic", "credit") == ("信贷（1）", False)
    assert option(response, "topic", "fiscal-tax") == ("财税（1）", False)
    assert option(response, "topic", "training") is None


def test_a_selected_choice_stays_offered_even_with_no_results(client, seed):
    response = client.get(LIST_URL, {"topic": "legal-services", "region": "hubei"})
    assert numbers(response) == []
    assertContains(response, "法律服务（0）")
    assertContains(response, "湖北（0）")


def test_filter_state_lives_in_the_url(client, seed):
    response = client.get(LIST_URL, {"q": "贷款", "topic": "credit"})
    assertContains(response, 'value="贷款"')
    assert option(response, "topic", "credit") == ("信贷（1）", True)


@pytest.mark.parametrize(
    "query",
    [
        {"topic": "no-such-topic"},
        {"heading": "abc"},
        {"heading": "999999"},
        {"heading": "9" * 5000},  # beyond int()'s 4,300 digits
        {"heading": "9223372036854775808"},  # one past a bigint
        {"notice": "nope"},
        {"region": "<script>"},
        {"q": "长" * 501},
    ],
)
def test_bad_filter_values_give_a_form_error_not_a_crash(client, seed, query):
    response = client.get(LIST_URL, query)
    assert response.status_code == 400
    assertContains(response, 'class="error"', status_code=400)
    assertContains(response, "筛选条件有误", status_code=400)
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "1e9"])
def test_odd_page_numbers_never_crash(client, seed, page):
    response = client.get(LIST_URL, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].object_list


def test_unknown_parameters_are_ignored(client, seed):
    response = client.get(LIST_URL, {"foo": "bar", "topic": "credit"})
    assert numbers(response) == [8, 10]


def test_pagination_keeps_the_filter(client, make_measures, topic):
    make_measures(60, topic=topic)
    response = client.get(LIST_URL, {"topic": "credit"})
    assertContains(response, "?topic=credit&amp;page=2")
    assert numbers(client.get(LIST_URL, {"topic": "credit", "page": 3})) == list(range(41, 61))


def test_counts_follow_edits_at_once(client, seed):
    """Facet counts and totals are cached, but never outlive a change to the data."""
    from policies.models import Measure, Topic

    assert option(client.get(LIST_URL), "topic", "credit") == ("信贷（2）", False)
    Measure.objects.get(number=9).topics.add(Topic.objects.get(slug="credit"))
    assert option(client.get(LIST_URL), "topic", "credit") == ("信贷（3）", False)
    Measure.objects.get(number=20).delete()
    assertContains(client.get(LIST_URL), "全部 19 条措施")


def fields_made(response) -> bool:
    return "includes/filter_fields.html" in [t.name for t in response.templates]


def test_the_filter_fields_are_made_once_for_each_filter_until_an_edit(client, seed, settings):
    """The form's fields with their counts are the same for every visitor of a filter: kept
    (core.facets), made again for other filters, in another language, after an edit."""
    from policies.models import Measure, Topic

    settings.KB_PAGE_CACHE_SECONDS = 0  # each page made afresh: only its fields are kept
    assert fields_made(client.get(LIST_URL))
    again = client.get(LIST_URL)
    assert not fields_made(again) and option(again, "topic", "credit") == ("信贷（2）", False)
    assert fields_made(client.get(LIST_URL, {"topic": "credit"}))
    assert fields_made(client.get("/en" + LIST_URL))
    Measure.objects.get(number=9).topics.add(Topic.objects.get(slug="credit"))
    edited = client.get(LIST_URL)
    assert fields_made(edited) and option(edited, "topic", "credit") == ("信贷（3）", False)


def test_filter_fields_with_counts_from_before_an_edit_are_not_kept(
    client, seed, settings, monkeypatch
):
    settings.KB_PAGE_CACHE_SECONDS = 0
    monkeypatch.setattr("core.facets.served_stale", lambda: True)  # counts being recomputed
    assert fields_made(client.get(LIST_URL))
    assert fields_made(client.get(LIST_URL))


def test_refused_filters_are_shown_with_their_errors_each_time(client, seed, settings):
    settings.KB_PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        response = client.get(LIST_URL, {"topic": "no-such-topic"})
        assert response.status_code == 400 and fields_made(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("topic=credit&topic=training", [6, 8, 10, 17]),  # one facet: any of its values
        ("topic=credit&topic=training&target_group=small-micro", [8, 10]),  # facets: each
    ],
)
def test_values_of_one_facet_combine_with_or_facets_with_and(client, seed, query, expected):
    response = client.get(f"{LIST_URL}?{query}")
    assert numbers(response) == expected


def test_several_values_of_a_facet_are_ticked_with_counts_under_the_other_facets(client, seed):
    response = client.get(f"{LIST_URL}?topic=credit&topic=training&target_group=small-micro")
    assert option(response, "topic", "credit") == ("信贷（2）", True)
    assert option(response, "topic", "training") == ("培训（0）", True)
    # The target-group facet counts under both topics: measures 6, 8, 10 and 17.
    assert option(response, "target_group", "small-micro") == ("小微企业（2）", True)


def test_each_active_filter_is_a_chip_that_removes_only_itself(client, seed):
    response = client.get(f"{LIST_URL}?q=贷款&topic=credit&topic=training&page=1")
    chips = {(c.field, c.label): c.query for c in response.context["filter"].chips()}
    assert chips == {
        ("关键词", "贷款"): "?topic=credit&topic=training",
        ("政策工具/主题", "信贷"): "?q=%E8%B4%B7%E6%AC%BE&topic=training",
        ("政策工具/主题", "培训"): "?q=%E8%B4%B7%E6%AC%BE&topic=credit",
    }
    assertContains(response, 'href="/policies/measures/?q=%E8%B4%B7%E6%AC%BE&amp;topic=training"')
    assertContains(response, "（移除此条件）")
    assert client.get(LIST_URL).context["filter"].chips() == []


@pytest.mark.parametrize(
    ("query", "clean"),
    [
        ("q=&topic=credit", "?topic=credit"),
        ("q=+&notice=&heading=&page=", ""),
        ("topic=&topic=credit&topic=training", "?topic=credit&topic=training"),
    ],
)
def test_empty_parameters_redirect_to_the_clean_url(client, seed, query, clean):
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 302
    assert response["Location"] == LIST_URL + clean


# --- a page looked for among the list's first rows (core.facets.FacetedFilterSet.rows) ---


@pytest.fixture
def two_notices_and_a_late_measure(seed):
    """The seed, three synthetic notices after it, and a measure added last to the seed's
    notice: first in reading order among its notice's, last of all in id order."""
    from bench.synthetic import add_synthetic
    from policies.models import Heading, Measure

    add_synthetic(3, seed=7)
    heading = Heading.objects.get(notice__slug="gxmd-2020-14", ordinal=6)
    return Measure.objects.create(
        heading=heading, number=21, title="补充措施", text="支持中小企业贷款，减免企业房屋租金。"
    )


@pytest.mark.parametrize("window", [1, 2, 7, 25, 10_000])
@pytest.mark.parametrize(
    "words", ["企业", "中小企业 贷款", "贷款", "租金", "湖北", "loan", "不存在的词语", "支持 企业"]
)
def test_a_page_found_among_the_first_rows_is_the_lists_page(
    two_notices_and_a_late_measure, monkeypatch, window, words
):
    from django.http import QueryDict

    from core import facets, search
    from policies.filters import MeasureFilter
    from policies.views import public_measures

    windows = []
    original = MeasureFilter.filter_text

    def filter_text(self, queryset, name, value):
        windows.append(self.id_window)
        return original(self, queryset, name, value)

    monkeypatch.setattr(MeasureFilter, "filter_text", filter_text)
    monkeypatch.setattr(facets, "PAGE_WINDOW", window)
    monkeypatch.setattr(facets, "WINDOW_MATCHES", 0)
    # Windows are SQLite's (FTS5 cannot stop at a page in another order); they give the
    # same rows on PostgreSQL, so the rows are checked on both.
    monkeypatch.setattr(type(search.backend()), "pages_in_windows", True)
    filterset = MeasureFilter(
        QueryDict(f"q={words}"), queryset=public_measures().in_reading_order()
    )
    assert filterset.is_valid()
    expected = list(filterset.qs.values_list("pk", flat=True))
    if words != "不存在的词语":
        assert len(expected) > 3
    for size in (1, 3, 20):
        for bottom in range(0, len(expected) + 1, size):
            page = [m.pk for m in filterset.rows(bottom, bottom + size)]
            assert page == expected[bottom : bottom + size], (size, bottom)
    assert any(windows), "no page was looked for among the first rows"


def test_the_measure_list_shows_a_late_measure_in_reading_order(
    client, two_notices_and_a_late_measure, monkeypatch
):
    from core import facets, find
    from policies.models import Measure

    monkeypatch.setattr(facets, "PAGE_WINDOW", 25)
    monkeypatch.setattr(facets, "WINDOW_MATCHES", 0)
    response = client.get(LIST_URL, {"q": "中小企业 贷款"})
    shown = [m.pk for m in response.context["page"].object_list]
    expected = (
        Measure.objects.published()
        .matching(find.parse("中小企业 贷款"))
        .in_reading_order()
        .values_list("pk", flat=True)
    )
    assert shown == list(expected[:20])
    assert two_notices_and_a_late_measure.pk in shown


def test_a_page_among_the_first_rows_takes_one_statement(
    two_notices_and_a_late_measure, monkeypatch
):
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from core import facets, search
    from policies.filters import MeasureFilter
    from policies.views import public_measures

    monkeypatch.setattr(facets, "PAGE_WINDOW", 25)
    monkeypatch.setattr(facets, "WINDOW_MATCHES", 0)
    monkeypatch.setattr(type(search.backend()), "pages_in_windows", True)
    filterset = MeasureFilter(QueryDict("q=企业"), queryset=public_measures().in_reading_order())
    assert filterset.is_valid()
    expected = list(filterset.qs[:20])
    filterset.cached_count()
    with CaptureQueriesContext(connection) as statements:
        page = filterset.rows(0, 20)
    assert page == expected
    # The data version aside, one statement reads the page (none read the rest).
    assert len([q for q in statements if "policies_measure" in q["sql"]]) == 1


def test_facet_checkboxes_escape_values_and_labels_and_mark_chinese_on_english_pages():
    widget = FacetCheckboxes(choices=[('a"b', "<b>信贷</b>（3）"), ("plain", "Rent & fees (1)")])
    html = widget.render("topic", ['a"b'], attrs={"id": "id_topic"})
    assert html == (
        '<ul class="facet-options" id="id_topic">'
        '<li><input type="checkbox" name="topic" value="a&quot;b" id="id_topic_0" checked>'
        ' <label for="id_topic_0">&lt;b&gt;信贷&lt;/b&gt;（3）</label></li>'
        '<li><input type="checkbox" name="topic" value="plain" id="id_topic_1">'
        ' <label for="id_topic_1">Rent &amp; fees (1)</label></li></ul>'
    )
    with translation.override("en"):
        html = widget.render("topic", [], attrs={"id": "id_topic"})
    assert '<label for="id_topic_0" lang="zh-Hans">' in html
    assert '<label for="id_topic_1">' in html
