"""Every page type, in Chinese and English, at phone and desktop widths: axe-core finds no
serious or critical problem, nothing scrolls sideways on a phone, and screenshots are left
in artifacts/screenshots/ for a reviewer."""

import json

import pytest

from .conftest import DESKTOP, PHONE, artifact

pytestmark = pytest.mark.e2e

PAGES = {
    "home": "/",
    "notice-list": "/policies/",
    "notice": "/policies/notices/gxmd-2020-14/",
    "measure-list": "/policies/measures/",
    "measure-list-filtered": "/policies/measures/?q=贷款&topic=credit&topic=training",
    "measure": "/policies/notices/gxmd-2020-14/measures/8/",
    "match": "/policies/match/?size=small&province=hubei&situation=hard-hit&need=credit",
    "search": "/search/?q=培训",
    "login": "/accounts/login/",
    "404": "/no-such-page/",
    "industry-home": "/industry/",
    "article": "/industry/articles/chlor-alkali-2019/",
    "article-carbide": "/industry/articles/carbide-industry-covid-19/",
    "figure-list": "/industry/figures/",
    "key-figures": "/industry/key-figures/",
    "figure": "/industry/figures/1/",
    "product": "/industry/products/caustic-soda/",
    "company-list": "/industry/companies/",
    "company": "/industry/companies/beiyuan/",
    "data-notes": "/industry/data-notes/",
}
LANGUAGES = {"zh": "", "en": "/en"}

# Elements that stick out past the right edge of a phone, other than those inside a box
# that scrolls on its own (.table-wrap, .chart-scroll).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".table-wrap, .chart-scroll, .visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    const spill = getComputedStyle(el).overflowX === "visible" ? el.scrollWidth - el.clientWidth : 0;
    if (box.width && box.right + Math.max(spill, 0) > width + 0.5) {
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, elements: out.slice(0, 10)};
}"""


IMPACTS = ("critical", "serious", "moderate", "minor")
SUMMARY = {}


@pytest.fixture(scope="module", autouse=True)
def axe_summary():
    """artifacts/axe/summary.md: violations by impact for each page type and language."""
    yield
    if not SUMMARY:
        return
    lines = ["| page | language | critical | serious | moderate | minor |", "| --- " * 6 + "|"]
    for (name, language), counts in SUMMARY.items():
        impacts = [str(counts.get(impact, 0)) for impact in IMPACTS]
        lines.append(f"| {name} | {language} | " + " | ".join(impacts) + " |")
    artifact("axe/summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page(page, axe, name, language):
    response = page.goto(LANGUAGES[language] + PAGES[name])
    assert response.status == (404 if name == "404" else 200)
    assert page.locator("html").get_attribute("lang") == ("en" if language == "en" else "zh-Hans")
    if name != "home":
        assert page.locator("nav.breadcrumbs").is_visible(), "every page but home has breadcrumbs"

    found = {}
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        found[width] = axe(page)
        page.screenshot(path=artifact(f"screenshots/{language}-{name}-{width}.png"), full_page=True)
    overflow = page.evaluate(OVERFLOWING)  # at phone width

    artifact(f"axe/{language}-{name}.json").write_text(
        json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    SUMMARY[(name, language)] = counts = {}
    for violation in {v["id"]: v for vs in found.values() for v in vs}.values():
        counts[violation["impact"]] = counts.get(violation["impact"], 0) + 1

    problems = {width: serious(violations) for width, violations in found.items()}
    assert not any(problems.values()), problems
    assert overflow["scrollWidth"] <= overflow["width"], overflow
