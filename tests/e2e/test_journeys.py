"""What readers and editors do, done in a real browser with the seed data."""

import re

import pytest
from playwright.sync_api import expect

from industry.models import Figure

from .conftest import PHONE

pytestmark = pytest.mark.e2e

NOTICE_TITLE = (
    "工业和信息化部关于应对新型冠状病毒肺炎疫情帮助中小企业复工复产共渡难关有关工作的通知"
)
MEASURE_8 = "/policies/notices/gxmd-2020-14/measures/8/"


def measure_numbers(page) -> list[str]:
    return [n.strip(" .") for n in page.locator(".measure-row .measure-number").all_inner_texts()]


def test_home_to_notice_to_measure_and_copy_its_citation(context, page, site):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto("/")
    page.get_by_role("link", name=NOTICE_TITLE).first.click()
    expect(page).to_have_url(re.compile(r"/policies/notices/gxmd-2020-14/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(NOTICE_TITLE)
    # The six headings are in the table of contents and in the text.
    expect(page.locator(".doc-body > section > h2")).to_have_count(6)

    page.get_by_role("link", name="第8条详情与引用").click()
    expect(page).to_have_url(re.compile(re.escape(MEASURE_8) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("8.加大信贷支持力度")

    field = page.get_by_label("简短引用")
    expect(field).to_have_text("工信明电〔2020〕14号 第8条")
    copy = page.locator(".copy-button[data-copy-target='citation-short']")
    expect(copy).to_be_visible()  # copy.js reveals it; without script the field is still there
    copy.click()
    expect(copy).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == "工信明电〔2020〕14号 第8条"


def test_filter_measures_by_topic_then_by_a_word(page):
    page.goto("/policies/measures/")
    page.locator("input[name=topic][value=training]").check()
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page).to_have_url(re.compile(r"/policies/measures/\?topic=training$"))
    expect(page.locator(".results-count")).to_contain_text("找到")
    assert measure_numbers(page) and "17" in measure_numbers(page)

    page.get_by_role("link", name="清除全部条件").click()
    page.get_by_label("关键词").fill("贷款")
    page.get_by_label("关键词").press("Enter")
    expect(page.locator(".results-count")).to_have_text("找到 2 条措施")
    assert measure_numbers(page) == ["5", "8"]


def test_or_filter_two_topics_then_remove_one_chip(page):
    page.goto("/policies/measures/")
    topics = page.get_by_role("group", name="政策工具/主题")
    topics.get_by_label(re.compile("^信贷")).check()
    topics.get_by_label(re.compile("^培训")).check()
    page.get_by_role("button", name="筛选", exact=True).click()
    # The empty fields the form sends are dropped from the URL.
    expect(page).to_have_url(re.compile(r"/policies/measures/\?topic=credit&topic=training$"))
    expect(page.locator(".results-count")).to_have_text("找到 4 条措施")
    assert measure_numbers(page) == ["6", "8", "10", "17"]
    chips = page.locator(".chips .chip")
    expect(chips).to_have_count(2)
    expect(topics.get_by_label(re.compile("^信贷"))).to_be_checked()

    page.get_by_role("link", name=re.compile("培训.*移除此条件")).click()
    expect(page).to_have_url(re.compile(r"/policies/measures/\?topic=credit$"))
    expect(page.locator(".results-count")).to_have_text("找到 2 条措施")
    assert measure_numbers(page) == ["8", "10"]
    expect(chips).to_have_count(1)
    expect(chips).to_contain_text("信贷")
    expect(topics.get_by_label(re.compile("^培训"))).not_to_be_checked()


def test_filters_are_folded_on_a_phone_until_used(page):
    page.set_viewport_size(PHONE)
    page.goto("/policies/measures/")
    keyword = page.get_by_label("关键词")
    expect(keyword).to_be_hidden()
    page.get_by_text("筛选", exact=True).first.click()  # the <summary>
    expect(keyword).to_be_visible()
    keyword.fill("贷款")
    keyword.press("Enter")
    expect(page.locator(".results-count")).to_have_text("找到 2 条措施")
    expect(page.get_by_label("关键词")).to_be_visible()  # open: a filter is set
    expect(page.get_by_label("关键词")).to_have_value("贷款")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/policies/measures/")
    expect(page.get_by_label("关键词")).to_be_visible()  # wide screens always show them


def test_site_search_from_the_header(page):
    page.goto("/industry/")
    box = page.get_by_role("search", name="搜索全站").get_by_role("searchbox")
    box.fill("培训")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=%E5%9F%B9%E8%AE%AD"))
    expect(page.get_by_role("heading", level=1)).to_have_text("搜索")
    expect(page.get_by_role("heading", name=re.compile(r"^支持措施 · \d+ 条"))).to_be_visible()
    hits = page.locator(".search-hit")
    expect(hits.first).to_be_visible()
    expect(page.locator(".search-hit mark").first).to_have_text("培训")
    hits.first.get_by_role("link").first.click()
    expect(page.locator("article.measure")).to_be_visible()


def test_download_the_filtered_measures_as_csv(page):
    page.goto("/policies/measures/?q=贷款")
    with page.expect_download() as download_info:
        page.locator(".downloads").get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    data = download.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    text = data.decode("utf-8-sig")
    rows = text.splitlines()
    assert len(rows) == 3, rows  # header and measures 5 and 8
    assert any("加大信贷支持力度" in row and "工信明电〔2020〕14号 第8条" in row for row in rows)


def test_switch_to_english_and_back_on_the_same_page(page):
    page.goto(MEASURE_8 + "#cite-heading")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/en" + re.escape(MEASURE_8)))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The verbatim text stays Chinese, and says so.
    expect(page.locator(".measure-text p").first).to_have_attribute("lang", "zh-Hans")

    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(re.compile(r"^[^?#]*//[^/]+" + re.escape(MEASURE_8) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_figures_table_to_product_chart_to_source_sentence(page):
    page.goto("/industry/figures/")
    table = page.locator("table.figure-table")
    table.get_by_role("link", name="烧碱", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/industry/products/caustic-soda/$"))

    chart = page.locator("figure.chart").first
    expect(chart.get_by_role("img")).to_have_accessible_name(re.compile("烧碱"))
    chart_rows = chart.locator("table tbody tr")
    expect(chart_rows.first).to_be_visible()
    # The chart's source line links each number to its paragraph in the article.
    source = chart.locator(".chart-source a").first
    number = source.inner_text()
    source.click()
    expect(page).to_have_url(re.compile(r"/industry/articles/chlor-alkali-2019/#[\w-]+$"))
    paragraph = page.locator(".article-paragraph:target")
    expect(paragraph).to_be_in_viewport()
    expect(paragraph.get_by_role("link", name=number, exact=True)).to_be_visible()
    sentence = Figure.objects.get(number=int(number.lstrip("#"))).sentence
    expect(paragraph.locator("p").first).to_contain_text(sentence)


def test_keyboard_only_search_and_filter(page):
    page.set_viewport_size(PHONE)
    page.goto("/policies/measures/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # From the main content, the next stop is the first breadcrumb, then the link to
    # 政策匹配, then the filters.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="首页")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=re.compile("^政策匹配："))).to_be_focused()
    page.keyboard.press("Tab")
    summary = page.locator(".filters > summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")  # unfold the filters
    page.keyboard.press("Tab")
    expect(page.get_by_label("关键词")).to_be_focused()
    page.keyboard.type("贷款")
    page.keyboard.press("Enter")
    expect(page.locator(".results-count")).to_have_text("找到 2 条措施")

    # Follow the first result with the keyboard alone.
    first = page.locator(".measure-row > a").first
    for _ in range(40):
        page.keyboard.press("Tab")
        if first.evaluate("el => el === document.activeElement"):
            break
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/measures/5/$"))


def test_admin_edits_a_measure_and_reverts_it_from_history(page, admin_credentials):
    username, password = admin_credentials
    page.goto("/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    expect(page.locator("#user-tools")).to_contain_text(username)

    page.goto("/admin/policies/measure/?q=加大信贷支持力度")
    page.get_by_role("link", name="加大信贷支持力度").first.click()
    title = page.locator("#id_title")
    expect(title).to_have_value("加大信贷支持力度")
    title.fill("加大信贷支持力度（测试修改）")
    page.locator("input[name='_save']").click()
    expect(page.locator(".messagelist")).to_be_visible()

    page.goto(MEASURE_8)
    expect(page.get_by_role("heading", level=1)).to_contain_text("加大信贷支持力度（测试修改）")

    page.goto("/admin/policies/measure/?q=加大信贷支持力度")
    page.get_by_role("link", name="加大信贷支持力度（测试修改）").first.click()
    page.locator("a.historylink").click()
    rows = page.locator("#change-history > tbody > tr")
    expect(rows).to_have_count(2)  # the seed's baseline and the edit, newest first
    expect(rows.first).to_contain_text(username)
    rows.last.locator("th a").click()  # the baseline version
    expect(page.locator("#id_title")).to_have_value("加大信贷支持力度")
    page.locator("input[name='_save']").click()
    expect(page.locator(".messagelist")).to_be_visible()

    page.goto(MEASURE_8)
    expect(page.get_by_role("heading", level=1)).to_have_text("8.加大信贷支持力度")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_search_two_words_see_the_sentences_and_drop_a_word(page, prefix):
    page.goto(f"{prefix}/")
    box = page.locator("#site-search-q")
    box.fill("中小企业 贷款")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    hits = page.locator(".search-hit")
    expect(hits).to_have_count(2)
    # Each hit shows the sentence with both words marked, not the opening characters.
    marks = hits.first.locator(".excerpt mark").all_inner_texts()
    assert "贷款" in marks
    # A search that finds nothing says so, and drops a word in one click.
    box = page.locator("#site-search-q")
    box.fill("租金 鹦鹉螺")
    box.press("Enter")
    expect(page.locator(".word-counts")).to_be_visible()
    expect(page.locator(".search-group")).to_have_count(0)
    page.locator(".word-counts a").filter(has_text="鹦鹉螺").click()
    expect(page.locator("#site-search-q")).to_have_value("租金")
    expect(page.locator(".search-hit")).to_have_count(2)
    expect(page.locator(".search-hit mark").first).to_have_text("租金")
