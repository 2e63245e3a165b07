"""Importing a notice in the admin: paste or upload, preview, correct, confirm a draft;
the public sees it only once an editor publishes it."""

import io
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from reversion.models import Version

from policies.models import Issuer, Measure, Notice
from tests.sourcetext import NOTICE_TEXT, source_part

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/policies/notice/import/"
NEW_NUMBER = "工信明电〔2020〕15 号"


class FormValues(HTMLParser):
    """What a browser would send for the form that holds a given submit value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and attrs.get("name") and self.forms:
            kind = attrs.get("type", "text")
            if kind == "checkbox":
                if "checked" in attrs:
                    self.forms[-1][attrs["name"]] = "on"
            elif kind != "submit":
                self.forms[-1][attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea" and self.forms:
            self.textarea = attrs["name"]
            self.forms[-1][self.textarea] = ""
        elif tag == "select" and self.forms:
            self.select = attrs["name"]
        elif tag == "option" and "selected" in attrs and self.forms:
            self.forms[-1][self.select] = attrs.get("value", "")

    def handle_data(self, data):
        if self.textarea:
            self.forms[-1][self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None


def confirm_form(response) -> dict:
    parser = FormValues()
    parser.feed(response.content.decode())
    [form] = [f for f in parser.forms if f.get("step") == "confirm"]
    # The browser sends a textarea's text unescaped; the parser has done that.
    return form


@pytest.fixture
def editor(client, seed):
    user = get_user_model().objects.create_user("editor", password="a-long-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name="编辑"))
    client.force_login(user)
    return client


def new_notice_text() -> str:
    return source_part(*NOTICE_TEXT).replace("工信明电〔2020〕14 号", NEW_NUMBER)


def test_an_editor_imports_a_notice_as_a_draft(editor, client):
    response = editor.get(reverse("admin:policies_notice_changelist"))
    assertContains(response, IMPORT_URL)
    preview = editor.post(IMPORT_URL, {"step": "read", "text": new_notice_text()})
    assert preview.status_code == 200
    assertContains(preview, "第19条没有小标题")
    assertContains(preview, '<tr id="line-1" class="unparsed">')  # 政策信息
    assertNotContains(preview, "本库已有发文字号")

    data = confirm_form(preview)
    assert data["notice-doc_number"] == "工信明电〔2020〕15号"
    assert data["measures-18-title"] == "" and data["measures-18-title_is_editorial"] == "on"
    # Confirming without the missing titles is refused, with the preview kept.
    refused = editor.post(IMPORT_URL, data)
    assertContains(refused, "请填写小标题")
    assert not Notice.objects.filter(doc_number="工信明电〔2020〕15号").exists()

    data["measures-0-title"] = "加强分类指导（改）"
    data["measures-18-title"] = "发挥协调机制作用"
    data["measures-19-title"] = "推动惠企政策落地"
    done = editor.post(IMPORT_URL, data)
    notice = Notice.objects.get(doc_number="工信明电〔2020〕15号")
    assert done.status_code == 302 and done["Location"].endswith(f"/{notice.pk}/change/")
    assert notice.status == Notice.Status.DRAFT
    assert list(notice.issuers.values_list("name", flat=True)) == ["工业和信息化部"]
    assert (notice.level, notice.doc_type, notice.validity) == ("national", "notice", "unknown")
    assert notice.headings.count() == 6 and notice.measures.count() == 20
    first, nineteenth = notice.measures.get(number=1), notice.measures.get(number=19)
    assert first.title == "加强分类指导（改）" and not first.title_is_editorial
    assert nineteenth.title_is_editorial
    seed_text = Measure.objects.get(notice__slug="gxmd-2020-14", number=8).text
    assert notice.measures.get(number=8).text == seed_text
    [version] = Version.objects.get_for_object(notice)
    assert version.revision.comment == "从文本导入：粘贴的文本（草稿）"
    assert version.revision.user.username == "editor"

    # Not public: no page, list row, facet, count, export or search hit.
    client.logout()
    assert client.get(notice.get_absolute_url()).status_code == 404
    assert client.get(f"/policies/notices/{notice.slug}/measures/1/").status_code == 404
    assertNotContains(client.get("/policies/"), "工信明电〔2020〕15号")
    assertNotContains(client.get("/policies/measures/"), "工信明电〔2020〕15号")
    assertNotContains(client.get("/policies/measures.csv"), "工信明电〔2020〕15号")
    assertContains(client.get("/"), "<strong>1</strong> 份政策文件")
    assertContains(client.get("/search/?q=加强分类指导&kind=measure"), "工信明电〔2020〕14号 第1条")
    assertNotContains(client.get("/search/?q=加强分类指导&kind=measure"), "15号")


def test_staff_preview_a_draft_and_an_editor_publishes_it(editor, client):
    preview = editor.post(IMPORT_URL, {"step": "read", "text": new_notice_text()})
    data = confirm_form(preview) | {"measures-18-title": "甲", "measures-19-title": "乙"}
    editor.post(IMPORT_URL, data)
    notice = Notice.objects.get(doc_number="工信明电〔2020〕15号")
    page = editor.get(notice.get_absolute_url())
    assertContains(page, "草稿预览")
    assert "no-store" in page["Cache-Control"]

    response = editor.post(
        reverse("admin:policies_notice_changelist"),
        {"action": "publish", "_selected_action": [notice.pk]},
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PUBLISHED
    client.logout()
    assertContains(client.get(notice.get_absolute_url()), "工信明电〔2020〕15号")
    assertNotContains(client.get(notice.get_absolute_url()), "草稿预览")
    listed = client.get("/policies/?year=2020&level=national")
    assertContains(listed, "工信明电〔2020〕15号")
    assertContains(listed, "找到 2 份文件")
    assertContains(listed, ">国家（2）</label>")
    assertContains(listed, ">工业和信息化部（2）</label>")
    hits = client.get("/search/?q=加强分类指导&kind=measure")
    assertContains(hits, "工信明电〔2020〕15号 第1条")


def test_a_notice_already_stored_is_not_imported_twice(editor):
    text = source_part(*NOTICE_TEXT).replace("进一步加强统筹协调", "进一步加强统筹和协调")
    preview = editor.post(IMPORT_URL, {"step": "read", "text": text})
    assertContains(preview, "本库已有发文字号为“工信明电〔2020〕14号”的通知，不重复导入")
    assertContains(preview, '<th scope="row">标题 6</th>')
    assertContains(preview, "<ins>和</ins>")
    assertNotContains(preview, "确认导入为草稿")
    data = confirm_form(preview) | {"measures-18-title": "甲", "measures-19-title": "乙"}
    refused = editor.post(IMPORT_URL, data)
    assertContains(refused, "本库已有这个发文字号的通知")
    assert Notice.objects.count() == 1


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("empty.txt", b""), "所提交的是空文件。"),
        (SimpleUploadedFile("binary.txt", bytes(range(256))), "这不是文本文件"),
        (SimpleUploadedFile("huge.txt", b"a" * (20 * 1024 * 1024)), "文件太大（20.0 MB）"),
        (
            SimpleUploadedFile("prose.txt", "今天天气很好。\n我们去散步。".encode()),
            "没有认出通知的结构",
        ),
    ],
)
def test_bad_input_gets_a_message_and_creates_nothing(editor, upload, message):
    response = editor.post(IMPORT_URL, {"step": "read", "file": upload})
    assert response.status_code == 200
    assertContains(response, message)
    assert Notice.objects.count() == 1 and Issuer.objects.count() == 1


def test_a_docx_upload_previews_like_the_text(editor):
    import docx

    document = docx.Document()
    for line in new_notice_text().splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    upload = SimpleUploadedFile("notice.docx", buffer.getvalue())
    preview = editor.post(IMPORT_URL, {"step": "read", "file": upload})
    data = confirm_form(preview)
    assert data["notice-source_name"] == "notice.docx"
    assert data["measures-7-title"] == "加大信贷支持力度"
    editor.post(IMPORT_URL, data | {"measures-18-title": "甲", "measures-19-title": "乙"})
    notice = Notice.objects.get(doc_number="工信明电〔2020〕15号")
    assert (
        Version.objects.get_for_object(notice)[0].revision.comment
        == "从文本导入：notice.docx（草稿）"
    )


def test_the_import_needs_the_right_to_add_notices(client, seed):
    user = get_user_model().objects.create_user("reader", password="a-long-pass-1", is_staff=True)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
