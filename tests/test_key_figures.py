import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from industry.models import Figure

pytestmark = pytest.mark.django_db

URL = reverse("industry:key-figures")


def cell(html: str, number: int) -> str:
    """The table cell a figure is shown in (found by its anchor)."""
    match = re.search(rf'<td class="([^"]*)" id="figure-{number}">(.*?)</td>', html, re.S)
    assert match, f"no cell for #{number}"
    return match.group(1) + "|" + match.group(2)


def test_every_figure_is_in_the_key_figures_table(client, seed, django_assert_max_num_queries):
    # The data version, the analysis's flagged figures (uncached: figures, products,
    # indicators), the figures, products and indicators.
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    html = response.content.decode()
    for number in Figure.objects.published().values_list("number", flat=True):
        assert f'href="/industry/figures/{number}/"' in html, number
    tables = response.context["tables"]
    slugs = [t.product.slug for t in tables]
    assert slugs[:2] == ["caustic-soda", "solid-caustic-soda"] and "pvc" in slugs


def test_one_value_per_product_indicator_and_year(client, seed):
    tables = {t.product.slug: t for t in client.get(URL).context["tables"]}
    pvc = tables["pvc"]
    assert pvc.years == [2013, 2019]
    rows = {(indicator.slug, breakdown): cells for indicator, breakdown, cells in pvc.rows}
    assert len(rows) == len(set(rows))
    capacity = rows[("capacity", "")]
    assert capacity[0] is None  # no capacity for 2013
    assert [f.number for f in capacity[1].figures] == [7, 18]
    assert not capacity[1].differs  # the same 2518 twice: one value
    assert {("process-route-share", "电石法"), ("process-route-share", "乙烯法")} <= set(rows)


def test_a_value_stated_twice_is_shown_once_and_a_disagreement_is_flagged(client, seed):
    html = client.get(URL).content.decode()
    same = cell(html, 2)  # caustic soda's capacity, 4380 in 一 and in 二、1、
    assert same.count("4380") == 1 and 'href="/industry/figures/13/"' in same
    assert "flagged" not in same.split("|")[0]
    differ = cell(html, 8)  # PVC's net addition: 约120 in 一, 114 in 二、1、
    assert "flagged" in differ.split("|")[0]
    assert "约120万吨" in differ and "114万吨" in differ and "涉及不一致" in differ


def test_key_figures_are_linked_from_the_figures_table_and_home(client, seed):
    assertContains(client.get(reverse("industry:figure-list")), f'href="{URL}"')
    assertContains(client.get(reverse("industry:home")), f'href="{URL}"')


def test_key_figures_in_english(client, seed):
    response = client.get("/en" + URL)
    assertContains(response, "Key figures")
    assertContains(response, "Caustic soda")


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("query", ["?x=1", "?utm_source=chat&utm_medium=link"])
def test_the_key_figures_answer_at_one_url(client, seed, prefix, query):
    """Every figure on one page: seconds to make at scale, and kept pages are keyed on the
    whole URL, so a made-up query string is redirected to the page, not made afresh."""
    page = f"{prefix}/industry/key-figures/"
    response = client.get(page + query)
    assert (response.status_code, response["Location"]) == (301, page)
    assert client.get(page).status_code == 200
