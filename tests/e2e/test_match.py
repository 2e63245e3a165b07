"""The staff desk's journey: describe an enterprise (small, in 湖北, hard hit by the
epidemic, needing credit), get its 政策清单 with the reasons each measure fits, print it
to PDF and download it as XLSX that reads back with its Chinese intact. The PDF and
screenshots are left in artifacts/match/ for a reviewer."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from .conftest import artifact

pytestmark = pytest.mark.e2e


def describe_the_enterprise(page) -> None:
    page.goto("/policies/match/")
    page.get_by_label("小型企业").check()
    page.get_by_label("所在省份（自治区、直辖市）").select_option(label="湖北")
    page.get_by_label("受疫情影响较大的企业").check()
    page.get_by_label("信贷", exact=True).check()
    page.get_by_role("button", name="匹配措施").click()


PARTS = ("targeted", "general", "other")


def test_a_profile_gives_a_policy_list_to_print_and_download(page):
    describe_the_enterprise(page)
    # The profile is the URL, with no empty parameters.
    assert page.url.endswith(
        "/policies/match/?size=small&province=hubei&situation=hard-hit&need=credit"
    )
    expect(page.locator("h2#result-heading")).to_contain_text("政策清单")
    fits = page.locator(".match-fit")
    assert fits.count() >= 5
    for fit in fits.all():
        expect(fit.locator(".match-why dt").first).to_have_text("为何适用")
        assert fit.locator(".match-why dd").first.locator("li").count() >= 1
    first = fits.first
    expect(first.locator("h4")).to_contain_text("加大信贷支持力度")
    expect(first).to_contain_text("为受疫情影响较大的企业提供应急转贷资金支持")

    # Printed: one clean A4 handout, no form, navigation or downloads.
    page.emulate_media(media="print")
    for selector in [".site-header", ".match-form", ".downloads", ".match-share", ".site-footer"]:
        expect(page.locator(selector)).to_be_hidden()
    expect(page.locator(".citation-line")).to_be_visible()
    # The reasons are the editors' classification, and the handout says so.
    expect(page.locator(".match-result > .note .editorial-flag")).to_be_visible()
    # Each part ten at a time: the handout says which, and where the rest are.
    expect(page.locator("#other-heading ~ .match-pager")).to_contain_text(
        "第 1–10 条，共 12 条（另见下载文件）"
    )
    expect(page.locator(".citation-line")).to_contain_text(page.url)
    page.screenshot(path=artifact("match/list-print-media.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    artifact("match/list.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")

    # Downloaded as XLSX: Chinese intact, citations and links in it.
    with page.expect_download() as download_info:
        page.locator(".downloads").get_by_role("link", name="Excel（XLSX）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    data = download.path().read_bytes()
    artifact("match/list.xlsx").write_bytes(data)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["类别", "序号", "引用"]
    first_row = dict(zip(header, rows[0], strict=True))
    assert first_row["引用"] == "工信明电〔2020〕14号 第8条"
    assert (
        "受疫情影响较大的企业“为受疫情影响较大的企业提供应急转贷资金支持”"
        in (first_row["为何适用（编者分类及依据）"])
    )
    assert first_row["网址"].endswith("/policies/notices/gxmd-2020-14/measures/8/")
    totals = [int(page.locator(f"#{part}-heading .meta").inner_text()) for part in PARTS]
    assert len(rows) == sum(totals) == 19

    # The rest of a part, on its next page: measures 19 and 20, whose titles are the editors'.
    page.locator("#other-heading ~ .match-pager").get_by_role("link", name="下一页").click()
    assert page.url.endswith("&other_page=2#other-heading")
    expect(page.locator("#other-heading ~ .match-brief li")).to_have_count(2)
    expect(page.locator("#other-heading ~ .match-brief").get_by_text("编者拟定标题")).to_have_count(
        2
    )


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_match_page_has_no_serious_accessibility_problem(page, axe, prefix):
    page.goto(f"{prefix}/policies/match/?size=small&province=hubei&situation=hard-hit&need=credit")
    violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not violations, violations
    page.goto(f"{prefix}/policies/match/")
    violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not violations, violations
