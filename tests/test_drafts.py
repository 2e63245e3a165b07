"""A draft notice is seen by no public page, list, count, export or search until it is
published, and by staff only as a preview."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from policies.models import Measure, Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(make_measures, make_notice):
    notice = make_notice(slug="draft", doc_number="草稿〔2024〕9号", status="draft")
    make_measures(2, notice=notice)
    return notice


def found(client, query: str) -> str:
    return client.get(reverse("search"), {"q": query, "kind": "measure"}).content.decode()


def test_a_draft_is_nowhere_public(client, draft):
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert (
        client.get(Measure.objects.get(notice=draft, number=1).get_absolute_url()).status_code
        == 404
    )
    for url in ["/policies/", "/policies/measures/", "/policies/measures.csv", "/"]:
        assertNotContains(client.get(url), "草稿〔2024〕9号")
    assert client.get("/policies/measures/", {"notice": "draft"}).status_code == 400
    assert "草稿〔2024〕9号 第1条" not in found(client, "措施1")
    assert Measure.objects.get(notice=draft, number=1).search_title == ""


def test_publishing_indexes_its_measures_and_withdrawing_unindexes_them(client, draft):
    draft.status = Notice.Status.PUBLISHED
    draft.save()
    assert "草稿〔2024〕9号 第1条" in found(client, "措施1")
    assertContains(client.get("/policies/"), "草稿〔2024〕9号")
    draft.status = Notice.Status.DRAFT
    draft.save()
    assert "草稿〔2024〕9号 第1条" not in found(client, "措施1")
    call_command("rebuild_search", verbosity=0)  # a rebuild keeps drafts out too
    assert "草稿〔2024〕9号 第1条" not in found(client, "措施1")


def test_staff_see_a_preview_that_no_cache_keeps(admin_client, draft):
    response = admin_client.get(draft.get_absolute_url())
    assertContains(response, "草稿预览")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assertContains(admin_client.get(f"{draft.get_absolute_url()}measures/2/"), "草稿预览")


def test_a_notices_validity_is_shown_and_unknown_says_so(client, make_notice, make_measures):
    notice = make_notice()
    make_measures(1, notice=notice)
    assertContains(client.get(notice.get_absolute_url()), "效力：<strong>未知</strong>")
    repealer = make_notice(slug="later", doc_number="测试〔2025〕2号")
    notice.validity = Notice.Validity.REPEALED
    notice.validity_changed_on = "2025-03-01"
    notice.validity_changed_by = repealer
    notice.save()
    page = client.get(f"{notice.get_absolute_url()}measures/1/").content.decode()
    assert "效力：<strong>已废止</strong>" in page and "测试〔2025〕2号" in page
    assert "编者核实" in page


def test_a_change_of_validity_needs_a_changed_validity(make_notice):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        make_notice(validity="in-force", validity_changed_on="2025-01-01")
