"""The seed fixture holds the notice exactly as the bulletin prints it."""

import json

import pytest
from django.conf import settings

from policies.models import Heading, Measure, Notice
from tests.sourcetext import normalize, normalized_source

pytestmark = pytest.mark.django_db


def notice_segment() -> str:
    """The notice in the normalised source: from its title up to the next column."""
    source = normalized_source()
    start = source.index("工业和信息化部关于应对")
    return source[start : source.index("行业资讯", start)]


def test_normalize_joins_lines_and_drops_layout_spaces_only():
    assert normalize("工信明电〔2020〕14 号\n\n各省、自治区") == "工信明电〔2020〕14号各省、自治区"
    assert normalize(" 资保障\n\n加快 5G、工业") == "资保障加快5G、工业"
    assert normalize("同比增长 88.8% ；出口") == "同比增长88.8%；出口"
    # A space between two Chinese characters is the source's own (a title separator).
    assert normalize("众志成城 抗击疫情") == "众志成城 抗击疫情"


def test_source_copy_is_the_seed_bulletin():
    text = (settings.BASE_DIR / "fixtures" / "source" / "bulletin.txt").read_text(encoding="utf-8")
    assert text.startswith(" 政策信息")
    assert "工信明电〔2020〕14 号" in text


def test_six_headings_hold_4_3_4_4_3_2_measures(seed):
    headings = Heading.objects.order_by("ordinal")
    assert [h.ordinal for h in headings] == [1, 2, 3, 4, 5, 6]
    assert [h.measures.count() for h in headings] == [4, 3, 4, 4, 3, 2]
    assert [h.label for h in headings] == [
        "一、",
        "二、",
        "三、",
        "四、",
        "五、",
        "六、",
    ]


def test_measures_are_numbered_1_to_20_in_heading_order(seed):
    measures = Measure.objects.order_by("number")
    assert [m.number for m in measures] == list(range(1, 21))
    assert [m.heading.ordinal for m in measures] == sorted(m.heading.ordinal for m in measures)


def test_every_notice_field_is_verbatim(seed):
    notice = Notice.objects.get()
    segment = notice_segment()
    for field in [
        "title",
        "doc_number",
        "addressees",
        "preamble",
        "closing",
        "abridged_note",
    ]:
        assert getattr(notice, field) in segment, field
    assert f"{notice.addressees}：{notice.preamble}" in segment
    assert f"{notice.signature}{notice.signature_date}" in segment
    assert notice.issued_on.isoformat() == "2020-02-09"
    assert notice.is_abridged


def test_every_heading_and_measure_is_verbatim(seed):
    segment = notice_segment()
    for heading in Heading.objects.all():
        assert f"{heading.label}{heading.title}" in segment
    for measure in Measure.objects.all():
        assert measure.source_text in segment, measure.number


def test_stored_texts_reassemble_the_whole_notice(seed):
    """Nothing of the notice is missing: its parts, in order, are the source segment."""
    notice = Notice.objects.get()
    parts = [notice.title, notice.doc_number, f"{notice.addressees}：", notice.preamble]
    for heading in notice.headings.order_by("ordinal"):
        parts.append(f"{heading.label}{heading.title}")
        parts.extend(m.source_text for m in heading.measures.order_by("number"))
    parts += [
        notice.closing,
        notice.signature,
        notice.signature_date,
        notice.abridged_note,
    ]
    assert "".join(parts) == notice_segment()


def test_only_measures_19_and_20_have_editorial_titles(seed):
    editorial = Measure.objects.filter(title_is_editorial=True)
    assert sorted(editorial.values_list("number", flat=True)) == [19, 20]
    segment = notice_segment()
    for measure in editorial:
        assert f"{measure.title}。" not in segment


def test_measure_5_names_ten_regions(seed):
    regions = Measure.objects.get(number=5).regions.all()
    assert sorted(r.name for r in regions) == sorted(
        ["湖北", "浙江", "广东", "河南", "湖南", "安徽", "重庆", "江西", "北京", "上海"]
    )
    for region in regions:
        assert region.name in Measure.objects.get(number=5).text
        assert region.name_en


def test_classifications_have_english_names(seed):
    # Every measure has a topic; a target group only where its text names one (measure 2
    # names none: see the 中小企业 rule in tests/test_evidence.py).
    for measure in Measure.objects.prefetch_related("topics", "target_groups"):
        assert measure.topics.exists(), measure.number
        for item in [*measure.topics.all(), *measure.target_groups.all()]:
            assert item.name_en
    assert not Measure.objects.get(number=2).target_groups.exists()


def test_fixture_is_readable_utf8_with_natural_keys():
    raw = (settings.BASE_DIR / "fixtures" / "policies.json").read_text(encoding="utf-8")
    assert "\\u" not in raw
    assert "工信明电〔2020〕14号" in raw
    assert all("pk" not in record for record in json.loads(raw))
