import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from industry.models import (
    Action,
    ActionKind,
    Article,
    Company,
    Figure,
    Indicator,
    Paragraph,
    Place,
    Product,
    Section,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Article,
    Section,
    Paragraph,
    Product,
    Indicator,
    Figure,
    Company,
    ActionKind,
    Action,
    Place,
]


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_forms_load_for_a_superuser(
    admin_client, seed, django_assert_max_num_queries, model
):
    with django_assert_max_num_queries(20):
        changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_anonymous_users_are_sent_to_the_admin_login(client, seed, model):
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_labels_are_chinese(admin_client, seed):
    response = admin_client.get(reverse("admin:index"))
    for label in [
        "行业资讯",
        "文章",
        "部分",
        "段落",
        "产品",
        "指标",
        "数据",
        "企业",
        "企业行动",
        "行动类别",
        "地点",
    ]:
        assertContains(response, label)
    response = admin_client.get(admin_url(Figure, "change", Figure.objects.first().pk))
    for label in ["数值（照原文）", "约数", "变化方向", "统计口径", "原句"]:
        assertContains(response, label)


def test_inlines_where_an_editor_expects_them(admin_client, seed):
    article = Article.objects.get(slug="chlor-alkali-2019")
    assertContains(
        admin_client.get(admin_url(Article, "change", article.pk)), "sections-TOTAL_FORMS"
    )
    section = Section.objects.get(anchor="s2-3b")
    response = admin_client.get(admin_url(Section, "change", section.pk))
    assertContains(response, "paragraphs-TOTAL_FORMS")
    assertContains(response, 'name="figures-TOTAL_FORMS" value="6"', html=False)
    paragraph = section.paragraphs.first()
    assertContains(
        admin_client.get(admin_url(Paragraph, "change", paragraph.pk)), "figures-TOTAL_FORMS"
    )
    company = Company.objects.get(slug="dadi")
    assertContains(
        admin_client.get(admin_url(Company, "change", company.pk)),
        'name="actions-TOTAL_FORMS" value="5"',
        html=False,
    )


def test_changelist_filters_and_search(admin_client, seed):
    response = admin_client.get(admin_url(Figure, "changelist"), {"q": "6270.8"})
    assert [f.number for f in response.context["cl"].result_list] == [33]
    product = Product.objects.get(slug="pvc")
    response = admin_client.get(admin_url(Figure, "changelist"), {"product__id__exact": product.pk})
    assert len(response.context["cl"].result_list) == 14
    response = admin_client.get(admin_url(Action, "changelist"), {"q": "消毒液"})
    assert len(response.context["cl"].result_list) >= 5


def test_autocomplete_offers_policy_measures_for_actions(admin_client, seed):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "industry", "model_name": "action", "field_name": "measures", "term": "转产"},
    )
    assert response.status_code == 200
    texts = [r["text"] for r in response.json()["results"]]
    assert any(text.startswith("4.") for text in texts)


def test_adding_a_figure_in_the_admin_derives_value_and_section(admin_client, seed):
    paragraph = Paragraph.objects.get(section__anchor="s2-4")
    data = {
        "number": 35,
        "paragraph": paragraph.pk,
        "sentence": "电石产量为2587.9万吨，同比减少3.1%。",
        "product": Product.objects.get(slug="calcium-carbide").pk,
        "indicator": Indicator.objects.get(slug="output").pk,
        "breakdown": "",
        "year": 2019,
        "period_text": "",
        "value_text": "2587.9",
        "unit": "万吨",
        "change_direction": "down",
        "change_abs_text": "",
        "change_pct_text": "3.1",
        "change_as_printed": "同比减少3.1%",
        "basis": "",
        "note": "",
    }
    response = admin_client.post(admin_url(Figure, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    figure = Figure.objects.get(number=35)
    assert str(figure.value) in {"2587.9", "2587.9000"}
    assert figure.section == paragraph.section


def test_the_admin_rejects_a_sentence_from_another_paragraph(admin_client, seed):
    figure = Figure.objects.get(number=33)
    response = admin_client.post(
        admin_url(Figure, "change", figure.pk),
        {
            "number": 33,
            "paragraph": figure.paragraph.pk,
            "sentence": "这句话不在段落里。",
            "product": figure.product.pk,
            "indicator": figure.indicator.pk,
            "year": 2019,
            "value_text": "6270.8",
            "unit": "万吨",
        },
    )
    assert response.status_code == 200
    assert "sentence" in response.context["adminform"].form.errors
