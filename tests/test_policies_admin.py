import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from policies.models import Heading, Measure, Notice, Region, TargetGroup, Topic
from tests.test_history import form_data

pytestmark = pytest.mark.django_db

MODELS = [Notice, Heading, Measure, Topic, TargetGroup, Region]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_forms_load_for_a_superuser(admin_client, seed, model):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    obj = model.objects.first()
    change = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert change.status_code == 200
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code == 200


def test_admin_labels_are_chinese(admin_client, seed):
    response = admin_client.get(reverse("admin:index"))
    for label in [
        "政策文件",
        "通知",
        "措施",
        "部分",
        "政策工具/主题",
        "支持对象",
        "地区",
    ]:
        assertContains(response, label)


def test_measure_changelist_filters_and_searches(admin_client, seed, django_assert_max_num_queries):
    url = reverse("admin:policies_measure_changelist")
    with django_assert_max_num_queries(20):
        response = admin_client.get(url, {"q": "贷款"})
    assert sorted(m.number for m in response.context["cl"].result_list) == [5, 8]
    topic = Topic.objects.get(slug="credit")
    response = admin_client.get(url, {"topics__id__exact": topic.pk})
    assert sorted(m.number for m in response.context["cl"].result_list) == [8, 10]


def test_measure_autocomplete_for_classifications(admin_client, seed):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "policies",
            "model_name": "measure",
            "field_name": "topics",
            "term": "信",
        },
    )
    assert response.status_code == 200
    assert "信贷" in {r["text"] for r in response.json()["results"]}


def test_notice_change_form_has_its_headings_inline(admin_client, seed):
    notice = Notice.objects.get()
    response = admin_client.get(reverse("admin:policies_notice_change", args=[notice.pk]))
    assertContains(response, "进一步加强对中小企业的金融扶持")


def test_heading_change_form_has_its_measures_inline(admin_client, seed):
    heading = Heading.objects.get(ordinal=3)
    response = admin_client.get(reverse("admin:policies_heading_change", args=[heading.pk]))
    assertContains(response, "加大信贷支持力度")


def test_admin_edits_a_measure_and_the_site_shows_it(admin_client, client, seed):
    measure = Measure.objects.get(number=7)
    url = reverse("admin:policies_measure_change", args=[measure.pk])
    data = form_data(admin_client, url)
    data["title"] = "推动加大政府采购和清欠工作的力度（已校对）"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assertContains(
        client.get(measure.get_absolute_url()), "推动加大政府采购和清欠工作的力度（已校对）"
    )


def test_a_duplicate_number_is_a_form_error_not_a_crash(admin_client, seed):
    measure = Measure.objects.get(number=8)
    response = admin_client.post(
        reverse("admin:policies_measure_change", args=[measure.pk]),
        {
            "heading": measure.heading_id,
            "number": 9,
            "title": measure.title,
            "text": measure.text,
            "version": measure.version,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["__all__"]
    assert "条号" in str(errors) and "已经存在" in str(errors)
    assert Measure.objects.get(pk=measure.pk).number == 8


def test_deleting_a_heading_with_measures_is_refused(admin_client, seed):
    """Django shows the protected objects instead: the measures under it are named."""
    for ordinal, measure in [(1, "加强分类指导"), (6, "发挥协调机制作用")]:
        heading = Heading.objects.get(ordinal=ordinal)
        response = admin_client.post(
            reverse("admin:policies_heading_delete", args=[heading.pk]), {"post": "yes"}
        )
        assert response.status_code == 200
        assertContains(response, measure)
        assert Heading.objects.filter(pk=heading.pk).exists()


def test_anonymous_users_are_sent_to_login(client, seed):
    response = client.get(reverse("admin:policies_measure_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
