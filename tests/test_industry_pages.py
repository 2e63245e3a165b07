import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from pytest_django.asserts import assertContains, assertNotContains

from industry.models import (
    Action,
    ActionKind,
    Company,
    Figure,
    Indicator,
    Paragraph,
    Place,
    Product,
    Section,
)
from policies.models import Measure
from tests.test_changes import edit_with_history

pytestmark = pytest.mark.django_db

CHLOR_ALKALI_URL = "/industry/articles/chlor-alkali-2019/"
CARBIDE_URL = "/industry/articles/carbide-industry-covid-19/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)", re.IGNORECASE)


@pytest.fixture
def many_rows(seed):
    """Sixty more figures and twenty-five more companies with two actions each."""
    paragraph = Paragraph.objects.get(section__anchor="s2-4")
    product = Product.objects.get(slug="crude-salt")
    indicator = Indicator.objects.get(slug="output")
    for i in range(60):
        Figure.objects.create(
            number=100 + i,
            paragraph=paragraph,
            sentence=paragraph.text,
            product=product,
            indicator=indicator,
            year=1950 + i,
            value_text=str(i + 1),
            unit="万吨",
        )
    story = Paragraph.objects.get(section__anchor="dadi")
    kind = ActionKind.objects.get(slug="cash-donation")
    place = Place.objects.get(name="石嘴山市")
    measure = Measure.objects.get(number=4)
    for i in range(25):
        company = Company.objects.create(
            slug=f"extra-{i}", name=f"测试企业{i}", name_en=f"Extra {i}", province="宁夏"
        )
        for position in (1, 2):
            action = Action.objects.create(
                company=company,
                position=position,
                kind=kind,
                paragraph=story,
                sentence="公司已捐资100万元助力石嘴山市疫情防控狙击战顺利推进。",
                quantity_text="1",
                quantity=1,
                unit="万元",
            )
            action.places.add(place)
            action.measures.add(measure)


def body_text(response) -> str:
    return strip_tags(response.content.decode())


def assert_csp_safe(response):
    html = response.content.decode()
    assert 'style="' not in html and "<style" not in html
    assert not INLINE_SCRIPT.search(html)


def test_home_lists_articles_products_and_companies(client, seed, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(reverse("industry:home"))
    for text in [
        "2019年中国氯碱行业经济运行分析",
        "众志成城 抗击疫情—电石行业在行动",
        "中国氯碱工业协会",
        "中国电石工业协会",
        "烧碱",
        "PVC纯粉",
        "陕西北元化工",
        "宁夏金昱元集团",
        "Caustic soda",
    ]:
        assertContains(response, text)
    assertContains(response, "<strong>34</strong> 项数据", html=False)
    assertContains(response, "<strong>5</strong> 处数据不一致", html=False)
    assertContains(response, reverse("industry:data-notes"))
    assert_csp_safe(response)


@pytest.mark.parametrize("url", [CHLOR_ALKALI_URL, CARBIDE_URL])
def test_article_pages_have_every_sentence_in_reading_order(
    client, seed, django_assert_max_num_queries, url
):
    with django_assert_max_num_queries(9):  # with the data versions (the page cache's key)
        response = client.get(url)
    html = response.content.decode()
    text = body_text(response)
    slug = url.rstrip("/").rsplit("/", 1)[1]
    positions = []
    for section in Section.objects.filter(article__slug=slug).order_by("position"):
        assert f'id="{section.anchor}"' in html
        if section.heading:
            assert section.heading in text
        for paragraph in section.paragraphs.order_by("position"):
            assert f'id="{paragraph.anchor}"' in html
            assert paragraph.text in text
            positions.append(html.index(f'id="{paragraph.anchor}"'))
    assert positions == sorted(positions)
    assert 'lang="zh-Hans"' in html
    assert_csp_safe(response)


def test_chlor_alkali_page_keeps_both_3s_and_marks_the_note(client, seed):
    response = client.get(CHLOR_ALKALI_URL)
    html = response.content.decode()
    assert ">3、烧碱市场震荡下行，聚氯乙烯市场波动明显</h3>" in html
    assert ">3、烧碱进口增加出口下降，PVC进出口量均减少</h3>" in html
    note = html.index('id="s2-3b"')
    assert "编者注" in html[note : note + 1000]
    assert "开工率保持较高水平。</p>" in html
    assertContains(response, f"{reverse('industry:figure-list')}?section=")
    assertContains(response, reverse("industry:figure-detail", args=[1]))


def test_carbide_page_shows_editor_note_and_links_each_story_to_its_company(client, seed):
    response = client.get(CARBIDE_URL)
    assertContains(response, "<strong>编者按：</strong>对于正在全国范围内蔓延", html=False)
    for company in Company.objects.all():
        assertContains(response, company.get_absolute_url())


def test_unknown_pages_are_404(client, seed):
    for url in [
        "/industry/articles/nope/",
        "/industry/products/nope/",
        "/industry/companies/nope/",
        reverse("industry:figure-detail", args=[999]),
    ]:
        assert client.get(url).status_code == 404, url


def test_figure_list_shows_every_figure_with_its_source(
    client, seed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = client.get(reverse("industry:figure-list"))
    assert len(response.context["page"].object_list) == 34
    assertContains(response, "全部 34 项数据")
    for figure in Figure.objects.all():
        assertContains(response, f'id="{figure.anchor}"')
        assertContains(response, figure.paragraph.get_absolute_url())
        assertContains(response, figure.get_absolute_url())
    assertContains(response, "6270.8万吨")
    assertContains(response, "同比下降34.3%")
    assertContains(response, "涉及不一致")
    assert_csp_safe(response)


def test_list_pages_query_count_does_not_grow_with_rows(
    client, many_rows, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = client.get(reverse("industry:figure-list"))
    assert response.context["page"].paginator.count == 94
    with django_assert_max_num_queries(16):
        response = client.get(reverse("industry:figure-list"), {"page": 2})
    assert len(response.context["page"].object_list) == 44
    with django_assert_max_num_queries(8):  # with the data versions (the page cache's key)
        response = client.get(reverse("industry:company-list"))
    assert response.context["page"].paginator.count == 28
    assert len(response.context["page"].object_list) == 20
    with django_assert_max_num_queries(8):
        client.get(reverse("industry:home"))
    with django_assert_max_num_queries(4):
        client.get(reverse("industry:data-notes"))
    with django_assert_max_num_queries(6):  # 4, its last update, the data versions
        client.get(reverse("industry:product-detail", args=["crude-salt"]))


def test_figure_detail_shows_sentence_paragraph_and_derivations(
    client, seed, django_assert_max_num_queries
):
    figure = Figure.objects.get(
        product__slug="pvc", indicator__slug="capacity-net-added", value_text="120"
    )
    with django_assert_max_num_queries(3):  # with the data versions (the page cache's key)
        response = client.get(figure.get_absolute_url())
    assertContains(response, figure.sentence)
    assertContains(response, figure.paragraph.get_absolute_url())
    assertContains(response, "约120万吨")
    assertContains(response, "编者推算")
    assertContains(response, "超出容差，不一致")
    assertContains(response, f"{reverse('industry:data-notes')}#restated-")
    assertContains(response, figure.note)
    assert_csp_safe(response)


@pytest.mark.parametrize(
    "language, flag, year_added, end_of_2019, now",
    [
        (
            "zh-hans",
            "编者据上下文",
            "（2019）",
            '<span lang="zh-Hans">2019年底</span>',
            '<span lang="zh-Hans">目前</span> <span class="editorial-addition"',
        ),
        (
            "en",
            "editorial, from context",
            "(2019)",
            '<span class="editorial-name">end of 2019</span>',
            '<span class="editorial-name">now</span> <span class="editorial-addition"',
        ),
    ],
)
def test_figure_periods_say_which_words_are_the_sources(
    client, seed, language, flag, year_added, end_of_2019, now
):
    """The period as printed (in the editors' English on English pages, marked); the year
    added when the period does not say it; a year read from the context flagged as the
    editor's."""
    prefix = "/en" if language == "en" else ""
    response = client.get(f"{prefix}/industry/figures/?sort=", follow=True)  # to the clean URL
    rows = {
        int(number): row
        for number, row in re.findall(r'<tr id="figure-(\d+)">(.*?)</tr>', response.text, re.S)
    }
    assert end_of_2019 in rows[2] and flag not in rows[2]
    # The year the editors add after 目前 is marked as theirs (issue 14).
    assert now in rows[1]
    assert year_added in rows[1] and flag not in rows[1]
    assert "2019" in rows[3] and f">{flag}" in rows[3]


def test_figure_detail_says_when_a_check_agrees(client, seed):
    rate = Figure.objects.get(product__slug="caustic-soda", indicator__slug="operating-rate")
    response = client.get(rate.get_absolute_url())
    assertContains(response, "79.09%")
    assertContains(response, "3464 ÷ 4380")
    assertContains(response, "在容差内相符")
    assertNotContains(response, "超出容差")


@pytest.mark.parametrize(
    ("slug", "count", "charts"),
    [
        ("caustic-soda", 16, ["levels", "trade", "average-capacity"]),
        ("pvc", 16, ["levels", "trade", "average-capacity", "process-route"]),
        ("solid-caustic-soda", 1, ["trade"]),
        ("pvc-pure-powder", 2, ["trade"]),
        ("crude-salt", 1, ["output"]),
        ("calcium-carbide", 1, ["output"]),
    ],
)
def test_product_pages_show_figures_and_charts(
    client, seed, django_assert_max_num_queries, slug, count, charts
):
    with django_assert_max_num_queries(6):  # 4, its last update, the data versions
        response = client.get(reverse("industry:product-detail", args=[slug]))
    assert len(response.context["rows"]) == count
    assert [chart.slug for chart in response.context["charts"]] == charts
    html = response.content.decode()
    for chart in response.context["charts"]:
        svg = html[html.index(f'id="chart-{chart.slug}"') :]
        svg = svg[svg.index("<svg") : svg.index("</svg>")]
        assert 'role="img"' in svg
        assert f'aria-labelledby="chart-{chart.slug}-title chart-{chart.slug}-desc"' in svg
        assert f'<title id="chart-{chart.slug}-title">' in svg
        assert f'<desc id="chart-{chart.slug}-desc">' in svg
        assert f"单位：{chart.unit}" in html
        assert svg.count('class="chart-bar') == len(chart.bars)
        table = html[html.index(f"{chart.title}：数据表") :]
        table = table[: table.index("</table>")]
        for bar in chart.bars:
            assert bar.display in table
            assert bar.display in svg
    assertContains(response, "资料来源")
    assert_csp_safe(response)


def test_pvc_charts_hold_the_articles_numbers(client, seed):
    response = client.get(reverse("industry:product-detail", args=["pvc"]))
    charts = {chart.slug: chart for chart in response.context["charts"]}
    assert [b.display for b in charts["levels"].bars] == ["2518万吨", "2011万吨", "2027万吨"]
    assert [b.display for b in charts["process-route"].bars] == ["81.3%", "18.7%"]
    assert [b.display for b in charts["average-capacity"].bars] == ["27万吨", "34万吨"]
    trade = charts["trade"].bars
    assert [(b.display, b.derived) for b in trade] == [
        ("66.5万吨", False),
        ("74万吨", True),
        ("50.7万吨", False),
        ("59万吨", True),
    ]
    assertContains(response, "2047.1万吨")  # 2518 × 81.3%, editorial
    assertContains(response, "chart-bar--derived")


def test_company_list_totals_by_kind(client, seed, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # with the data versions (the page cache's key)
        response = client.get(reverse("industry:company-list"))
    totals = {(r.kind.slug, r.item, r.unit): r for r in response.context["totals"]}
    assert totals[("cash-donation", "", "万元")].total == 100
    # Unlike items are not added up (issue 14): 次氯酸钠消毒液 and 消毒液原液 stay apart.
    assert totals[("disinfectant-donation", "次氯酸钠消毒液", "吨")].printed == "200吨"
    assert totals[("disinfectant-donation", "消毒液原液", "吨")].printed == "近30吨"
    assert totals[("staff-deployed", "员工", "名")].printed == "近200名"
    html = response.content.decode()
    assert re.search(r"捐款.*?<td class=\"num\">100</td>\s*<td lang=\"zh-Hans\">万元", html, re.S)
    assert "约230" not in html and "230" not in html
    assert re.search(r"消毒液原液</td>\s*<td class=\"num\">近30</td>", html)
    # Each part is shown as printed, with its company.
    assert ">宁夏金昱元集团 近30吨</a>" in html and ">陕西北元化工 首批200吨</a>" in html
    for company in Company.objects.all():
        assertContains(response, company.get_absolute_url())
    assertContains(response, "工信明电〔2020〕14号 第4条")
    assert_csp_safe(response)


def test_company_page_shows_story_actions_and_measures(client, seed, django_assert_max_num_queries):
    company = Company.objects.get(slug="dadi")
    with django_assert_max_num_queries(8):
        response = client.get(company.get_absolute_url())
    assertContains(response, company.story.paragraphs.get().text)
    for action in company.actions.all():
        assertContains(response, f'id="{action.anchor}"')
        assertContains(response, action.sentence)
    assertContains(response, reverse("policies:measure-detail", args=["gxmd-2020-14", 4]))
    assertContains(response, reverse("policies:measure-detail", args=["gxmd-2020-14", 2]))
    assertContains(response, "近两百名")
    assertContains(response, "编者推断")
    assert_csp_safe(response)


def test_data_notes_quote_both_sentences_and_state_the_rule(
    client, seed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("industry:data-notes"))
    assert len(response.context["disagreements"]) == 5
    html = response.content.decode()
    for text in ["容差规则", "约120 表示 115 至 125", "±5%", "114取整到十位是110"]:
        assert text in html
    pvc = html[html.index('id="restated-') :]
    pvc = pvc[: pvc.index("</section>")]
    assert "全国聚氯乙烯生产企业73家，2019年底产能为2518万吨，比2018年增长约120万吨。" in pvc
    assert "国内PVC企业73家，产能净增加114万吨" in pvc
    assert "聚氯乙烯产能净增" in pvc
    consumption = html[html.index('id="consumption-') :]
    assert "3464 + 6.1 − 114" in consumption[: consumption.index("</section>")]
    assert "编号" in html  # the editorial note on the two 3、
    assert_csp_safe(response)


def test_figures_that_disagree_are_flagged_next_to_them(client, seed):
    response = client.get(reverse("industry:figure-list"))
    flagged = response.context["flagged"]
    numbers = {
        f.number
        for f in Figure.objects.filter(product__slug="pvc", indicator__slug="capacity-net-added")
    }
    assert numbers <= flagged
    caustic_net = Figure.objects.filter(
        product__slug="caustic-soda", indicator__slug="capacity-net-added"
    )
    assert not {f.number for f in caustic_net} & flagged


def test_actions_for_measure_include_links_the_companies(seed):
    measure = Measure.objects.prefetch_related(
        "industry_actions__company", "industry_actions__kind"
    ).get(number=4)
    html = render_to_string("industry/includes/actions_for_measure.html", {"measure": measure})
    for slug in ["beiyuan", "dadi", "jinyuyuan"]:
        assert f"/industry/companies/{slug}/" in html
    assert "编者关联" in html
    empty = Measure.objects.get(number=20)
    assert (
        render_to_string("industry/includes/actions_for_measure.html", {"measure": empty}).strip()
        == ""
    )


def test_pages_answer_only_get(client, seed):
    assert client.post(reverse("industry:figure-list")).status_code == 405
    assert client.post(reverse("industry:home")).status_code == 405


def test_english_figure_table_names_products_and_indicators_in_english(client, seed):
    response = client.get("/en/industry/figures/", {"product": "pvc"})
    assertContains(response, "Polyvinyl chloride (PVC)")
    assertContains(response, "Net capacity added")
    chart = client.get("/en/industry/products/pvc/").context["charts"][0]
    assert [bar.label for bar in chart.bars][:2] == ["Year-end capacity", "Output"]


def test_product_page_shows_each_source_sentence_once(client, seed):
    response = client.get(reverse("industry:product-detail", args=["pvc"]))
    html = response.content.decode()
    sentences = {f.sentence for f, _d in response.context["rows"]}
    assert len(sentences) < len(response.context["rows"])  # some sentences state several
    assert html.count('<blockquote class="source-quote"') == len(sentences)
    for sentence in sentences:
        assert html.count(f">{sentence}</blockquote>") == 1


def test_product_page_folds_the_derived_checks_under_a_toggle(client, seed):
    response = client.get(reverse("industry:product-detail", args=["pvc"]))
    html = response.content.decode()
    rows_with_checks = [f for f, derivations in response.context["rows"] if derivations]
    assert html.count('<details class="checks">') == len(rows_with_checks) > 0
    assert html.count("<summary>核对详情") == len(rows_with_checks)
    # Every derivation sits inside a toggle; none is shown unfolded.
    outside = re.sub(r'<details class="checks">.*?</details>', "", html, flags=re.S)
    assert 'class="derivations"' not in outside
    # The figures a disagreement involves say so on the closed toggle.
    net = Figure.objects.get(product__slug="pvc", indicator__slug="capacity-net-added", number=15)
    card = html[html.index(f'id="{net.anchor}"') :]
    summary = card[card.index("<summary>") : card.index("</summary>")]
    assert "涉及不一致" in summary
    assert_csp_safe(response)


@pytest.mark.parametrize(
    ("path", "english", "chinese"),
    [
        ("/en/industry/figures/?product=pvc", ["25.18 Mt", "end of 2019"], ["2518万吨"]),
        ("/en/industry/key-figures/", ["25.18 Mt", "43.80 Mt", "≈1.20 Mt"], ["2518万吨"]),
        ("/en/industry/products/pvc/", ["25.18 Mt", "end of 2019", "Unit: Mt"], ["2518万吨"]),
        ("/en/industry/figures/7/", ["25.18 Mt"], []),
    ],
)
def test_english_pages_give_units_and_periods_in_english(client, seed, path, english, chinese):
    """万吨 as million tonnes and 2019年底 as "end of 2019", said to be the editors'
    English; the source sentences stay Chinese, marked as such."""
    response = client.get(path)
    html = response.content.decode()
    for words in english:
        assert words in html, words
    outside_quotes = re.sub(r'<(blockquote|span|a)[^>]*lang="zh-Hans"[^>]*>.*?</\1>', "", html)
    for words in chinese:
        assert words not in outside_quotes, words
    assertContains(response, "are the editors' English")
    if "/products/" in path:
        assertContains(response, '<blockquote class="source-quote" lang="zh-Hans">')


def test_million_tonnes_keep_the_printed_digits():
    from django.utils import translation

    from industry.templatetags.industry_text import in_unit

    with translation.override("en"):
        assert in_unit("2518", "万吨") == "25.18"
        assert in_unit("6.1", "万吨") == "0.061"
        assert in_unit("−3.5", "万吨") == "−0.035"
        assert in_unit("161", "家") == "161"
    with translation.override("zh-hans"):
        assert in_unit("2518", "万吨") == "2518"


def test_english_article_pages_give_titles_in_the_editors_english(client, seed):
    response = client.get("/en" + CHLOR_ALKALI_URL)
    html = response.content.decode()
    assert '<h1><span class="editorial-name">Economic performance of China\'s' in html.replace(
        "&#x27;", "'"
    )
    assert '<span lang="zh-Hans">2019年中国氯碱行业经济运行分析</span>' in html  # the original
    assert '<span lang="zh-Hans">二、</span> <span class="editorial-name">Features of' in html
    assert '<span class="editorial-name">Market outlook for 2020</span>' in html
    # The text itself stays the source's Chinese, marked as such.
    assert '<p lang="zh-Hans">' in html
    # Chinese pages are unchanged: the source's headings.
    html = client.get(CHLOR_ALKALI_URL).content.decode()
    assert "三、2020年市场展望" in html and "Market outlook" not in html


def test_english_product_page_names_the_section_in_english(client, seed):
    html = client.get("/en/industry/products/pvc/").content.decode()
    assert '<span lang="zh-Hans">二、1、</span> <span class="editorial-name">Capacity grew' in html


def page_queries(client, url: str) -> list[str]:
    """The SQL an anonymous visitor's request for the page runs."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_figure_page_reads_two_queries_however_large_its_article(client, seed, settings):
    """Uncached (page cache off): the figure with its context and last update, and its
    article's figures for the checks; as many for thirty more figures and edits."""
    settings.KB_PAGE_CACHE_SECONDS = 0
    figure = Figure.objects.get(number=1)
    before = page_queries(client, figure.get_absolute_url())
    for i in range(30):
        Figure.objects.create(
            number=200 + i,
            paragraph=figure.paragraph,
            sentence=figure.sentence,
            product=figure.product,
            indicator=figure.indicator,
            year=figure.year,
            value_text=str(1000 + i),
            unit=figure.unit,
        )
        edit_with_history(figure, note=f"编者注{i}")
    after = page_queries(client, figure.get_absolute_url())
    assert len(before) == len(after) <= 2
    response = client.get(figure.get_absolute_url())
    assertContains(response, 'href="/industry/figures/229/"')  # same sentence
    assertContains(response, "最后更新")


def test_the_figure_page_reads_no_search_tokens(client, seed, settings):
    """Nor the paragraph text of the other figures of its article (the checks do not
    read it)."""
    settings.KB_PAGE_CACHE_SECONDS = 0
    for figure in Figure.objects.order_by("number")[:5]:
        queries = page_queries(client, figure.get_absolute_url())
        for sql in queries:
            assert "search_title" not in sql and "search_body" not in sql, sql
        assert len([sql for sql in queries if '"industry_paragraph"."text"' in sql]) == 1
