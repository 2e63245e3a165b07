"""What changed, in a real browser: an admin edits a measure, a reader follows the change
from the Atom feed to the measure and sees it; the changes page passes axe-core in both
languages."""

import json
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, artifact

pytestmark = pytest.mark.e2e

ATOM = "{http://www.w3.org/2005/Atom}"
EDITED_TITLE = "加大信贷支持力度（最近更新测试）"


def log_in(page, credentials) -> None:
    username, password = credentials
    page.goto("/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    expect(page.locator("#user-tools")).to_contain_text(username)


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_follow_an_admins_edit_from_the_feed_to_the_record(
    browser, site, page, admin_credentials, prefix
):
    log_in(page, admin_credentials)
    page.goto("/admin/policies/measure/?q=加大信贷支持力度")
    page.get_by_role("link", name="加大信贷支持力度").first.click()
    page.locator("#id_title").fill(EDITED_TITLE)
    page.locator("input[name='_save']").click()
    expect(page.locator(".messagelist")).to_be_visible()

    # A reader with no account: the feed, then the entry's link.
    reader = browser.new_context(base_url=site, viewport=DESKTOP)
    try:
        visitor = reader.new_page()
        feed = visitor.request.get(f"{prefix}/changes/feed/")
        assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
        entry = ET.fromstring(feed.body()).find(f"{ATOM}entry")
        title = entry.find(f"{ATOM}title").text
        assert ("标题 修改" if not prefix else "Title changed") in title
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert link.endswith(f"{prefix}/policies/notices/gxmd-2020-14/measures/8/")

        visitor.goto(link)
        expect(visitor.get_by_role("heading", level=1)).to_contain_text(
            EDITED_TITLE if not prefix else "8."
        )
        expect(visitor.locator(".last-updated")).to_be_visible()
        if prefix:
            expect(visitor.locator(".original-title")).to_contain_text(EDITED_TITLE)

        # The changes page says the same, linked, without the editor's name.
        visitor.goto(f"{prefix}/changes/")
        first = visitor.locator(".change").first
        expect(first).to_contain_text(EDITED_TITLE)
        expect(first).not_to_contain_text(admin_credentials[0])
        first.get_by_role("link").click()
        expect(visitor).to_have_url(link)
    finally:
        reader.close()


def test_an_edit_of_a_measures_classifications_alone_is_listed(
    browser, site, page, admin_credentials
):
    """Staff delete one classification row on the measure's admin page and save nothing
    else: readers see one entry for the measure naming the target group removed."""
    log_in(page, admin_credentials)
    page.goto("/admin/policies/measure/?q=加大信贷支持力度")
    page.get_by_role("link", name="加大信贷支持力度").first.click()
    row = page.locator("tr.form-row", has_text="受疫情影响较大的企业")
    row.locator("input[type='checkbox'][name$='-DELETE']").check()
    page.locator("input[name='_save']").click()
    expect(page.locator(".messagelist")).to_be_visible()

    reader = browser.new_context(base_url=site, viewport=PHONE)
    try:
        visitor = reader.new_page()
        for prefix, summary in [
            ("", "支持对象 删除：受疫情影响较大的企业"),
            ("/en", "Target groups removed: Enterprises hard hit by the epidemic"),
        ]:
            visitor.goto(f"{prefix}/changes/")
            first = visitor.locator(".change").first
            expect(first.locator(".change-summary")).to_have_text(summary)
            expect(first).not_to_contain_text(admin_credentials[0])
            feed = visitor.request.get(f"{prefix}/policies/notices/gxmd-2020-14/feed/")
            entry = ET.fromstring(feed.body()).find(f"{ATOM}entry")
            assert summary in entry.find(f"{ATOM}title").text
            first.get_by_role("link").click()
            expect(visitor).to_have_url(f"{site}{prefix}/policies/notices/gxmd-2020-14/measures/8/")
            expect(visitor.locator(".classification")).not_to_contain_text(
                "受疫情影响较大的企业" if not prefix else "hard hit by the epidemic"
            )
        visitor.goto("/changes/")
        visitor.screenshot(path=artifact("screenshots/changes-classifications-375.png"))
    finally:
        reader.close()


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_changes_page_passes_axe(page, axe, site, prefix):
    page.goto(f"{prefix}/changes/")
    expect(page.locator(".change").first).to_be_visible()
    found = {}
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        found[width] = axe(page)
        name = f"{prefix.strip('/') or 'zh'}-changes-{width}"
        page.screenshot(path=artifact(f"screenshots/{name}.png"), full_page=True)
    artifact(f"axe/{prefix.strip('/') or 'zh'}-changes.json").write_text(
        json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    serious = {
        width: [v for v in violations if v["impact"] in ("serious", "critical")]
        for width, violations in found.items()
    }
    assert not any(serious.values()), serious
