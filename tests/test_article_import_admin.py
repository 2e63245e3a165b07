"""Importing an article in the admin: sections and paragraphs as the text has them, and
each proposed figure or action stored only if the editor accepts it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.asserts import assertContains, assertNotContains
from reversion.models import Version

from industry.models import Action, Article, Company, Figure
from tests.sourcetext import CARBIDE_TEXT, CHLOR_ALKALI_TEXT, source_part
from tests.test_notice_import_admin import confirm_form

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/industry/article/import/"
TITLE = "2020 年中国氯碱行业经济运行分析"


@pytest.fixture
def editor(client, seed):
    user = get_user_model().objects.create_user("editor", password="a-long-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name="编辑"))
    client.force_login(user)
    return client


def test_an_editor_imports_an_article_accepting_all_figures_but_one(editor, client):
    text = source_part(*CHLOR_ALKALI_TEXT).replace("2019 年中国氯碱行业经济运行分析", TITLE)
    assertContains(editor.get("/admin/industry/article/"), IMPORT_URL)
    preview = editor.post(IMPORT_URL, {"step": "read", "text": text})
    assertContains(preview, "编号“3、”与前面重复")
    data = confirm_form(preview)
    accepted = [k for k in data if k.startswith("figures-") and k.endswith("-accept")]
    assert len(accepted) == 34 and data["figures-0-product"] == "caustic-soda"
    del data["figures-33-accept"]  # the editor rejects the last one
    data["figures-0-value_text"] = "162"  # and corrects the first
    response = editor.post(IMPORT_URL, data)
    article = Article.objects.get(title="2020年中国氯碱行业经济运行分析")
    assert response.status_code == 302
    assert article.status == Article.Status.DRAFT
    assert article.sections.count() == 10
    assert sum(s.paragraphs.count() for s in article.sections.all()) == 14
    figures = Figure.objects.filter(section__article=article).order_by("number")
    assert figures.count() == 33
    assert [f.number for f in figures][:2] == [35, 36]
    assert figures[0].value_text == "162" and figures[0].sentence.startswith("目前全国烧碱企业")
    comment = Version.objects.get_for_object(article)[0].revision.comment
    assert comment == "从文本导入：粘贴的文本（草稿）"

    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(figures[0].get_absolute_url()).status_code == 404
    assertContains(client.get("/industry/"), "<strong>34</strong> 项数据")
    assertNotContains(client.get("/industry/figures.csv"), "2020年中国氯碱行业经济运行分析")
    assertNotContains(client.get("/search/?q=氯碱&kind=paragraph"), "2020年中国氯碱")

    editor.force_login(get_user_model().objects.get(username="editor"))
    editor.post("/admin/industry/article/", {"action": "publish", "_selected_action": [article.pk]})
    editor.logout()
    assert client.get(article.get_absolute_url()).status_code == 200
    assertContains(client.get("/industry/"), "<strong>67</strong> 项数据")
    assertContains(client.get("/search/?q=氯碱&kind=paragraph"), "2020年中国氯碱")


def test_nothing_is_stored_unconfirmed_and_a_figure_left_incomplete_is_refused(editor):
    text = source_part(*CHLOR_ALKALI_TEXT).replace("2019 年中国氯碱行业经济运行分析", TITLE)
    preview = editor.post(IMPORT_URL, {"step": "read", "text": text})
    assert Article.objects.count() == 2 and Figure.objects.count() == 34
    data = confirm_form(preview) | {"figures-0-product": ""}
    refused = editor.post(IMPORT_URL, data)
    assertContains(refused, "采用时必须填写")
    assert Article.objects.count() == 2 and Figure.objects.count() == 34


def test_the_carbide_report_links_actions_to_companies_old_and_new(editor):
    text = (
        source_part(*CARBIDE_TEXT)
        .replace("众志成城 抗击疫情—电石行业在行动", "众志成城 抗击疫情—电石行业在行动（续）")
        .replace("陕西北元化工：", "陕西新元化工：")
    )
    preview = editor.post(IMPORT_URL, {"step": "read", "text": text})
    data = confirm_form(preview)
    assert [data[f"actions-{i}-quantity_text"] for i in range(5)] == [
        "200",
        "100",
        "两百",
        "两",
        "30",
    ]
    refused = editor.post(IMPORT_URL, data)
    assertContains(refused, "新企业需要填写此项")
    data |= {"sections-1-company_slug": "xinyuan", "sections-1-company_name_en": "Shaanxi Xinyuan"}
    assert editor.post(IMPORT_URL, data).status_code == 302
    article = Article.objects.get(title__endswith="（续）")
    new = Company.objects.get(slug="xinyuan")
    assert (new.province, new.story.article) == ("陕西", article)
    assert Action.objects.filter(paragraph__section__article=article).count() == 5
    assert Company.objects.get(slug="dadi").actions.count() == 5 + 3


def test_an_article_already_stored_is_not_imported_twice(editor):
    preview = editor.post(IMPORT_URL, {"step": "read", "text": source_part(*CHLOR_ALKALI_TEXT)})
    assertContains(preview, "本库已有同名文章，不重复导入")
    refused = editor.post(IMPORT_URL, confirm_form(preview))
    assertContains(refused, "本库已有同名的文章")
    assert Article.objects.count() == 2


def test_bad_input_gets_a_message(editor):
    upload = SimpleUploadedFile("a.txt", "只有一句话。".encode())
    assertContains(editor.post(IMPORT_URL, {"step": "read", "file": upload}), "没有认出文章的结构")
    assert Article.objects.count() == 2
