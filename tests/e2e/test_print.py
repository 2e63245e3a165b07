"""Printing the notice, a measure or an article gives a clean handout: no navigation,
filters, search or language switch, and the source and citation at the bottom. The PDFs
and print-media screenshots are left in artifacts/print/ for a reviewer."""

from datetime import date

import pytest
from playwright.sync_api import expect

from .conftest import artifact

pytestmark = pytest.mark.e2e

# What each printout ends with: its GB/T 7714-2015 reference, as on the page.
DOCUMENTS = {
    "notice": (
        "/policies/notices/gxmd-2020-14/",
        "引用：中华人民共和国工业和信息化部. 工业和信息化部关于应对新型冠状病毒肺炎疫情帮助中小企业复工复产"
        "共渡难关有关工作的通知: 工信明电〔2020〕14号[EB/OL]. (2020-02-09)[",
    ),
    "measure": (
        "/policies/notices/gxmd-2020-14/measures/8/",
        "引用：中华人民共和国工业和信息化部. 工业和信息化部关于应对新型冠状病毒肺炎疫情帮助中小企业复工复产"
        "共渡难关有关工作的通知: 工信明电〔2020〕14号 第8条[EB/OL]. (2020-02-09)[",
    ),
    "article": (
        "/industry/articles/chlor-alkali-2019/",
        "引用：中国氯碱工业协会. 2019年中国氯碱行业经济运行分析[EB/OL]. [",
    ),
}
SCREEN_ONLY = [
    ".site-header",
    ".site-search",
    ".language-switch",
    "nav.breadcrumbs",
    ".toc",
    ".site-footer",
    ".prev-next",
    ".copy-button",
    "input",
]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_print(page, name):
    path, citation = DOCUMENTS[name]
    page.goto(path)
    line = page.locator(".print-only").last
    expect(line).to_be_hidden()  # on screen

    page.emulate_media(media="print")
    for selector in SCREEN_ONLY:
        for element in page.locator(selector).all():
            expect(element).to_be_hidden()
    expect(line).to_be_visible()
    expect(line).to_contain_text(citation)
    # The reference ends in the day cited and the page's permanent address.
    expect(line).to_contain_text(f"[{date.today().isoformat()}]. {page.url}.")
    # The source and citation close the document: nothing visible comes after them.
    last_visible_text = page.evaluate(
        """() => {
          const texts = [...document.querySelectorAll("main p, main li, main h2, main blockquote")]
            .filter((el) => el.checkVisibility());
          return texts[texts.length - 1].textContent;
        }"""
    )
    assert citation in last_visible_text

    page.screenshot(path=artifact(f"print/{name}-print-media.png"), full_page=True)
    artifact(f"print/{name}.pdf").write_bytes(page.pdf(format="A4"))
