import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from industry import views
from industry.models import Figure, Section

pytestmark = pytest.mark.django_db

URL = reverse("industry:figure-list")


def numbers(response) -> list[int]:
    return [f.number for f in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"product": "caustic-soda"}, 14),
        ({"product": "pvc"}, 14),
        ({"product": "pvc-pure-powder"}, 2),
        ({"indicator": "exports"}, 4),
        ({"indicator": "capacity-net-added"}, 4),
        ({"year": "2013"}, 2),
        ({"year": "2019"}, 32),
        ({"product": "pvc", "indicator": "average-capacity"}, 2),
        ({"product": "caustic-soda", "year": "2013"}, 1),
    ],
)
def test_filters(client, seed, django_assert_max_num_queries, params, count):
    # One query per chosen filter value, plus the form's choices: bounded, whatever the rows.
    # Uncached: year choices, the data version three times, seven for the four facets,
    # the flagged figures, the total and the page.
    with django_assert_max_num_queries(16):
        response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
    assertContains(response, f"找到 {count} 项数据")


def test_filter_by_section(client, seed):
    section = Section.objects.get(anchor="s2-3b")
    response = client.get(URL, {"section": section.pk})
    assert numbers(response) == list(range(27, 33))
    # The section choices name the parent too, so the two 3、 can be told apart.
    assertContains(response, "二、3、烧碱进口增加出口下降，PVC进出口量均减少")


@pytest.mark.parametrize(
    "params",
    [
        {"product": "no-such-product"},
        {"indicator": "nonsense"},
        {"year": "1999"},
        {"year": "abc"},
        {"section": "999999"},
        {"section": "x"},
        {"sort": "password"},
        {"sort": "-id; DROP TABLE"},
    ],
)
def test_bad_values_give_a_form_error_not_a_500(client, seed, params):
    response = client.get(URL, params)
    assert response.status_code == 400
    assertContains(response, "筛选条件有误", status_code=400)
    assertContains(response, 'class="error"', status_code=400)


@pytest.mark.parametrize("page", ["abc", "-1", "0", "999", "1.5"])
def test_bad_page_numbers_still_answer(client, seed, page):
    for url in [URL, reverse("industry:company-list")]:
        assert client.get(url, {"page": page}).status_code == 200


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("value", lambda f: (f.value, f.number), False),
        ("-value", lambda f: (f.value, -f.number), True),
        ("year", lambda f: (f.year, f.number), False),
        ("product", lambda f: (f.product.position, f.number), False),
        ("-indicator", lambda f: (f.indicator.position, -f.number), True),
        ("number", lambda f: f.number, False),
    ],
)
def test_sort(client, seed, sort, key, reverse):
    response = client.get(URL, {"sort": sort})
    assert response.status_code == 200
    expected = sorted(Figure.objects.with_context(), key=key, reverse=reverse)
    assert numbers(response) == [f.number for f in expected]


def test_default_order_is_reading_order(client, seed):
    assert numbers(client.get(URL)) == list(range(1, 35))


def test_sort_and_filter_survive_pagination(client, seed, monkeypatch):
    monkeypatch.setattr(views, "FIGURES_PER_PAGE", 5)
    response = client.get(URL, {"product": "pvc", "sort": "-value"})
    assert response.context["page"].paginator.num_pages == 3
    assertContains(response, "?product=pvc&amp;sort=-value&amp;page=2")
    second = client.get(URL, {"product": "pvc", "sort": "-value", "page": 2})
    values = [f.value for f in second.context["page"].object_list]
    assert values == sorted(values, reverse=True)
    first_values = [f.value for f in response.context["page"].object_list]
    assert min(first_values) >= max(values)


@pytest.mark.parametrize(
    "url",
    [
        "/industry/figures/99999999999999999999/",
        "/industry/figures/?section=99999999999999999999",
        "/industry/figures/?page=99999999999999999999",
        "/industry/companies/?page=99999999999999999999",
    ],
)
def test_out_of_range_numbers_are_not_server_errors(client, seed, url):
    assert client.get(url).status_code in (200, 400, 404)


def test_figure_facets_count_under_the_other_filters(client, seed):
    url = reverse("industry:figure-list")
    response = client.get(url)
    assertContains(response, "聚氯乙烯（14）")
    response = client.get(url, {"indicator": "output"})
    body = response.content.decode()
    assert "聚氯乙烯（2）" in body and "烧碱（2）" in body and "原盐（1）" in body
    assert "液碱" not in body.split('name="product"')[1].split("</select>")[0]


def test_sort_choices_are_in_the_page_language(client, seed):
    body = client.get(reverse("industry:figure-list")).content.decode()
    assert '<option value="-product">产品（倒序）</option>' in body
    assert "descending" not in body


def test_two_products_give_the_figures_of_either(client, seed):
    response = client.get(f"{URL}?product=pvc&product=crude-salt&year=2019")
    products = {f.product.slug for f in response.context["page"].object_list}
    assert products == {"pvc", "crude-salt"}
    assert [c.label for c in response.context["filter"].chips()] == ["聚氯乙烯", "原盐", "2019年"]
