import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from pytest_django.asserts import assertContains, assertNotContains

from industry.models import Action
from policies.models import (
    Issuer,
    Measure,
    MeasureRegion,
    MeasureTopic,
    Notice,
    Region,
    Topic,
    classifications_of,
)
from tests.test_changes import edit_with_history

pytestmark = pytest.mark.django_db

NOTICE_URL = "/policies/notices/gxmd-2020-14/"


def measure_url(number: int) -> str:
    return reverse("policies:measure-detail", args=["gxmd-2020-14", number])


def test_home_shows_counts_and_entry_points(client, seed, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get("/")
    assertContains(response, "<strong>20</strong> 条支持措施", html=False)
    assertContains(response, NOTICE_URL)
    assertContains(response, reverse("policies:measure-list"))
    assertContains(response, reverse("industry:home"))


def test_home_counts_follow_an_edit(client, seed):
    """The counts are cached, until the data changes."""
    assertContains(client.get("/"), "<strong>20</strong> 条支持措施", html=False)
    measure = Measure.objects.get(number=20)
    measure.pk, measure.number = None, 21
    measure.save()
    assertContains(client.get("/"), "<strong>21</strong> 条支持措施", html=False)


def test_the_notice_page_reads_its_measures_once_and_only_what_it_shows(client, seed):
    """The data version, the notice with its last update, its issuers, its headings, its
    measures: each measure's link and citation use the notice read once (with its issuers),
    and the search index's columns are not read."""
    ContentType.objects.get_for_model(Notice)  # read once per process, whichever test is first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(NOTICE_URL)
    assertContains(response, "工信明电〔2020〕14号 第20条")
    assert len(queries) <= 5
    measures = [q["sql"] for q in queries if 'FROM "policies_measure"' in q["sql"]]
    assert len(measures) == 1 and "search_" not in measures[0]
    assertContains(response, "最后更新")


def test_notice_list(client, seed, django_assert_max_num_queries):
    # On a cold cache: the data version, five facets counted once, the total, the page and
    # its issuers.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("policies:notice-list"))
    assertContains(response, "工信明电〔2020〕14号")
    assertContains(response, "20 条措施")
    with django_assert_max_num_queries(4):
        client.get(reverse("policies:notice-list"))


def test_notice_reads_in_order_with_header_toc_and_anchors(
    client, seed, django_assert_max_num_queries
):
    # With the data versions (the page cache's key) and the issuers the measures' citations
    # name.
    with django_assert_max_num_queries(7):
        response = client.get(NOTICE_URL)
    body = response.content.decode()
    for label in ["发文字号", "发文机关", "成文日期", "主送机关", "目录"]:
        assert label in body
    assert "2020年2月9日" in body
    assert "（本文有删减）" in body
    assert 'href="http://www.gov.cn/zhengce/zhengceku/2020-02/10/content_5476684.htm"' in body
    for number in range(1, 21):
        assert f'id="measure-{number}"' in body
        assert f'href="#measure-{number}"' in body
    for ordinal in range(1, 7):
        assert f'id="heading-{ordinal}"' in body
    positions = [body.index(f'id="measure-{n}"') for n in range(1, 21)]
    assert positions == sorted(positions)


def page_text(response) -> str:
    """What a reader sees, with the markup and the template's line breaks removed."""
    return "".join(strip_tags(response.content.decode()).split())


def test_every_sentence_of_the_notice_is_on_its_page(client, seed):
    """The stored parts reassemble the source (see the fidelity tests); each of their
    sentences must then be readable, verbatim, on the notice page."""
    notice = Notice.objects.get()
    parts = [notice.title, notice.doc_number, notice.addressees, notice.preamble]
    parts += [f"{h.label}{h.title}" for h in notice.headings.all()]
    parts += [m.source_text for m in notice.measures.all()]
    parts += [
        notice.closing,
        notice.signature,
        notice.signature_date,
        notice.abridged_note,
    ]
    text = page_text(client.get(NOTICE_URL))
    sentences = [s for part in parts for s in re.split(r"(?<=[。：；])", part) if s]
    assert len(sentences) > 80
    for sentence in sentences:
        assert sentence in text, sentence


def test_notice_page_marks_editorial_titles(client, seed):
    response = client.get(NOTICE_URL)
    assertContains(
        response, "编者拟定标题", count=4
    )  # measures 19 and 20, in the contents and the text


def test_measure_detail(client, seed, django_assert_max_num_queries):
    # Four, and the data versions (the page cache's key). The classifications' names come
    # from the vocabulary, read once per edit of the policies: here by another measure's page.
    client.get(measure_url(7))
    with django_assert_max_num_queries(5):
        response = client.get(measure_url(8))
    measure = Measure.objects.get(number=8)
    text = page_text(response)
    assert "8.加大信贷支持力度" in text
    assert measure.text in text
    assert "三、进一步加强对中小企业的金融扶持" in text
    assertContains(
        response, 'aria-labelledby="citation-short-label">工信明电〔2020〕14号 第8条</p>'
    )
    assertContains(response, f'href="{NOTICE_URL}#measure-8"')
    assertContains(response, 'href="/policies/measures/?topic=credit"')
    assertContains(response, f'href="{measure_url(7)}"')
    assertContains(response, f'href="{measure_url(9)}"')
    assertNotContains(response, "编者拟定标题")


def test_first_and_last_measures_have_one_neighbour(client, seed):
    first = client.get(measure_url(1)).content.decode()
    assert 'rel="prev"' not in first and 'rel="next"' in first
    last = client.get(measure_url(20)).content.decode()
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_editorial_title_is_flagged_on_the_measure_page(client, seed):
    response = client.get(measure_url(19))
    assertContains(response, "编者拟定标题")
    assert "19.发挥各级促进中小企业发展工作协调机制作用" in page_text(response)


def test_measure_5_links_its_regions(client, seed):
    response = client.get(measure_url(5))
    for slug in ["hubei", "shanghai", "chongqing"]:
        assertContains(response, f'href="/policies/measures/?region={slug}"')


def test_unknown_measure_is_404(client, seed):
    assert client.get(measure_url(21)).status_code == 404
    assert client.get("/policies/notices/gxmd-2020-14/measures/0/").status_code == 404


def test_pages_refuse_post(client, seed):
    assert client.post(reverse("policies:measure-list")).status_code == 405


def test_query_counts_do_not_grow_with_measures(
    client, make_measures, topic, django_assert_max_num_queries
):
    """Pages cost the same number of queries for 3 measures as for 60."""
    counts = {}
    for size, slug in [(3, "small"), (60, "large")]:
        notice = Notice.objects.create(
            slug=slug,
            doc_number=f"测试{slug}",
            title="t",
            issuing_body="b",
            issued_on="2024-01-01",
            addressees="a",
            preamble="p",
            signature="s",
            signature_date="d",
            published_in="x",
            level="national",
            doc_type="notice",
            status="published",
        )
        make_measures(size, notice=notice, topic=topic)
        for url in [
            notice.get_absolute_url(),
            reverse("policies:measure-list") + f"?notice={slug}",
            reverse("policies:measure-list") + f"?notice={slug}&topic=credit",
        ]:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.setdefault(url.replace(slug, "N"), []).append(len(ctx.captured_queries))
    for url, (small, large) in counts.items():
        assert small == large, (url, small, large)


def page_queries(client, url: str) -> list[str]:
    """The SQL an anonymous visitor's request for the page runs."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_measure_page_reads_four_queries_however_much_it_shows(client, seed, settings):
    """Uncached (page cache off): the measure with its neighbours and last update, its
    notice's issuers, its classifications, its related actions (none without one), and the
    data versions (the key of the vocabulary: the classifications' names, read once per edit
    of the policies; with the page cache on they are the page's key anyway); as many for one
    more of each as for thirty (for every action of the seed)."""
    settings.KB_PAGE_CACHE_SECONDS = 0
    measure = Measure.objects.get(notice__slug="gxmd-2020-14", number=8)
    actions = list(Action.objects.all())
    counts = []
    for start, stop in [(0, 1), (1, 30)]:
        topics = Topic.objects.bulk_create(
            Topic(slug=f"extra-{i}", name=f"额外主题{i}", name_en=f"Extra {i}")
            for i in range(start, stop)
        )
        MeasureTopic.objects.bulk_create(
            MeasureTopic(measure=measure, topic=topic, evidence="加大信贷支持力度")
            for topic in topics
        )
        regions = Region.objects.bulk_create(
            Region(slug=f"extra-{i}", name=f"额外地区{i}", name_en=f"Extra {i}")
            for i in range(start, stop)
        )
        MeasureRegion.objects.bulk_create(
            MeasureRegion(measure=measure, region=region, evidence="信贷") for region in regions
        )
        measure.notice.issuers.add(
            *Issuer.objects.bulk_create(
                Issuer(slug=f"extra-{i}", name=f"额外机关{i}") for i in range(start, stop)
            )
        )
        measure.industry_actions.add(*actions[start:stop])
        for i in range(start, stop):
            edit_with_history(measure, title_en=f"Edit {i}")
        # The vocabulary (the classifications' names) is read once per edit of the policies.
        assert len(page_queries(client, measure_url(7))) <= 4 + 3
        counts.append(len(page_queries(client, measure_url(8))))
    assert counts[0] == counts[1] <= 4 + 1
    assert len(page_queries(client, measure_url(7))) <= 3 + 1  # no action linked to it
    response = client.get(measure_url(8))
    assertContains(response, "额外主题29")
    assertContains(response, "额外地区29")
    assertContains(response, actions[-1].company.get_absolute_url())
    assertContains(response, "最后更新")


def test_a_classification_added_without_an_edit_is_shown(client, seed, settings):
    """The classifications' names come from the vocabulary, read once per data version; a
    term inserted in bulk (no signal, so the same version) is read with the page instead."""
    settings.KB_PAGE_CACHE_SECONDS = 0
    assertNotContains(client.get(measure_url(8)), "批量主题")  # the vocabulary is read
    measure = Measure.objects.get(notice__slug="gxmd-2020-14", number=8)
    (topic,) = Topic.objects.bulk_create([Topic(slug="bulk", name="批量主题", name_en="Bulk")])
    MeasureTopic.objects.bulk_create([MeasureTopic(measure=measure, topic=topic, evidence="信贷")])
    assertContains(client.get(measure_url(8)), "批量主题")


def test_a_classification_whose_term_is_deleted_meanwhile_is_left_out(seed, monkeypatch):
    """Its term gone between the query of the classifications and the query of the terms the
    vocabulary lacks: the measure is shown without it, not a server error."""
    measure = Measure.objects.get(notice__slug="gxmd-2020-14", number=8)
    classifications_of([measure])  # the vocabulary is read
    (topic,) = Topic.objects.bulk_create([Topic(slug="bulk", name="批量主题", name_en="Bulk")])
    MeasureTopic.objects.bulk_create([MeasureTopic(measure=measure, topic=topic, evidence="信贷")])
    monkeypatch.setattr(Topic.objects, "in_bulk", lambda ids: {})  # deleted meanwhile
    topics = classifications_of([measure])[measure.pk]["topic"]
    assert topics and "批量主题" not in [c.term.name for c in topics]


def test_the_measure_page_reads_no_search_tokens(client, seed, settings):
    """Neither its own nor its neighbours' or related actions' (only the search index
    reads them), nor a column of every row of a table."""
    settings.KB_PAGE_CACHE_SECONDS = 0
    for number in (1, 8, 20):
        for sql in page_queries(client, measure_url(number)):
            assert "search_title" not in sql and "search_body" not in sql, sql
            assert '"version"' not in sql, sql
