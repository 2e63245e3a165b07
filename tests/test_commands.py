"""The maintenance commands: synthetic data for benchmarks and rebuilding search text."""

import pytest
from django.core.management import call_command

from bench.synthetic import add_synthetic
from industry.models import Action, Article, Company, Figure
from policies.models import Measure, Notice

pytestmark = pytest.mark.django_db


def test_generate_synthetic_is_reproducible_and_proportional(seed, capsys):
    add_synthetic(3, seed=7)
    assert Notice.objects.filter(slug__startswith="synthetic-").count() == 3
    assert Measure.objects.count() == 20 + 60
    assert Article.objects.filter(slug__startswith="synthetic-").count() == 3
    assert Figure.objects.filter(product__slug__startswith="synthetic-").count() == 15
    assert Company.objects.filter(slug__startswith="synthetic-").count() == 3
    assert Action.objects.filter(company__slug__startswith="synthetic-").count() == 6
    assert "[##############################] 3/3" in capsys.readouterr().err  # the progress bar
    texts = list(
        Measure.objects.filter(notice__slug__startswith="synthetic-").values_list("text", flat=True)
    )

    add_synthetic(3, seed=7, delete=True)
    again = list(
        Measure.objects.filter(notice__slug__startswith="synthetic-").values_list("text", flat=True)
    )
    assert again == texts
    assert Measure.objects.count() == 80


def test_synthetic_records_are_searchable_and_leave_real_products_alone(seed):
    add_synthetic(2, seed=1)
    assert (
        Measure.objects.filter(notice__slug__startswith="synthetic-").matching("中小企业").exists()
    )
    assert not Figure.objects.filter(
        product__slug="pvc", paragraph__section__article__slug__startswith="synthetic-"
    ).exists()
    # Searched by the names of their classifications too, as saved measures are.
    measure = Measure.objects.filter(notice__slug__startswith="synthetic-").first()
    topic = measure.topics.first()
    assert measure in Measure.objects.matching(f"{topic.name_en} {measure.heading.title}")


def test_rebuild_search_restores_the_search_text(seed, capsys):
    Measure.objects.update(search_title="", search_body="")
    assert not Measure.objects.matching("贷款").exists()
    call_command("rebuild_search")
    assert set(Measure.objects.matching("贷款").values_list("number", flat=True)) == {5, 8}
    assert "policies.Measure: 20 records analysed." in capsys.readouterr().out


def test_synthetic_industry_pages_work(seed, client):
    add_synthetic(20, seed=5)
    product = Figure.objects.filter(product__slug__startswith="synthetic-").first().product
    assert client.get(product.get_absolute_url()).status_code == 200
    assert client.get("/industry/data-notes/").status_code == 200
    assert client.get("/industry/figures/").status_code == 200
