"""At 390 px, the width of a common phone: the figures table shows every value without
sideways scrolling, a chart's labels and values are inside the screen at their size, and
the header's search box shows its whole placeholder. Screenshots in artifacts/phone/."""

import pytest
from django.utils import translation
from django.utils.html import strip_tags

from industry.models import Figure
from industry.templatetags.industry_text import value_of

from .conftest import artifact

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}
LANGUAGES = {"zh": "", "en": "/en"}

# Each element's box against the screen's width; a box that scrolls on its own is no excuse.
OUTSIDE = """(selector) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.left < -0.5 || box.right > width + 0.5)) {
      out.push(`${el.tagName} ${el.textContent.trim().slice(0, 30)} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return out;
}"""

SCROLLERS = """() => [...document.querySelectorAll(".table-wrap, .chart-box")]
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => `${el.className} ${el.scrollWidth}>${el.clientWidth}`)"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_figures_table_at_390px_shows_every_value(page, language):
    page.set_viewport_size(PHONE_390)
    page.goto(f"{LANGUAGES[language]}/industry/figures/")
    rows = page.locator(".figure-table tbody tr")
    assert rows.count() == Figure.objects.count()
    assert page.evaluate(OUTSIDE, ".figure-table td, .figure-table td *") == []
    assert page.evaluate(SCROLLERS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    # Every value is on screen (and visible, not clipped away): as the source prints it,
    # or in the editors' English (25.18 Mt).
    with translation.override("en" if language == "en" else "zh-hans"):
        values = {f.anchor: strip_tags(value_of(f)) for f in Figure.objects.all()}
    for anchor, value in values.items():
        cell = page.locator(f"#{anchor} td.num")
        shown = cell.inner_text()
        assert value.replace(" ", " ") in shown.replace(" ", " "), (value, shown)
        assert cell.is_visible()
    page.screenshot(path=artifact(f"phone/{language}-figures-390.png"), full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_chart_labels_and_values_fit_a_390px_screen(page, language):
    page.set_viewport_size(PHONE_390)
    page.goto(f"{LANGUAGES[language]}/industry/products/pvc/")
    assert page.locator(".chart-svg").count() >= 3
    assert page.evaluate(OUTSIDE, ".chart-label, .chart-value, .chart-bar") == []
    assert page.evaluate(SCROLLERS) == []
    # The words keep their size: 13 px text, not a shrunken drawing.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll(".chart-label, .chart-value")]
             .map((el) => el.getBoundingClientRect().height)"""
    )
    assert min(sizes) >= 12
    page.screenshot(path=artifact(f"phone/{language}-product-pvc-390.png"), full_page=True)


PLACEHOLDER_FITS = """() => {
  const input = document.querySelector("#site-search-q");
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = context.measureText(input.placeholder).width;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text, room};
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_search_box_shows_its_whole_placeholder(page, language, width):
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{LANGUAGES[language]}/industry/")
    fit = page.evaluate(PLACEHOLDER_FITS)
    assert fit["text"] <= fit["room"], fit
