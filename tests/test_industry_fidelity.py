"""The industry fixture holds both articles exactly as the bulletin prints them, and every figure
and action with the sentence it comes from."""

import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from industry.models import (
    Action,
    Article,
    Company,
    Figure,
    Paragraph,
    Place,
    Product,
    Section,
)
from tests.sourcetext import normalized_source

pytestmark = pytest.mark.django_db

CHLOR_ALKALI = "chlor-alkali-2019"
CARBIDE = "carbide-industry-covid-19"
# A number with its unit, as the chlor-alkali article prints its figures.
FIGURE_IN_TEXT = re.compile(r"(约)?(\d+(?:\.\d+)?)(万吨|家|%)")


def article_segment(article: Article) -> str:
    """The article in the normalised source: from its title up to the next column."""
    source = normalized_source()
    start = source.index(article.column + article.title) + len(article.column)
    following = Article.objects.filter(position__gt=article.position).first()
    if following is None:
        return source[start:]
    return source[start : source.index(following.column + following.title, start)]


def test_stored_texts_reassemble_each_article(seed):
    """Nothing is missing or added: headings and paragraphs, in order, are the source."""
    assert Article.objects.count() == 2
    for article in Article.objects.all():
        parts = [article.title, article.author]
        for section in article.sections.order_by("position"):
            parts.append(section.printed_heading)
            parts.extend(p.text for p in section.paragraphs.order_by("position"))
        assert "".join(parts) == article_segment(article), article.slug


def test_articles_sit_in_their_columns(seed):
    source = normalized_source()
    columns = {a.slug: a.column for a in Article.objects.all()}
    assert columns == {CHLOR_ALKALI: "行业资讯", CARBIDE: "抗击疫情"}
    for article in Article.objects.all():
        assert f"{article.column}{article.title}{article.author}" in source


def test_every_stored_text_is_verbatim(seed):
    source = normalized_source()
    texts = [
        *(s.printed_heading for s in Section.objects.all()),
        *(p.text for p in Paragraph.objects.all()),
        *(f.sentence for f in Figure.objects.all()),
        *(a.sentence for a in Action.objects.all()),
        *(c.name for c in Company.objects.all()),
        *(p.name for p in Place.objects.all()),
        *(p.name for p in Product.objects.all()),
    ]
    for company in Company.objects.all():
        texts += company.aliases.split("、")
    for product in Product.objects.exclude(aliases=""):
        texts += product.aliases.split("、")
    for action in Action.objects.all():
        texts += [action.item, action.recipients, action.as_of_text]
    for text in filter(None, texts):
        assert text in source, text


def test_sentences_are_whole_sentences_of_their_paragraph(seed):
    for item in [*Figure.objects.all(), *Action.objects.all()]:
        text = item.paragraph.text
        assert item.sentence in text
        start = text.index(item.sentence)
        assert start == 0 or text[start - 1] in "。！？", item
        assert item.sentence[-1] in "。！？", item


def test_counts(seed):
    assert Section.objects.filter(article__slug=CHLOR_ALKALI).count() == 10
    assert Section.objects.filter(article__slug=CARBIDE).count() == 4
    assert Paragraph.objects.filter(section__article__slug=CHLOR_ALKALI).count() == 14
    assert Paragraph.objects.filter(section__article__slug=CARBIDE).count() == 4
    assert Figure.objects.count() == 34
    assert Company.objects.count() == 3
    assert Action.objects.count() == 12
    assert Place.objects.count() == 10


def test_figures_per_product(seed):
    counts = Counter(Figure.objects.values_list("product__name", flat=True))
    assert counts == {
        "烧碱": 14,
        "固碱": 1,
        "液碱": 1,
        "聚氯乙烯": 14,
        "PVC纯粉": 2,
        "原盐": 1,
        "电石": 1,
    }


def test_every_figure_is_printed_in_its_sentence(seed):
    for figure in Figure.objects.all():
        sentence = figure.sentence
        assert figure.printed_value in sentence, figure
        assert figure.value_text in sentence, figure
        assert figure.period_text in sentence, figure
        assert figure.basis in sentence, figure
        assert figure.breakdown in sentence, figure
        assert figure.change_as_printed in sentence, figure
        for number in (figure.change_abs_text, figure.change_pct_text):
            assert number in figure.change_as_printed, figure
        if figure.change_pct_text:
            assert f"{figure.change_pct_text}%" in figure.change_as_printed
        if figure.change_abs_text:
            approx = "约" if figure.change_is_approximate else ""
            assert f"{approx}{figure.change_abs_text}{figure.unit}" in sentence
        if figure.change_direction:
            word = {"up": "增", "down": ("减", "降")}[figure.change_direction]
            assert any(w in figure.change_as_printed for w in word), figure


def test_named_figures_are_captured_as_printed(seed):
    values = set(Figure.objects.values_list("value_text", flat=True))
    changes = set(Figure.objects.values_list("change_pct_text", flat=True))
    for printed in ["6270.8", "2587.9", "6.1", "114", "58", "56", "66.5", "50.7"]:
        assert printed in values, printed
    for printed in ["88.8", "23", "6.5", "34.3", "10.1", "14.1", "4.3", "3.1"]:
        assert printed in changes, printed
    assert Figure.objects.get(product__slug="crude-salt").value == Decimal("6270.8")


def test_repeated_statements_are_rows_of_their_own(seed):
    capacity = Figure.objects.filter(product__slug="caustic-soda", indicator__slug="capacity")
    assert [(f.value_text, f.section.anchor) for f in capacity] == [
        ("4380", "s1"),
        ("4380", "s2-1"),
    ]
    net = Figure.objects.filter(indicator__slug="capacity-net-added")
    assert sorted((f.product.slug, f.printed_value) for f in net) == [
        ("caustic-soda", "121万吨"),
        ("caustic-soda", "约120万吨"),
        ("pvc", "114万吨"),
        ("pvc", "约120万吨"),
    ]
    growth = Figure.objects.filter(indicator__slug="capacity").exclude(change_pct_text="")
    assert sorted(growth.values_list("change_pct_text", flat=True)) == ["2.8", "4.7"]


def test_every_figure_in_the_text_is_captured_and_none_invented(seed):
    """Each number-with-unit in a paragraph is one stored value or change of that paragraph."""
    for paragraph in Paragraph.objects.filter(section__article__slug=CHLOR_ALKALI):
        in_text = Counter(
            (approx or "") + number + unit
            for approx, number, unit in FIGURE_IN_TEXT.findall(paragraph.text)
        )
        stored = Counter()
        for figure in paragraph.figures.all():
            stored[figure.printed_value] += 1
            if figure.change_abs_text:
                approx = "约" if figure.change_is_approximate else ""
                stored[f"{approx}{figure.change_abs_text}{figure.unit}"] += 1
            if figure.change_pct_text:
                stored[f"{figure.change_pct_text}%"] += 1
        assert in_text == stored, paragraph.anchor


def test_year_and_period(seed):
    assert sorted(Figure.objects.years()) == [2013, 2019]
    for figure in Figure.objects.filter(year=2013):
        assert figure.period_text == "2013年"
    current = Figure.objects.filter(period_text__in=["目前", "当前"])
    assert current.count() == 3
    assert all(f.year == 2019 and f.note for f in current)


def test_basis_is_recorded_only_where_the_sentence_names_it(seed):
    nbs = Figure.objects.filter(basis="国统局")
    assert sorted(nbs.values_list("value_text", flat=True)) == ["2011", "3464", "6270.8"]
    for figure in Figure.objects.exclude(basis=""):
        assert "据国统局数据显示" in figure.sentence


def test_derived_fields_match_what_they_derive_from(seed):
    for figure in Figure.objects.select_related("paragraph"):
        assert figure.value == Decimal(figure.value_text)
        assert figure.section_id == figure.paragraph.section_id


def test_the_two_sections_numbered_3_keep_the_source_numbering(seed):
    threes = Section.objects.filter(article__slug=CHLOR_ALKALI, number="3、").order_by("position")
    assert [s.anchor for s in threes] == ["s2-3", "s2-3b"]
    assert all(s.parent.number == "二、" for s in threes)
    assert "3、" in threes[1].editorial_note and "编号" in threes[1].editorial_note
    numbers = Section.objects.filter(parent__anchor="s2").order_by("position")
    assert [s.number for s in numbers] == ["1、", "2、", "3、", "3、", "4、", "5、"]


def test_the_heading_run_into_a_paragraph_is_split_out(seed):
    heading = Section.objects.get(anchor="s2-3")
    assert heading.heading == "烧碱市场震荡下行，聚氯乙烯市场波动明显"
    assert heading.editorial_note
    previous = Paragraph.objects.get(section__anchor="s2-2")
    assert previous.text.endswith("开工率保持较高水平。")
    assert not Paragraph.objects.filter(text__contains="3、烧碱市场").exists()
    assert "开工率保持较高水平。3、烧碱市场震荡下行" in normalized_source()


def test_editor_note_and_company_stories(seed):
    note = Section.objects.get(article__slug=CARBIDE, kind="editor-note")
    assert note.printed_heading == "编者按："
    assert note.paragraphs.get().text.startswith("对于正在全国范围内蔓延")
    for company in Company.objects.select_related("story"):
        assert company.story.kind == "story"
        assert company.story.heading.startswith(f"{company.name}：")
        assert company.name_en
        for action in company.actions.all():
            assert action.paragraph.section_id == company.story_id


def test_actions_quantities_dates_and_places(seed):
    for action in Action.objects.prefetch_related("places"):
        assert action.printed_quantity in action.sentence, action
        for place in action.places.all():
            assert place.name in action.recipients
    donation = Action.objects.get(company__slug="jinyuyuan", as_of__isnull=False)
    assert donation.as_of == date(2020, 2, 2)
    assert donation.as_of_text == "截至2月2日"
    assert donation.printed_quantity == "近30吨" and donation.is_approximate
    assert donation.places.count() == 8
    cash = Action.objects.get(kind__slug="cash-donation")
    assert (cash.company.slug, cash.quantity, cash.unit) == ("dadi", 100, "万元")
    assert Action.objects.filter(is_planned=True).count() == 1


def test_conversion_to_disinfectant_links_to_measure_4(seed):
    converting = Action.objects.filter(
        kind__slug__in=["disinfectant-production", "production-switch"]
    )
    assert converting.count() == 3
    for action in converting:
        assert [m.number for m in action.measures.all()] == [4]
    linked = Action.objects.filter(measures__isnull=False).distinct()
    assert all(action.note for action in linked)
    assert not Action.objects.filter(
        kind__slug__in=["cash-donation", "disinfectant-donation"], measures__isnull=False
    ).exists()


def test_fixture_is_readable_utf8_with_natural_keys():
    raw = (settings.BASE_DIR / "fixtures" / "industry.json").read_text(encoding="utf-8")
    assert "\\u" not in raw
    assert "2019年中国氯碱行业经济运行分析" in raw
    assert raw.startswith("[\n  {")
    records = json.loads(raw)
    assert all("pk" not in record for record in records)
    measures = [
        m for r in records if r["model"] == "industry.action" for m in r["fields"]["measures"]
    ]
    assert ["gxmd-2020-14", 4] in measures
