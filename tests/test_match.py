"""政策匹配: the measures that fit an enterprise, each with why, as a 政策清单 to print,
download and share. The expected lists are worked out here from the stored
classifications (the rules of policies.matching, restated), plus anchors checked by hand
against the source bulletin."""

import csv
import io
import random
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from policies import matching
from policies.models import (
    Heading,
    Measure,
    MeasureRegion,
    MeasureTargetGroup,
    MeasureTopic,
    Notice,
    Region,
    TargetGroup,
    Topic,
    vocabulary,
)

MATCH = "/policies/match/"
# A read, as a query list shows it: PostgreSQL reads a form's choices through a server-side
# cursor, and a union of SELECTs (classifications_of) starts with a parenthesis.
READ = re.compile(r"\s*(DECLARE \S+ NO SCROLL CURSOR (WITH HOLD )?FOR )?\(*SELECT ", re.IGNORECASE)
# The acceptance profile: a small enterprise in 湖北, hard hit by the epidemic, needing credit.
PROFILE = {"size": "small", "province": "hubei", "situation": "hard-hit", "need": "credit"}


def expected(*, size, regions, situations):
    """(fitting, targeted) measure numbers, from the classifications as stored."""
    groups = set(TargetGroup.objects.filter(**{f"covers_{size}": True})) | set(
        TargetGroup.objects.filter(slug__in=situations)
    )
    singling_out = {g.pk for g in groups if not g.is_all_smes}
    group_ids = {g.pk for g in groups}
    fitting, targeted = set(), set()
    for measure in Measure.objects.prefetch_related("target_groups", "regions"):
        named_groups = {g.pk for g in measure.target_groups.all()}
        named_regions = {r.slug for r in measure.regions.all()}
        if (not named_groups or named_groups & group_ids) and (
            not named_regions or named_regions & set(regions)
        ):
            fitting.add(measure.number)
            if named_groups & singling_out or named_regions & set(regions):
                targeted.add(measure.number)
    return fitting, targeted


def numbers(part) -> list[int]:
    return [fit.measure.number for fit in part.fits]


def every_page(client, query: dict, name: str) -> list[int]:
    """The numbers a part lists on all its pages, following its links to the next page."""
    found, url = [], MATCH + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    while url:
        response = client.get(url)
        assert response.status_code == 200
        found += numbers(response.context["result"].__dict__[name])
        link = re.search(
            rf'href="(\?[^"]*{name}_page=\d+[^"]*)" rel="next"', response.content.decode()
        )
        url = link and MATCH + link.group(1).replace("&amp;", "&")
    return found


def test_acceptance_profile_lists_the_measures_that_fit(client, seed, settings):
    settings.KB_PAGE_CACHE_SECONDS = 0  # every page read renders (response.context)
    response = client.get(MATCH, PROFILE)
    assert response.status_code == 200
    result = response.context["result"]
    fitting, targeted = expected(size="small", regions=["hubei"], situations=["hard-hit"])
    parts = {name: every_page(client, PROFILE, name) for name in ("targeted", "general", "other")}
    listed = [number for part in parts.values() for number in part]
    assert sorted(listed) == sorted(fitting)
    assert set(parts["targeted"]) == targeted
    assert result.count == len(fitting)
    assert sorted([*listed, *every_page(client, PROFILE, "unfit")]) == list(range(1, 21))

    # Hand-checked against the bulletin: 第8条 lends to 受疫情影响较大的企业 and 中小微企业
    # and is about 信贷, so it comes first; 第5条 names 湖北; 第9条 is for 小微企业 only;
    # 第1条 is for the enterprises essential to epidemic control, which this one is not.
    assert numbers(result.targeted)[0] == 8
    assert {5, 6, 8, 9} <= targeted
    assert 1 not in fitting
    assertContains(response, "“专精特新”企业")  # a situation offered, from the target groups
    for needle in [
        "为受疫情影响较大的企业提供应急转贷资金支持",
        "加大信贷支持力度",
        "对于确无还款能力的小微企业",
    ]:
        assertContains(response, needle)


def test_each_measure_says_why_with_evidence_from_its_text(client, seed):
    result = client.get(MATCH, PROFILE).context["result"]
    for fit in [*result.targeted.fits, *result.general.fits]:
        reasons = [*fit.groups, *fit.regions, *fit.needs]
        assert reasons or fit.for_anyone, fit.measure
        for assignment in reasons:
            assert fit.measure.quotes(assignment.evidence)
    eight = result.targeted.fits[0]
    assert {a.term.slug for a in eight.groups} == {"sme", "small-micro", "hard-hit"}
    assert [a.term.slug for a in eight.needs] == ["credit"]
    five = next(f for f in result.targeted.fits if f.measure.number == 5)
    assert [(a.term.slug, a.evidence) for a in five.regions] == [("hubei", "湖北")]
    # What it does not cover: no credit, and its part for the enterprises on the list.
    assert [t.slug for t in five.missing_needs] == ["credit"]
    assert "key-epidemic-enterprises" in {a.term.slug for a in five.other_groups}


def test_a_measure_for_another_region_does_not_fit(client, seed):
    result = client.get(MATCH, {"size": "small", "province": "zhejiang"}).context["result"]
    assert 5 in numbers(result.targeted)
    hubei_only = Region.objects.get(slug="hubei")
    measure = Measure.objects.get(number=9)
    MeasureRegion.objects.create(measure=measure, region=hubei_only, evidence="小微企业")
    result = client.get(MATCH, {"size": "small", "province": "zhejiang"}).context["result"]
    assert 9 in numbers(result.unfit)


def test_individual_businesses_are_not_taken_for_smes(client, seed):
    """个体工商户 are no enterprise size class: a measure for 中小企业 alone is not theirs."""
    result = client.get(MATCH, {"size": "individual"}).context["result"]
    fitting, _ = expected(size="individual", regions=[], situations=[])
    assert sorted(numbers(result.general)) == sorted(fitting)
    assert 7 not in fitting  # 中小企业 only


def test_a_target_group_or_topic_added_in_the_admin_is_offered(client, seed):
    assertNotContains(client.get(MATCH), "外资中小企业")
    TargetGroup.objects.create(slug="foreign-funded", name="外资中小企业", name_en="Foreign-funded")
    Topic.objects.create(slug="export-credit", name="出口信用保险", name_en="Export credit")
    # A group defined by size is a size, not a situation to tick.
    TargetGroup.objects.create(slug="micro", name="微型企业", name_en="Micro", covers_micro=True)
    response = client.get(MATCH)
    assertContains(response, 'name="situation" value="foreign-funded"')
    assertContains(response, 'name="need" value="export-credit"')
    assertNotContains(response, 'name="situation" value="micro"')
    assert client.get(MATCH, {"size": "small", "situation": "foreign-funded"}).status_code == 200


def test_a_new_size_group_matches_by_size(client, seed):
    micro = TargetGroup.objects.create(
        slug="micro", name="微型企业", name_en="Micro", covers_micro=True
    )
    measure = Measure.objects.get(number=7)
    MeasureTargetGroup.objects.filter(measure=measure).delete()
    MeasureTargetGroup.objects.create(measure=measure, target_group=micro, evidence="中小企业")
    assert 7 in numbers(client.get(MATCH, {"size": "micro"}).context["result"].targeted)
    assert 7 in numbers(client.get(MATCH, {"size": "small"}).context["result"].unfit)


def test_a_city_belongs_to_its_province(client, seed):
    hubei = Region.objects.get(slug="hubei")
    Region.objects.create(slug="wuhan", name="武汉", name_en="Wuhan", parent=hubei)
    assertContains(client.get(MATCH), 'value="wuhan"')
    result = client.get(MATCH, {"size": "small", "city": "wuhan"}).context["result"]
    assert [r.slug for r in result.profile.regions] == ["hubei", "wuhan"]
    assert 5 in numbers(result.targeted)  # 湖北 named
    response = client.get(MATCH, {"size": "small", "province": "zhejiang", "city": "wuhan"})
    assert response.status_code == 400
    assertContains(response, "不在", status_code=400)


@pytest.mark.parametrize(
    "query",
    [
        {"size": "huge"},
        {"province": "hubei"},  # the size is what matching starts from
        {"size": "small", "province": "atlantis"},
        {"size": "small", "situation": "sme"},  # a size group is not a situation
        {"size": "small", "need": "no-such-topic"},
        {"size": "small", "province": "hu\x00bei"},
        {"size": "small", "need": "credit\x00"},
        {"size": "small", "city": "9" * 5000},
    ],
)
def test_bad_parameters_are_a_form_error(client, seed, query):
    response = client.get(MATCH, query)
    assert response.status_code == 400
    assertContains(response, 'role="alert"', status_code=400)
    assert client.get(reverse("policies:match-export-csv"), query).status_code == 400


def test_empty_parameters_are_dropped_from_the_url(client, seed):
    response = client.get(MATCH, {"size": "small", "province": "", "need": ["credit", ""]})
    assert response.status_code == 302
    assert response["Location"] == f"{MATCH}?size=small&need=credit"


def test_the_form_alone_without_a_profile(client, seed):
    response = client.get(MATCH)
    assert response.status_code == 200
    assert response.context["result"] is None
    assertNotContains(response, "政策清单：")


def test_the_url_reproduces_the_list_and_nothing_is_stored(client, seed, clear_cache):
    with CaptureQueriesContext(connection) as queries:
        first = client.get(MATCH, PROFILE)
    # Reads only (PostgreSQL reads a form's choices through a server-side cursor).
    writes = [q["sql"] for q in queries.captured_queries if not READ.match(q["sql"])]
    assert not writes, writes
    assert not first.cookies  # no session, no cookie
    share = first.context["share_url"]
    assert share == "http://testserver/policies/match/?" + first.wsgi_request.GET.urlencode()
    clear_cache()  # made again from the URL, not answered as the kept page
    again = client.get(share)
    assert [
        numbers(again.context["result"].targeted),
        numbers(again.context["result"].general),
    ] == [
        numbers(first.context["result"].targeted),
        numbers(first.context["result"].general),
    ]
    assertContains(first, 'value="' + share.replace("&", "&amp;") + '"')


def test_drafts_never_appear(client, seed):
    Notice.objects.update(status=Notice.Status.DRAFT)
    result = client.get(MATCH, PROFILE).context["result"]
    assert result.count == 0 and result.unfit.total == 0
    rows = list(
        csv.reader(io.StringIO(client.get("/policies/match.csv", PROFILE).getvalue().decode()[1:]))
    )
    assert len(rows) == 1  # the header alone


def test_notices_no_longer_in_force_are_left_out_and_counted(client, seed):
    Notice.objects.update(validity=Notice.Validity.REPEALED)
    response = client.get(MATCH, PROFILE)
    result = response.context["result"]
    assert result.count == 0
    assert result.out_of_force == 20
    assertContains(response, "另有 20 条措施所属文件已废止或已失效，未列入。")


def test_an_amended_notice_is_marked(client, seed):
    Notice.objects.update(validity=Notice.Validity.AMENDED)
    assertContains(client.get(MATCH, PROFILE), "效力：已修改")


def test_editorial_titles_are_marked(client, seed):
    # Measures 19 and 20 are the last that fit: on the second page of their part.
    response = client.get(MATCH, {"size": "medium", "general_page": 2})
    html = response.content.decode()
    for number in (19, 20):
        title = Measure.objects.get(number=number).title
        start = html.index(title)
        assert "编者拟定标题" in html[start : start + 400]


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_download_has_citations_links_and_reasons(client, seed):
    response = client.get(reverse("policies:match-export-csv"), PROFILE)
    assert response.status_code == 200
    header, *rows = read_csv(response)
    assert header[:3] == ["类别", "序号", "引用"]
    fitting, _ = expected(size="small", regions=["hubei"], situations=["hard-hit"])
    assert len(rows) == len(fitting)
    first = dict(zip(header, rows[0], strict=True))
    assert first["引用"] == "工信明电〔2020〕14号 第8条"
    assert first["网址"] == "http://testserver/policies/notices/gxmd-2020-14/measures/8/"
    assert (
        "受疫情影响较大的企业“为受疫情影响较大的企业提供应急转贷资金支持”"
        in first["为何适用（编者分类及依据）"]
    )
    assert first["类别"] == "针对本企业"
    editorial = {r[header.index("引用")]: r[header.index("标题为编者所加")] for r in rows}
    assert editorial["工信明电〔2020〕14号 第20条"] == "true"


def test_downloads_keep_the_formula_guard(client, seed):
    Measure.objects.filter(number=8).update(title="=HYPERLINK(1)")
    header, *rows = read_csv(client.get(reverse("policies:match-export-csv"), PROFILE))
    assert rows[0][header.index("措施标题")] == "'=HYPERLINK(1)"


def read_xlsx(response) -> list[list]:
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_download_reads_back_with_chinese_intact(client, seed):
    response = client.get(reverse("policies:match-export-xlsx"), PROFILE)
    assert response.status_code == 200
    header, *rows = read_xlsx(response)
    assert "为何适用（编者分类及依据）" in header
    first = dict(zip(header, rows[0], strict=True))
    # As the measure's page cites it: GB/T 7714, its permanent URL, the day downloaded.
    reference = first["完整引用"]
    assert reference.startswith("中华人民共和国工业和信息化部. 工业和信息化部关于应对新型冠状病毒")
    assert "[EB/OL]" in reference and "工信明电〔2020〕14号 第8条" in reference
    assert f"http://testserver{Measure.objects.get(number=8).get_absolute_url()}" in reference
    assert f"[{timezone.localdate().isoformat()}]" in reference
    assert first["原文"] == Measure.objects.get(number=8).source_text
    assert first["网址"].endswith("/policies/notices/gxmd-2020-14/measures/8/")


def test_downloads_are_capped_for_the_public(client, seed, settings):
    settings.KB_EXPORT_ROW_LIMIT = 2
    response = client.get(reverse("policies:match-export-csv"), PROFILE)
    assert response["X-Row-Limit"] == "2"
    assert len(read_csv(response)) == 1 + 2 + 1  # header, two rows, the note


def test_english_page_and_download(client, seed):
    response = client.get("/en" + MATCH, PROFILE)
    assert response.status_code == 200
    assertContains(response, "Policy matching")
    assertContains(response, "Small and micro enterprises")
    assertContains(response, "Why it fits")
    assertContains(response, '<q class="evidence" lang="zh-Hans">加大信贷支持力度</q>', html=True)
    header, *_rows = read_csv(client.get("/en/policies/match.csv", PROFILE))
    assert "Why it fits (editorial classification and evidence)" in header
    assert client.get("/en" + MATCH, {"size": "huge"}).status_code == 400


def test_linked_from_home_header_and_measure_list(client, seed):
    for url in ["/", reverse("policies:measure-list"), "/en/"]:
        assertContains(client.get(url), 'href="' + ("/en" if url == "/en/" else "") + MATCH + '"')


def add_measures(count: int) -> None:
    """More measures of the seed's notice, each filed like 第8条."""
    notice = Notice.objects.get()
    heading = Heading.objects.filter(notice=notice).last()
    eight = Measure.objects.get(number=8)
    for number in range(21, 21 + count):
        measure = Measure.objects.create(
            heading=heading, number=number, title=f"措施{number}", text=eight.text
        )
        for a in eight.topic_assignments.all():
            MeasureTopic.objects.create(measure=measure, topic=a.topic, evidence=a.evidence)
        for a in eight.target_group_assignments.all():
            MeasureTargetGroup.objects.create(
                measure=measure, target_group=a.target_group, evidence=a.evidence
            )


def test_queries_do_not_grow_with_the_data(client, seed, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as seeded:
        client.get(MATCH, PROFILE)
    add_measures(40)
    with django_assert_max_num_queries(len(seeded.captured_queries)):
        response = client.get(MATCH, PROFILE)
    assert response.context["result"].count > 40
    with django_assert_max_num_queries(20):
        client.get(MATCH, PROFILE)


def reference(profile) -> dict[str, list[int]]:
    """Each part's measure ids in order, measure by measure from the stored classifications:
    the rule that policies.matching computes with bitmaps, written out plainly."""
    rows = []
    measures = (
        Measure.objects.published()
        .exclude(notice__validity__in=Notice.ENDED)
        .prefetch_related("target_groups", "regions", "topics")
        .order_by("notice_id", "number")
    )
    for measure in measures:
        groups = {g.pk for g in measure.target_groups.all()}
        regions = {r.pk for r in measure.regions.all()}
        fits = (not groups or groups & profile.groups) and (
            not regions or regions & profile.region_ids
        )
        targeted = len(groups & profile.targeted) + len(regions & profile.region_ids)
        needs = len({t.pk for t in measure.topics.all()} & profile.need_ids)
        rows.append((measure.pk, bool(fits), targeted, needs))
    found = {
        "targeted": sorted(
            (r for r in rows if r[1] and r[2]), key=lambda r: (-r[3], -r[2])
        ),  # sorted() keeps reading order among equals
        "general": sorted(
            (r for r in rows if r[1] and not r[2] and (r[3] or not profile.need_ids)),
            key=lambda r: -r[3],
        ),
        "other": [r for r in rows if r[1] and not r[2] and not r[3]] if profile.need_ids else None,
        "unfit": [r for r in rows if not r[1]],
    }
    return {name: None if part is None else [r[0] for r in part] for name, part in found.items()}


@pytest.mark.parametrize("seed_number", range(6))
def test_the_parts_follow_the_rule_for_any_classifications_and_profile(seed, seed_number):
    """Random classifications of 60 more measures (some of a repealed notice, some of a
    draft) and a random profile: each part holds the measures the rule puts there, in its
    order, with the right totals."""
    rng = random.Random(seed_number)
    topics, groups, regions = (list(m.objects.all()) for m in (Topic, TargetGroup, Region))
    original = Notice.objects.get()
    for slug, validity, status in [
        ("more-in-force", Notice.Validity.IN_FORCE, Notice.Status.PUBLISHED),
        ("more-repealed", Notice.Validity.REPEALED, Notice.Status.PUBLISHED),
        ("more-draft", Notice.Validity.IN_FORCE, Notice.Status.DRAFT),
    ]:
        notice = Notice.objects.get(pk=original.pk)
        notice.pk, notice.slug, notice.doc_number = None, slug, f"测试〔2024〕{slug}号"
        notice.validity, notice.status = validity, status
        notice.save()
        heading = Heading.objects.create(notice=notice, ordinal=1, title="测试")
        for number in rng.sample(range(1, 100), 20):  # created out of reading order
            measure = Measure.objects.create(heading=heading, number=number, title="测", text="测")
            for model, field, terms, most in [
                (MeasureTopic, "topic", topics, 3),
                (MeasureTargetGroup, "target_group", groups, 2),
                (MeasureRegion, "region", regions, 2),
            ]:
                for term in rng.sample(terms, rng.randint(0, most)):
                    model.objects.create(measure=measure, evidence="测", **{field: term})
    size = rng.choice(["medium", "small", "micro", "individual"])
    situations = [g for g in vocabulary().situations() if rng.random() < 0.4]
    profile = matching.Profile(
        size=size,
        size_groups=vocabulary().for_size(size),
        situations=situations,
        regions=rng.sample(regions, rng.randint(0, 2)),
        needs=rng.sample(topics, rng.randint(0, 3)),
    )
    index = matching.index()
    parts = matching.parts(index, profile)
    found = {
        name: None if classes is None else list(matching.in_order(index, classes))
        for name, classes in parts.items()
    }
    assert found == reference(profile)
    result = matching.match(profile)
    for name, ids in found.items():
        part = getattr(result, name)
        assert (part and part.total) == (ids and len(ids))
        assert (part and [f.measure.pk for f in part.fits]) == (ids and ids[: matching.SHOWN])
    assert result.out_of_force == 20


def test_the_index_is_computed_once_per_edit_for_all_requests(client, seed, monkeypatch, settings):
    settings.KB_PAGE_CACHE_SECONDS = 0  # each request computes its page
    built = []
    build = matching.Index.build.__func__

    def counting(cls):
        built.append(1)
        return build(cls)

    monkeypatch.setattr(matching.Index, "build", classmethod(counting))
    counts = {client.get(MATCH, PROFILE).context["result"].count for _ in range(5)}
    assert len(built) == 1 and counts == {19}
    first = Measure.objects.get(number=1)
    first.target_group_assignments.all().delete()  # signals move the data version on
    MeasureRegion.objects.create(measure=first, region=Region.objects.get(slug="guangdong"))
    result = client.get(MATCH, PROFILE).context["result"]
    assert len(built) == 2
    assert 1 in numbers(result.unfit)


def test_each_measure_of_the_list_is_cited_as_its_page_cites_it(client, seed):
    response = client.get(MATCH, PROFILE)
    eight = Measure.objects.get(number=8)
    page = client.get(eight.get_absolute_url()).content.decode()
    reference = re.search(r'class="print-only citation-line">引用：(.*?)</p>', page).group(1)
    assertContains(response, f'<p class="fit-citation">引用：{reference}</p>', html=False)


def test_each_part_has_pages_of_its_own(client, seed):
    """A small enterprise: 15 measures for all SMEs, shown ten at a time; the link to the
    next page keeps the profile, and a page number that is not one gives the first page, one
    past the end the last: never an error."""
    first = client.get(MATCH, {"size": "small"})
    general = first.context["result"].general
    assert (general.total, general.first, general.last) == (15, 1, 10)
    assertContains(first, "第 1–10 条，共 15 条（另见下载文件）")
    assertContains(first, 'href="?size=small&amp;general_page=2#general-heading" rel="next"')
    second = client.get(MATCH, {"size": "small", "general_page": 2})
    general = second.context["result"].general
    assert (general.first, general.last, len(general.fits)) == (11, 15, 5)
    assert set(numbers(general)).isdisjoint(numbers(first.context["result"].general))
    assertContains(second, 'href="?size=small&amp;general_page=1#general-heading" rel="prev"')
    assertNotContains(second, 'rel="next"')
    assert numbers(second.context["result"].targeted) == numbers(first.context["result"].targeted)
    for page, shown in [("99", second), ("0", first), ("abc", first), ("٢", first), ("-1", first)]:
        response = client.get(MATCH, {"size": "small", "general_page": page})
        assert response.status_code == 200
        assert numbers(response.context["result"].general) == numbers(
            shown.context["result"].general
        )


def test_a_page_number_of_any_length_past_the_end_gives_the_last_page(client, seed):
    """However many digits (int() refuses thousands): past the end is the last page, and
    leading zeros are the number's."""
    last = numbers(
        client.get(MATCH, {"size": "small", "general_page": 2}).context["result"].general
    )
    for page in ["1000000", "9" * 5000, "0000002", "0" * 5000 + "2"]:
        response = client.get(MATCH, {"size": "small", "general_page": page})
        assert response.status_code == 200
        assert numbers(response.context["result"].general) == last, page


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_parts_pager_leads_back_to_that_part(client, seed, prefix):
    """The next page of a part opens at that part, not at the top of the list: on a phone
    the parts above it (the form, ten cards or more) are screens long."""
    for name, query in [("general", {"size": "small"}), ("other", PROFILE)]:
        html = client.get(prefix + MATCH, query).content.decode()
        assert re.search(rf'href="\?[^"]*{name}_page=2#{name}-heading" rel="next"', html), name
        assert f'id="{name}-heading"' in html
    second = client.get(prefix + MATCH, {**PROFILE, "other_page": 2}).content.decode()
    assert re.search(r'href="\?[^"]*other_page=1#other-heading" rel="prev"', second)
