import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

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
    with django_assert_max_num_queries(12):
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
