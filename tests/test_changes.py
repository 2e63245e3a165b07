"""What changed: the 最近更新 page, the Atom feeds, each page's last update, sitemap.xml,
robots.txt and the favicon. Drafts and internal fields never show to the public."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import reversion
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from core.changes import fill_from_history
from core.models import Change
from industry.models import ActionQuantity, Article, Company, Figure, Product
from kbsite import sitemaps
from policies.models import Measure, Notice, Topic
from tests.test_history import change_url, form_data

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
NOTICE = "gxmd-2020-14"
EDITED = "大幅下调贷款利率"
MEASURE_8 = f"/policies/notices/{NOTICE}/measures/8/"


@pytest.fixture
def editor(seed) -> Client:
    """An admin in a browser session of their own, named so the test can look for it."""
    user = get_user_model().objects.create_superuser("alice", password="a-long-passphrase-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def edited_measure(editor) -> Measure:
    """Measure 8's text edited through the admin, with a comment only staff may read."""
    measure = Measure.objects.get(notice__slug=NOTICE, number=8)
    data = form_data(editor, change_url(measure))
    data["text"] = measure.text.replace("适当下调贷款利率", EDITED)
    assert editor.post(change_url(measure), data).status_code == 302
    Change.objects.filter(object_id=str(measure.pk)).update(date=timezone.now())
    return Measure.objects.get(pk=measure.pk)


def edit_with_history(record, **fields) -> None:
    """Change a record as the admin does: saved inside a revision."""
    with reversion.create_revision():
        for name, value in fields.items():
            setattr(record, name, value)
        record.save()


def atom(client, url) -> ET.Element:
    """The feed at `url`, parsed, after checking what Atom requires of it (RFC 4287)."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text, required
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    for entry in feed.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text, required
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
    return feed


def entries(feed: ET.Element) -> list[tuple[str, str]]:
    return [
        (e.find(f"{ATOM}title").text, e.find(f"{ATOM}link").get("href"))
        for e in feed.findall(f"{ATOM}entry")
    ]


def test_an_admin_edit_is_listed_with_the_fields_it_changed(client, edited_measure):
    response = client.get(reverse("changes"))
    assertContains(response, f'<a href="{edited_measure.get_absolute_url()}">')
    first = response.context["entries"][0]
    assert first.record == edited_measure
    assert first.summary == "正文 修改"
    assertContains(response, "正文 修改")


def test_only_the_fields_a_person_edits_are_kept(edited_measure):
    """Not the search token streams or the version number, which every save changes."""
    change = Change.objects.filter(object_id=str(edited_measure.pk)).latest("date")
    assert change.action == Change.Action.CHANGED
    assert change.fields == ["text"]
    assert change.public


def test_the_english_page_says_it_in_english(client, edited_measure):
    response = client.get("/en/changes/")
    assert response.status_code == 200
    assertContains(response, f'<a href="/en{MEASURE_8}">')
    assertContains(response, "Text changed")
    assertNotContains(response, "正文 修改")


def test_anonymous_visitors_see_no_editor_and_no_comment(client, edited_measure):
    response = client.get(reverse("changes"))
    assertNotContains(response, "alice")
    assertNotContains(response, "已修改 正文")  # the admin's own change message


def test_staff_see_who_made_the_change(editor, edited_measure):
    assertContains(editor.get(reverse("changes")), "alice")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_feeds_link_the_edit_to_the_changed_record(client, edited_measure, prefix):
    url = f"http://testserver{prefix}{MEASURE_8}"
    expected = "措施 8.加大信贷支持力度：正文 修改" if not prefix else "Text changed"
    for feed_url in [f"{prefix}/changes/feed/", f"{prefix}/policies/notices/{NOTICE}/feed/"]:
        title, link = entries(atom(client, feed_url))[0]
        assert link == url
        assert expected in title


def test_the_notice_feed_holds_only_that_notices_changes(client, edited_measure):
    figure = Figure.objects.get(number=1)
    edit_with_history(figure, note="编者核对过。")
    everything = entries(atom(client, "/changes/feed/"))
    assert any(link.endswith(figure.get_absolute_url()) for _, link in everything)
    notice_feed = entries(atom(client, f"/policies/notices/{NOTICE}/feed/"))
    assert all(f"/policies/notices/{NOTICE}/" in link for _, link in notice_feed)


def test_pages_link_their_feeds(client, edited_measure):
    assertContains(
        client.get(reverse("changes")),
        '<link rel="alternate" type="application/atom+xml" title="最近更新（Atom）" '
        'href="/changes/feed/">',
        html=True,
    )
    notice = Notice.objects.get(slug=NOTICE)
    assertContains(
        client.get(notice.get_absolute_url()),
        f'href="/policies/notices/{NOTICE}/feed/"',
        count=2,  # the <link> in the head and the link in the page
    )


def test_a_drafts_edits_never_show_to_the_public(client, edited_measure):
    notice = edited_measure.notice
    edit_with_history(notice, status=Notice.Status.DRAFT)
    measure = Measure.objects.get(pk=edited_measure.pk)
    edit_with_history(measure, title="草稿中的标题")

    for response in [client.get("/changes/"), client.get("/en/changes/")]:
        assertNotContains(response, measure.get_absolute_url())
        assertNotContains(response, "草稿中的标题")
        assertNotContains(response, NOTICE)
    feed = client.get("/changes/feed/").content.decode()
    assert NOTICE not in feed and "草稿中的标题" not in feed
    assert client.get(f"/policies/notices/{NOTICE}/feed/").status_code == 404
    # Published again, the edit made while it was public is listed again; the one made
    # while it was a draft never is.
    edit_with_history(Notice.objects.get(pk=notice.pk), status=Notice.Status.PUBLISHED)
    summaries = [entry.summary for entry in client.get("/changes/").context["entries"]]
    assert "正文 修改" in summaries
    assert "标题 修改" not in summaries


def test_a_new_drafts_records_never_show(client, seed):
    notice = Notice.objects.get(slug=NOTICE)
    with reversion.create_revision():
        draft = Notice.objects.create(
            **{
                f.attname: getattr(notice, f.attname)
                for f in Notice._meta.concrete_fields
                if not f.primary_key
            }
            | {"slug": "draft-notice", "doc_number": "草稿〔2026〕1号", "status": "draft"}
        )
    edit_with_history(draft, title="草稿通知的新标题")
    assert not Change.objects.public().filter(object_id=str(draft.pk), content_type__model="notice")
    assertNotContains(client.get("/changes/"), "草稿〔2026〕1号")


def test_a_deleted_record_says_so_without_a_link(client, seed):
    notice = Notice.objects.get(slug=NOTICE)
    heading = notice.headings.first()
    with reversion.create_revision():
        added = Measure.objects.create(heading=heading, number=99, title="临时措施", text="临时。")
    url = added.get_absolute_url()
    assertContains(client.get("/changes/"), f'<a href="{url}">')
    added.delete()

    response = client.get("/changes/")
    assertNotContains(response, url)
    first, second = response.context["entries"][:2]
    assert (first.summary, first.deleted, first.url) == ("删除", True, "")
    assert (second.summary, second.deleted) == ("新增", True)  # the record is gone
    assertContains(response, "临时措施", count=2)
    assertContains(response, "（记录已删除）", count=2)


def test_a_deleted_drafts_record_never_shows(client, seed):
    notice = Notice.objects.get(slug=NOTICE)
    edit_with_history(notice, status=Notice.Status.DRAFT)
    with reversion.create_revision():
        added = Measure.objects.create(
            heading=notice.headings.first(), number=99, title="草稿措施", text="临时。"
        )
    added.delete()
    assertNotContains(client.get("/changes/"), "草稿措施")


# The count, the page, the records of each kind on it (ten kinds), the staff session.
MAX_QUERIES = 20


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "1e3", "99999999999999999999"])
def test_a_bad_page_is_not_found(client, seed, page):
    assert client.get("/changes/", {"page": page}).status_code == 404


def test_the_page_reads_a_bounded_number_of_queries(
    client, editor, seed, django_assert_max_num_queries
):
    """However long the history: many changes of every kind of record, one page. (About
    one query per kind of record on the page, and the visitor's session for staff.)"""
    records = [
        *Measure.objects.all()[:10],
        *Notice.objects.all(),
        *Article.objects.all(),
        *Figure.objects.all()[:10],
        *Company.objects.all()[:5],
        *Product.objects.all()[:5],
    ]
    for round_ in range(3):
        with reversion.create_revision():
            for record in records:
                record.save()
        Change.objects.filter(action="added").update(date=timezone.now() - timedelta(days=1))
        edit_with_history(records[0], title_en=f"Round {round_}")
    assert Change.objects.public().count() > 100
    for who in [client, editor]:
        with django_assert_max_num_queries(MAX_QUERIES):
            response = who.get("/changes/")
        assert response.status_code == 200
        with django_assert_max_num_queries(MAX_QUERIES):
            assert who.get("/changes/?page=2").status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/changes/feed/").status_code == 200


@pytest.mark.parametrize(
    "record",
    [
        lambda: Measure.objects.get(notice__slug=NOTICE, number=8),
        lambda: Notice.objects.get(slug=NOTICE),
        lambda: Article.objects.first(),
        lambda: Figure.objects.get(number=1),
        lambda: Company.objects.first(),
        lambda: Product.objects.get(slug="caustic-soda"),
    ],
    ids=["measure", "notice", "article", "figure", "company", "product"],
)
def test_each_records_page_shows_its_last_update(client, seed, record):
    record = record()
    date = timezone.localdate() - timedelta(days=40)
    Change.objects.update(date=timezone.now() - timedelta(days=400))
    Change.objects.public().about(record).update(
        date=timezone.make_aware(timezone.datetime(date.year, date.month, date.day, 12))
    )
    response = client.get(record.get_absolute_url())
    assertContains(response, "最后更新 <time datetime=")
    assertContains(response, f">{date:%Y-%m-%d}</time>")
    assertContains(client.get("/en" + record.get_absolute_url()), "Last updated")


def test_a_notices_last_update_counts_its_measures(client, edited_measure):
    response = client.get(edited_measure.notice.get_absolute_url())
    assertContains(response, f">{timezone.localdate():%Y-%m-%d}</time>")


def test_the_sitemap_lists_every_public_page_in_both_languages(client, seed):
    index = ET.fromstring(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    urls = set()
    for section in sections:
        response = client.get(section.removeprefix("http://testserver"))
        assert response.status_code == 200
        tree = ET.fromstring(response.content)
        urls |= {
            loc.text.removeprefix("http://testserver")
            for loc in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
        }
    measure = Measure.objects.get(notice__slug=NOTICE, number=8).get_absolute_url()
    for path in [
        "/",
        "/changes/",
        "/policies/",
        "/policies/measures/",
        "/industry/",
        measure,
        f"/policies/notices/{NOTICE}/",
        Article.objects.first().get_absolute_url(),
        Figure.objects.get(number=1).get_absolute_url(),
        Product.objects.first().get_absolute_url(),
        Company.objects.first().get_absolute_url(),
    ]:
        assert path in urls and f"/en{path}" in urls, path


def test_the_sitemap_leaves_drafts_out(client, seed):
    notice = Notice.objects.get(slug=NOTICE)
    measure = Measure.objects.get(notice=notice, number=8).get_absolute_url()
    assertContains(client.get("/sitemap-measures.xml"), measure)
    notice.status = Notice.Status.DRAFT
    notice.save()
    assertNotContains(client.get("/sitemap-measures.xml"), measure)
    assertNotContains(client.get("/sitemap-notices.xml"), NOTICE)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/sitemap.xml?x=1", "/sitemap.xml"),
        ("/sitemap.xml?p=2", "/sitemap.xml"),
        ("/sitemap-measures.xml?p=1", "/sitemap-measures.xml"),
        ("/sitemap-measures.xml?utm_source=x", "/sitemap-measures.xml"),
        ("/sitemap-measures.xml?p=002", "/sitemap-measures.xml?p=2"),
        ("/sitemap-measures.xml?p=2&x=1", "/sitemap-measures.xml?p=2"),
        ("/sitemap-measures.xml?p=2&p=2", "/sitemap-measures.xml?p=2"),
    ],
)
def test_each_sitemap_page_answers_at_one_url(client, seed, monkeypatch, url, canonical):
    """A sitemap page takes seconds to make at scale, and kept pages are keyed on the whole
    URL: a made-up variant is redirected to the page's one URL, not made afresh."""
    monkeypatch.setattr(sitemaps.Measures, "limit", 2)  # the seed's measures on several pages
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (301, canonical)
    assert client.get(canonical).status_code == 200


@pytest.mark.parametrize("page", ["0", "x", "-1", "+2", "2.0", "\u0662"])
def test_a_sitemap_page_that_is_not_a_number_is_not_found(client, seed, page):
    assert client.get("/sitemap-measures.xml", {"p": page}).status_code == 404


def test_robots_txt_points_at_the_sitemap(client, seed):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assertContains(response, "Sitemap: http://testserver/sitemap.xml")


def test_the_favicon_answers(client, settings, seed):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    assert (settings.BASE_DIR / "static" / "favicon.svg").read_text().startswith("<svg")
    assertContains(
        client.get("/"), '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    )


def test_a_history_older_than_the_change_log_is_read_once(edited_measure):
    """A site upgraded to the changes page: its changes are made from its history at the
    next migrate, and only while there are none."""
    Change.objects.all().delete()
    fill_from_history()
    edit = Change.objects.get(object_id=str(edited_measure.pk), action=Change.Action.CHANGED)
    assert edit.fields == ["text"] and edit.public
    assert Change.objects.filter(action=Change.Action.ADDED).count() > 100  # the seed's
    count = Change.objects.count()
    fill_from_history()
    assert Change.objects.count() == count


def test_a_revision_of_many_records_is_compared_in_batches(seed, monkeypatch):
    monkeypatch.setattr("core.changes.BATCH", 3)
    measures = list(Measure.objects.all())
    with reversion.create_revision():
        for measure in measures:
            measure.title_en += " (revised)"
            measure.save()
    edits = Change.objects.filter(action=Change.Action.CHANGED, fields=["title_en"])
    assert sorted(edits.values_list("object_id", flat=True)) == sorted(str(m.pk) for m in measures)


def edit_classifications(editor, measure: Measure, edit) -> None:
    """Save the measure's admin page with only its classification rows changed by `edit`
    (given the form data and each row's prefix by the term's name)."""
    url = change_url(measure)
    response = editor.get(url)
    data = form_data(editor, url)
    rows = {}
    for formset in response.context["inline_admin_formsets"]:
        for form in formset.formset.forms:
            rows[str(form.instance.term)] = form.prefix
    edit(data, rows)
    response = editor.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


def test_an_edit_of_classifications_alone_is_listed_by_name(client, editor):
    """Only the inline rows change (a topic added, a target group removed, an evidence
    edited): one entry for the measure says which, by name, in both languages."""
    measure = Measure.objects.get(notice__slug=NOTICE, number=8)
    topic = Topic.objects.get(slug="financing-services")

    def edit(data, rows):
        data |= {
            "topic_assignments-TOTAL_FORMS": 2,
            "topic_assignments-1-topic": topic.pk,
            "topic_assignments-1-evidence": "推广基于多维度大数据分析的新型征信模式",
            f"{rows['受疫情影响较大的企业']}-DELETE": "on",
            f"{rows['小微企业']}-evidence": "向小微企业发放的贷款",
        }

    edit_classifications(editor, measure, edit)
    change = Change.objects.filter(object_id=str(measure.pk)).latest("date")
    assert change.action == Change.Action.CHANGED and change.public
    assert Change.objects.filter(revision=change.revision).count() == 1

    response = client.get(reverse("changes"))
    first = response.context["entries"][0]
    assert first.record == measure
    assert first.summary == (
        "政策工具/主题 新增：融资产品与服务；支持对象 删除：受疫情影响较大的企业；"
        "支持对象 修改：小微企业"
    )
    assertContains(response, first.summary)
    assertNotContains(response, "alice")
    assertNotContains(response, "向小微企业发放的贷款")  # the evidence is a value
    english = client.get("/en/changes/").context["entries"][0].summary
    assert english == (
        "Topics added: Financing products and services; target groups removed: Enterprises"
        " hard hit by the epidemic; target groups changed: Small and micro enterprises"
    ), english
    title, link = entries(atom(client, f"/policies/notices/{NOTICE}/feed/"))[0]
    assert link.endswith(MEASURE_8) and "政策工具/主题 新增：融资产品与服务" in title


def test_classifications_saved_unchanged_make_no_entry(editor):
    measure = Measure.objects.get(notice__slug=NOTICE, number=8)
    count = Change.objects.count()
    edit_classifications(editor, measure, lambda data, rows: None)
    assert Change.objects.count() == count


def test_a_classification_moved_to_another_term_is_removed_and_added(client, editor):
    measure = Measure.objects.get(notice__slug=NOTICE, number=8)
    training = Topic.objects.get(slug="financing-services")

    def edit(data, rows):
        data[f"{rows['信贷']}-topic"] = training.pk

    edit_classifications(editor, measure, edit)
    summary = client.get(reverse("changes")).context["entries"][0].summary
    assert summary == "政策工具/主题 新增：融资产品与服务；政策工具/主题 删除：信贷"


def test_an_actions_other_quantities_edited_alone_are_listed(client, editor):
    """The industry app's inline rows: an action's other quantities, named as printed."""
    quantity = ActionQuantity.objects.select_related("action").first()
    action = quantity.action
    url = change_url(action)
    data = form_data(editor, url)
    prefix = next(k for k, v in data.items() if k.endswith("-phrase") and v == quantity.phrase)
    data[prefix.removesuffix("phrase") + "position"] = 9
    assert editor.post(url, data).status_code == 302
    entry = client.get(reverse("changes")).context["entries"][0]
    assert entry.record == action
    assert entry.summary == f"行动中的其他数量 修改：{quantity.phrase}"
    english = client.get("/en/changes/")
    assertContains(english, 'Other quantities changed: <span lang="zh-Hans">')


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def lastmods(client, url) -> dict[str, str | None]:
    tree = ET.fromstring(client.get(url).content)
    return {
        node.find(f"{SITEMAP}loc").text.removeprefix("http://testserver"): (
            node.find(f"{SITEMAP}lastmod").text
            if node.find(f"{SITEMAP}lastmod") is not None
            else None
        )
        for node in tree.iter(f"{SITEMAP}url")
    }


def test_the_sitemap_gives_each_record_its_last_change(client, edited_measure):
    """<lastmod> is the date of the record's newest public change (a notice's: of anything
    in it), in both languages; the sitemap index gives each section's newest."""
    day = timezone.now() - timedelta(days=3)
    earlier = day - timedelta(days=30)
    Change.objects.update(date=earlier)
    Change.objects.filter(object_id=str(edited_measure.pk), content_type__model="measure").update(
        date=day
    )
    day, earlier = (f"{timezone.localdate(d):%Y-%m-%d}" for d in (day, earlier))
    measures = lastmods(client, "/sitemap-measures.xml")
    url = edited_measure.get_absolute_url()
    assert measures[url] == measures[f"/en{url}"] == day
    other = Measure.objects.get(notice__slug=NOTICE, number=9).get_absolute_url()
    assert measures[other] == earlier
    notice = edited_measure.notice.get_absolute_url()
    assert lastmods(client, "/sitemap-notices.xml")[notice] == day
    figure = Figure.objects.get(number=1).get_absolute_url()
    assert lastmods(client, "/sitemap-figures.xml")[figure] == earlier
    index = ET.fromstring(client.get("/sitemap.xml").content)
    sections = {
        node.find(f"{SITEMAP}loc").text: node.findtext(f"{SITEMAP}lastmod")
        for node in index.iter(f"{SITEMAP}sitemap")
    }
    assert sections["http://testserver/sitemap-measures.xml"].startswith(day)


@pytest.mark.parametrize("section", ["measures", "notices", "figures", "companies", "products"])
def test_the_sitemaps_last_changes_take_one_query(client, seed, section, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count (for the pages) and the rows
        response = client.get(f"/sitemap-{section}.xml")
    assert response.status_code == 200 and b"<lastmod>" in response.content


@pytest.mark.parametrize(
    ("page", "listed"),
    [
        (lambda: Company.objects.get(slug="dadi"), lambda company: company.actions.first()),
        (lambda: Product.objects.get(slug="caustic-soda"), lambda p: p.figures.first()),
    ],
    ids=["company-action", "product-figure"],
)
def test_a_change_of_what_a_page_lists_is_its_last_update(client, seed, page, listed):
    """A company's page lists its actions (a change of one links there), a product's its
    figures: their changes date the page, in its 最后更新 and in the sitemap."""
    record = page()
    Change.objects.update(date=timezone.now() - timedelta(days=400))
    edit_with_history(listed(record), note="编者核对过。")
    today = f"{timezone.localdate():%Y-%m-%d}"
    assertContains(client.get(record.get_absolute_url()), f">{today}</time>")
    section = "companies" if isinstance(record, Company) else "products"
    assert lastmods(client, f"/sitemap-{section}.xml")[record.get_absolute_url()] == today
