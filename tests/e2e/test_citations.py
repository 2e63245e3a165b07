"""Citations that travel: a reader copies a measure's, a figure's and a paragraph's
citation and link, on Chinese and English pages, and reads the whole citation on a phone."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from .conftest import artifact

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}
MEASURE_8 = "/policies/notices/gxmd-2020-14/measures/8/"
FIGURE_27 = "/industry/figures/27/"
ARTICLE = "/industry/articles/chlor-alkali-2019/"
NOTICE = "/policies/notices/gxmd-2020-14/"


def copy(page, button) -> str:
    expect(button).to_be_visible()  # copy.js shows the buttons where the clipboard works
    button.click()
    expect(button).to_have_text(re.compile("已复制|Copied"))
    return page.evaluate("navigator.clipboard.readText()")


@pytest.mark.parametrize(
    ("path", "starts", "part"),
    [
        (
            MEASURE_8,
            "中华人民共和国工业和信息化部. 工业和信息化部关于",
            ": 工信明电〔2020〕14号 第8条[EB/OL]. (2020-02-09)",
        ),
        ("/en" + MEASURE_8, "Ministry of Industry and Information Technology. ", "[MIIT Notice on"),
        (
            FIGURE_27,
            "中国氯碱工业协会. 2019年中国氯碱行业经济运行分析: 二、3、“烧碱进口增加",
            "数据 #27[EB/OL]. [",
        ),
        (
            "/en" + FIGURE_27,
            "中国氯碱工业协会. 2019年中国氯碱行业经济运行分析 [Economic",
            "figure #27[EB/OL]. [",
        ),
    ],
)
def test_copy_a_citation_and_a_link(context, page, site, path, starts, part):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(path)
    url = site + path
    citation = copy(page, page.locator(".copy-button[data-copy-target='citation-text']"))
    assert citation.startswith(starts), citation
    assert part in citation, citation
    # Ends in the day it was cited and the page's permanent address (GB/T 7714-2015).
    assert citation.endswith(f"[{date.today().isoformat()}]. {url}."), citation
    assert copy(page, page.locator(".copy-button[data-copy-target='citation-url']")) == url


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_copy_a_paragraphs_citation_from_the_article(context, page, site, prefix):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(prefix + ARTICLE)
    paragraph = page.locator("#s2-1-p2")
    paragraph.locator("summary").click()
    citation = copy(page, paragraph.locator(".copy-button[data-copy-target='cite-s2-1-p2-text']"))
    part = "section 二、1、, paragraph 2" if prefix else ": 二、1、第2段[EB/OL]"
    assert part in citation
    assert citation.endswith(f" {site}{prefix}{ARTICLE}#s2-1-p2."), citation
    link = copy(page, paragraph.locator(".copy-button[data-copy-target='cite-s2-1-p2-url']"))
    assert link == f"{site}{prefix}{ARTICLE}#s2-1-p2"


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_copy_a_measures_citation_from_the_whole_notice(context, page, site, prefix):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(prefix + NOTICE)
    measure = page.locator("#measure-8")
    measure.locator("summary").click()
    citation = copy(page, measure.locator(".copy-button[data-copy-target='cite-measure-8-text']"))
    part = "14号, item 8[EB/OL]" if prefix else "14号 第8条[EB/OL]"
    assert part in citation, citation
    url = f"{site}{prefix}{MEASURE_8}"
    assert citation.endswith(f"[{date.today().isoformat()}]. {url}."), citation
    assert copy(page, measure.locator(".copy-button[data-copy-target='cite-measure-8-url']")) == url


CLIPPED = """() => [...document.querySelectorAll(".citation-text, .citation-url, .cite-box, .copy-row")]
  .filter((el) => el.getClientRects().length)
  .map((el) => ({
    id: el.id || el.className,
    clipped: el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight,
    right: el.getBoundingClientRect().right,
  }))"""


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", [MEASURE_8, FIGURE_27, ARTICLE, NOTICE])
def test_the_citation_box_is_whole_on_a_phone(page, prefix, path):
    page.set_viewport_size(PHONE_390)
    page.goto(prefix + path)
    opened = {ARTICLE: "#s2-3b-p1", NOTICE: "#measure-8"}.get(path)
    if opened:
        page.locator(f"{opened} summary").click()
    boxes = page.evaluate(CLIPPED)
    assert boxes, "the page has a citation box"
    width = page.evaluate("document.documentElement.clientWidth")
    assert all(not b["clipped"] and b["right"] <= width + 0.5 for b in boxes), boxes
    name = f"{'en' if prefix else 'zh'}-{path.strip('/').replace('/', '-')}"
    target = page.locator(opened) if opened else page.locator(".cite-box").first
    target.scroll_into_view_if_needed()
    page.screenshot(path=artifact(f"screenshots/citation-390-{name}.png"))
