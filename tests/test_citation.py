"""Citations that travel: each measure, paragraph and figure cites its page as a GB/T
7714-2015 online source (core.citation), in Chinese and in English, ending in the page's
permanent URL after the day cited; each page carries copy buttons for it and for the link."""

import re
from datetime import date
from html import unescape

import pytest
from django.utils import timezone, translation
from django.utils.html import strip_tags

from core.citation import OnlineSource, gb_t_7714, translated
from industry.models import Figure, Paragraph, Section
from policies.models import Issuer, Measure

CITED = date(2026, 12, 7)
NOTICE_TITLE = (
    "工业和信息化部关于应对新型冠状病毒肺炎疫情帮助中小企业复工复产共渡难关有关工作的通知"
)
NOTICE_TITLE_EN = (
    "MIIT Notice on Helping SMEs Resume Work and Production and Overcome Difficulties in "
    "Response to the Novel Coronavirus Pneumonia Epidemic"
)
ARTICLE_TITLE = "2019年中国氯碱行业经济运行分析"
ARTICLE_TITLE_EN = "Economic performance of China's chlor-alkali industry in 2019"


# --- the form (core.citation) ----------------------------------------------------------------


def test_the_standards_own_example_of_a_notice():
    """GB/T 7714-2015 4.8's example of a government notice, with [EB/OL] for a web page."""
    source = OnlineSource(
        creators=["北京市人民政府办公厅"],
        title="关于转发北京市企业投资项目核准暂行实施办法的通知",
        other_title="京政办发〔2005〕37号",
        published=date(2005, 7, 12),
        accessed=date(2011, 7, 12),
        url="http://www.bjpc.gov.cn/zt/xzsp/fjfg/sp/200707/t20070716_8859.htm",
    )
    assert gb_t_7714(source) == (
        "北京市人民政府办公厅. 关于转发北京市企业投资项目核准暂行实施办法的通知: "
        "京政办发〔2005〕37号[EB/OL]. (2005-07-12)[2011-07-12]. "
        "http://www.bjpc.gov.cn/zt/xzsp/fjfg/sp/200707/t20070716_8859.htm."
    )


def test_a_source_without_a_date_gives_only_the_day_cited():
    source = OnlineSource(creators=["萧钰"], title="题名", url="https://x/", accessed=CITED)
    assert gb_t_7714(source) == "萧钰. 题名[EB/OL]. [2026-12-07]. https://x/."


@pytest.mark.parametrize(
    ("english", "creators"), [(False, "甲, 乙, 丙, 等"), (True, "甲, 乙, 丙, et al")]
)
def test_more_than_three_bodies_are_cut_to_three(english, creators):
    source = OnlineSource(
        creators=["甲", "乙", "丙", "丁"], title="T", url="u", accessed=CITED, english=english
    )
    assert gb_t_7714(source).startswith(f"{creators}. T[EB/OL]")


def test_a_translated_title_follows_the_original_in_brackets():
    assert translated("标题", "Title") == "标题 [Title]"
    assert translated("标题", "") == "标题"


# --- measures ------------------------------------------------------------------------------


@pytest.fixture
def measure_8(seed):
    return Measure.objects.select_related("notice").get(notice__slug="gxmd-2020-14", number=8)


def test_measure_citation_in_chinese(measure_8):
    url = "https://kb.example.org/policies/notices/gxmd-2020-14/measures/8/"
    assert measure_8.online_citation(url=url, accessed=CITED) == (
        f"中华人民共和国工业和信息化部. {NOTICE_TITLE}: 工信明电〔2020〕14号 第8条[EB/OL]. "
        f"(2020-02-09)[2026-12-07]. {url}."
    )


def test_measure_citation_in_english(measure_8):
    url = "https://kb.example.org/en/policies/notices/gxmd-2020-14/measures/8/"
    assert measure_8.online_citation(url=url, accessed=CITED, english=True) == (
        f"Ministry of Industry and Information Technology. {NOTICE_TITLE} [{NOTICE_TITLE_EN}]: "
        f"工信明电〔2020〕14号, item 8[EB/OL]. (2020-02-09)[2026-12-07]. {url}."
    )


def test_measure_citation_names_joint_issuers_in_the_printed_order(measure_8):
    notice = measure_8.notice
    notice.issuing_body = "财政部 工业和信息化部"
    notice.published_on = date(2020, 2, 10)
    text = measure_8.online_citation(url="u", accessed=CITED)
    # 财政部 is not in the vocabulary: as printed. The date published comes before the date issued.
    assert text.startswith("财政部, 中华人民共和国工业和信息化部. ")
    assert "(2020-02-10)[2026-12-07]" in text


def test_an_issuer_without_a_full_name_is_cited_by_its_name(measure_8):
    Issuer.objects.filter(slug="miit").update(full_name="")
    assert measure_8.online_citation(url="u", accessed=CITED).startswith("工业和信息化部. ")


# --- paragraphs and figures ----------------------------------------------------------------


def test_paragraph_citation_in_chinese_and_english(seed):
    paragraph = Paragraph.objects.get(
        section__article__slug="chlor-alkali-2019", section__anchor="s2-1", position=2
    )
    url = "https://kb.example.org/industry/articles/chlor-alkali-2019/#s2-1-p2"
    assert paragraph.online_citation(url=url, accessed=CITED) == (
        f"中国氯碱工业协会. {ARTICLE_TITLE}: 二、1、第2段[EB/OL]. [2026-12-07]. {url}."
    )
    assert paragraph.online_citation(url=url, accessed=CITED, english=True) == (
        f"中国氯碱工业协会. {ARTICLE_TITLE} [{ARTICLE_TITLE_EN}]: section 二、1、, paragraph 2"
        f"[EB/OL]. [2026-12-07]. {url}."
    )


def test_figure_citation_names_the_section_the_source_numbers_twice(seed):
    """二、3、 is printed twice in the article: the citation names its heading too."""
    repeated = Section.objects.filter(number_repeated=True).select_related("parent")
    assert repeated.count() == 2
    figure = Figure.objects.with_context().get(number=27)
    text = figure.online_citation(url="https://kb.example.org/industry/figures/27/", accessed=CITED)
    assert text == (
        f"中国氯碱工业协会. {ARTICLE_TITLE}: 二、3、“烧碱进口增加出口下降，PVC进出口量均减少” "
        "第1段 数据 #27[EB/OL]. [2026-12-07]. https://kb.example.org/industry/figures/27/."
    )
    other = Paragraph.objects.get(section__anchor="s2-3", position=1)
    assert "二、3、“烧碱市场震荡下行，聚氯乙烯市场波动明显” 第1段" in other.online_citation(
        url="u", accessed=CITED
    )
    english = figure.online_citation(url="u", accessed=CITED, english=True)
    assert "section 二、3、 “" in english and ", figure #27[EB/OL]" in english


# --- the pages -----------------------------------------------------------------------------

PAGES = {
    "measure": "/policies/notices/gxmd-2020-14/measures/8/",
    "figure": "/industry/figures/27/",
    "article": "/industry/articles/chlor-alkali-2019/",
}


def citations_on(html: str) -> list[str]:
    return [
        unescape(t) for t in re.findall(r'<p class="citation-text" id="[^"]+"[^>]*>(.*?)</p>', html)
    ]


def copy_targets(html: str) -> list[str]:
    return re.findall(r'class="copy-button" data-copy-target="([^"]+)"', html)


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_measure_page_carries_its_citation_and_copy_buttons(client, seed, prefix):
    measures = list(Measure.objects.published().values_list("notice__slug", "number"))
    assert len(measures) == 20
    today = timezone.localdate().isoformat()
    for slug, number in measures:
        path = f"{prefix}/policies/notices/{slug}/measures/{number}/"
        html = client.get(path).content.decode()
        cited = [c for c in citations_on(html) if "[EB/OL]" in c]
        assert len(cited) == 1, path
        assert cited[0].endswith(f"[{today}]. http://testserver{path}."), cited
        assert {"citation-text", "citation-url"} <= set(copy_targets(html)), path
        assert f'id="citation-url" href="http://testserver{path}"' in html


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_notice_page_gives_every_measure_its_citation_and_copy_buttons(client, seed, prefix):
    """The whole notice: each of its 20 measures cited as on its own page, ending in that
    page's permanent URL and the day cited, with a button to copy each."""
    notice = Measure.objects.published().first().notice
    with translation.override("en" if prefix else "zh-hans"):
        html = client.get(notice.get_absolute_url()).content.decode()
        measures = list(notice.measures.all())
        paths = [measure.get_absolute_url() for measure in measures]
    cited = [strip_tags(citation) for citation in citations_on(html)]
    assert len(cited) == len(measures) == 20
    today = timezone.localdate().isoformat()
    targets = set(copy_targets(html))
    for measure, path, citation in zip(measures, paths, cited, strict=True):
        assert citation.endswith(f"[{today}]. http://testserver{path}."), citation
        assert (
            f", item {measure.number}[EB/OL]" if prefix else f" 第{measure.number}条[EB/OL]"
        ) in (citation)
        assert citation in map(strip_tags, citations_on(client.get(path).content.decode()))
        key = f"cite-{measure.anchor}"
        assert {f"{key}-text", f"{key}-url"} <= targets
        assert f'id="{key}-url" href="http://testserver{path}"' in html


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_figure_page_carries_its_citation_and_copy_buttons(client, seed, prefix):
    for number in Figure.objects.published().values_list("number", flat=True):
        path = f"{prefix}/industry/figures/{number}/"
        html = client.get(path).content.decode()
        cited = citations_on(html)
        assert len(cited) == 1 and cited[0].endswith(f" http://testserver{path}."), path
        assert f"#{number}[EB/OL]" in cited[0]
        assert {"citation-text", "citation-url"} <= set(copy_targets(html)), path


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_paragraph_on_the_article_pages_carries_its_citation_and_copy_buttons(
    client, seed, prefix
):
    for paragraph in Paragraph.objects.published().select_related("section__article"):
        if paragraph.section.article.slug not in ("chlor-alkali-2019", "carbide-industry-covid-19"):
            continue
        with translation.override("en" if prefix else "zh-hans"):
            path = paragraph.get_absolute_url()
        html = client.get(path.split("#")[0]).content.decode()
        targets = set(copy_targets(html))
        key = f"cite-{paragraph.anchor}"
        assert {f"{key}-text", f"{key}-url"} <= targets, path
        assert f'id="{key}-url" href="http://testserver{path}"' in html


def test_english_citations_say_their_english_is_the_editors(client, seed):
    html = client.get("/en" + PAGES["measure"]).content.decode()
    assert "English names and translated titles are the editors'" in unescape(html)
    assert "[MIIT Notice on Helping SMEs" in citations_on(html)[0]


def test_chinese_in_an_english_citation_is_marked_as_chinese():
    from core.text import mark_chinese

    with translation.override("en"):
        marked = mark_chinese(
            "Ministry. 关于复工的通知 [Notice]: 工信明电〔2020〕14号, item 8[EB/OL]."
        )
    assert marked == (
        'Ministry. <span lang="zh-Hans">关于复工的通知</span> [Notice]: '
        '<span lang="zh-Hans">工信明电〔2020〕14号</span>, item 8[EB/OL].'
    )
    with translation.override("zh-hans"):
        assert mark_chinese("<b>关于</b>") == "&lt;b&gt;关于&lt;/b&gt;"


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("name", ["notice", "measure", "article"])
def test_printing_gives_the_same_reference_as_the_page(client, seed, prefix, name):
    """The print-only line under a notice, a measure or an article is its GB/T 7714-2015
    reference (ending in the day cited and its permanent URL), not an older prose form."""
    path = {
        "notice": "/policies/notices/gxmd-2020-14/",
        "measure": PAGES["measure"],
        "article": PAGES["article"],
    }[name]
    html = client.get(prefix + path).content.decode()
    line = re.search(r'<p class="print-only citation-line">(.*?)</p>', html).group(1)
    text = unescape(strip_tags(line))
    today = timezone.localdate().isoformat()
    assert text.startswith("Cite as: " if prefix else "引用：")
    dated = "" if name == "article" else "(2020-02-09)"  # the bulletin dates no article
    assert text.endswith(f"[EB/OL]. {dated}[{today}]. http://testserver{prefix}{path}."), text
    assert "[EB/OL]" in text and "网址" not in text
    if name == "measure":
        assert (", item 8[EB/OL]" if prefix else " 第8条[EB/OL]") in text
