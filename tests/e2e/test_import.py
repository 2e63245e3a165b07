"""An editor imports the next notice from its text, corrects the preview, confirms a
draft and publishes it; the public sees it only then."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from policies.models import Notice
from tests.sourcetext import NOTICE_TEXT, source_part

pytestmark = pytest.mark.e2e

EDITOR = ("e2e-editor", "e2e-only-Editor-Passw0rd!")
NUMBER = "工信明电〔2020〕15号"


@pytest.fixture
def editor(transactional_db):
    user = get_user_model().objects.create_user(EDITOR[0], password=EDITOR[1], is_staff=True)
    user.groups.add(Group.objects.get(name="编辑"))
    return user


def test_an_editor_imports_corrects_confirms_and_publishes_a_notice(
    browser, context, page, site, editor
):
    visitor = browser.new_context(base_url=site, locale="zh-CN").new_page()

    page.goto("/admin/")
    page.locator("#id_username").fill(EDITOR[0])
    page.locator("#id_password").fill(EDITOR[1])
    page.locator("#id_password").press("Enter")
    expect(page.locator("#user-tools")).to_contain_text(EDITOR[0])
    page.goto("/admin/policies/notice/")
    page.get_by_role("link", name="从文本导入").click()
    text = source_part(*NOTICE_TEXT).replace("〔2020〕14 号", "〔2020〕15 号")
    page.get_by_label("粘贴全文").fill(text)
    page.get_by_role("button", name="读取并预览").click()

    # The preview: the text beside the records, the column label unparsed, two warnings.
    expect(page.locator("tr.unparsed")).to_have_count(1)
    expect(page.locator("tr.unparsed")).to_contain_text("政策信息")
    expect(page.locator(".kb-import-warnings li")).to_have_count(2)
    expect(page.get_by_label("发文字号")).to_have_value(NUMBER)
    # The editor fixes one title and gives the two the source lacks.
    page.get_by_label("第1条小标题").fill("加强分类指导，分类施策")
    page.get_by_label("第19条小标题").fill("发挥协调机制作用")
    page.get_by_label("第20条小标题").fill("推动惠企政策落地")
    page.get_by_role("button", name="确认导入为草稿").click()
    expect(page.locator(".messagelist")).to_contain_text("已导入草稿“工信明电〔2020〕15号”")

    notice = Notice.objects.get(doc_number=NUMBER)
    assert notice.status == "draft"
    assert notice.measures.get(number=1).title == "加强分类指导，分类施策"
    url = notice.get_absolute_url()

    # Before publishing, the public sees nothing of it.
    assert visitor.goto(url).status == 404
    visitor.goto("/policies/")
    expect(visitor.locator(".notice-list")).not_to_contain_text(NUMBER)
    expect(visitor.locator(".results-count")).to_have_text("全部 1 份文件")

    # Staff see a preview.
    page.goto(url)
    expect(page.locator(".draft-banner")).to_contain_text("草稿预览")

    page.goto("/admin/policies/notice/?status__exact=draft")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("publish")
    page.get_by_role("button", name="执行").click()
    expect(page.locator(".messagelist")).to_contain_text("已发布 1 份通知")

    # Now the public finds it, and filters by level, issuer, year and validity.
    visitor.goto("/policies/")
    expect(visitor.locator(".results-count")).to_have_text("全部 2 份文件")
    for name, value in [
        ("level", "national"),
        ("issuer", "miit"),
        ("year", "2020"),
        ("validity", "unknown"),
    ]:
        visitor.locator(f"input[name={name}][value='{value}']").check()
    visitor.get_by_role("button", name="筛选", exact=True).click()
    expect(visitor).to_have_url(re.compile(r"level=national.*issuer=miit.*year=2020"))
    expect(visitor.locator(".results-count")).to_have_text("找到 2 份文件")
    expect(visitor.get_by_role("group", name="层级")).to_contain_text("国家（2）")
    visitor.get_by_role("link", name=re.compile("帮助中小企业复工复产")).first.click()
    expect(visitor.locator(".validity")).to_contain_text("效力：未知")
    visitor.goto(url + "measures/1/")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("加强分类指导，分类施策")
    expect(visitor.locator(".validity")).to_contain_text("未知")
    visitor.context.close()
