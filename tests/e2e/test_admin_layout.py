"""The measure changelist reads at a laptop's width: the title column is not squeezed to a
few characters a line. Screenshot in artifacts/screenshots/admin-measure-changelist.png."""

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, artifact

pytestmark = pytest.mark.e2e


def test_measure_changelist_at_1280_px_gives_titles_room(page, admin_credentials):
    username, password = admin_credentials
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    expect(page.locator("#user-tools")).to_contain_text(username)

    page.goto("/admin/policies/measure/")
    page.screenshot(path=artifact("screenshots/admin-measure-changelist.png"), full_page=True)
    sizes = page.evaluate(
        """() => {
          const em = parseFloat(getComputedStyle(document.body).fontSize);
          const cells = [...document.querySelectorAll("#result_list td.field-title, #result_list th.field-title")];
          const lineHeight = (el) => parseFloat(getComputedStyle(el).lineHeight) || em * 1.4;
          return {
            em,
            count: cells.length,
            narrowest: Math.min(...cells.map((c) => c.getBoundingClientRect().width)),
            mostLines: Math.max(...cells.map((c) => {
              const text = c.querySelector("a") || c;
              return Math.round(text.getBoundingClientRect().height / lineHeight(text));
            })),
            pageScrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
            tableScrolls: (() => {
              const box = document.querySelector("#changelist .results");
              return box.scrollWidth > box.clientWidth;
            })(),
          };
        }"""
    )
    assert sizes["count"] == 20, sizes
    # The longest title (about 20 characters) fits in two lines; one of two characters a
    # line was the fault.
    assert sizes["narrowest"] >= 12 * sizes["em"], sizes
    assert sizes["mostLines"] <= 2, sizes
    assert not sizes["pageScrolls"] and not sizes["tableScrolls"], sizes
