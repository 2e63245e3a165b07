"""Every model registered in the admin goes through its whole life there, as a browser would
drive it: add, change (with a new row in each inline that can take one), history, revert,
delete and recover, as a superuser; then, as an editor (编辑), what the role allows and a
403 for the rest. The models come from the admin's registry, so a model registered later
is covered, or this test says what data it needs (see RECORDS)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.models import Group
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from reversion.admin import VersionAdmin
from reversion.models import Version

from core.roles import EDITOR
from industry.models import (
    ActionKind,
    Article,
    Indicator,
    Paragraph,
    Product,
    Section,
)
from policies.models import Heading, Issuer, Notice

pytestmark = pytest.mark.django_db


@dataclass
class Record:
    """How to make one record of a model in its admin: the add form's values (None: the
    admin adds none, so `make` creates it), the values a change sets, and one new row for
    each inline (by the inline model's label) that the change also sends."""

    fields: Callable[[], dict] | None
    change: dict = field(default_factory=dict)
    inline_rows: Callable[[], dict[str, dict]] = dict
    make: Callable[[], object] | None = None


def term(slug: str) -> Record:
    return Record(
        lambda: {"slug": slug, "name": f"测试{slug}", "name_en": f"Test {slug}", "position": 0},
        change={"name_en": f"Test {slug} (changed)"},
    )


def story_paragraph() -> Paragraph:
    return Paragraph.objects.filter(section__company__isnull=False).first()


def notice_fields() -> dict:
    return {
        "status": "draft",
        "doc_number": "测试〔2099〕1号",
        "title": "关于测试的通知",
        "slug": "test-2099-1",
        "issuing_body": "测试部",
        "issued_on": "2099-01-01",
        "issuers": [Issuer.objects.first().pk],
        "level": "national",
        "doc_type": "notice",
        "validity": "unknown",
        "addressees": "各测试单位",
        "preamble": "现就有关事项通知如下：",
        "signature": "测试部",
        "signature_date": "2099年1月1日",
        "published_in": "测试刊物",
    }


def figure_fields(sentence: str, number: int) -> dict:
    return {
        "number": number,
        "sentence": sentence,
        "product": Product.objects.first().pk,
        "indicator": Indicator.objects.first().pk,
        "year": 2019,
        "value_text": "100",
        "unit": "万吨",
    }


RECORDS: dict[str, Record] = {
    "auth.Group": Record(lambda: {"name": "测试组"}, change={"name": "测试组（改）"}),
    "auth.User": Record(
        lambda: {
            "username": "tester",
            "usable_password": "true",
            "password1": "a-long-passphrase-2",
            "password2": "a-long-passphrase-2",
        },
        change={"first_name": "测"},
    ),
    "axes.AccessAttempt": Record(
        None,
        make=lambda: AccessAttempt.objects.create(
            username="intruder",
            ip_address="10.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/admin/login/",
            get_data="",
            post_data="",
            failures_since_start=1,
        ),
    ),
    "axes.AccessLog": Record(
        None,
        make=lambda: AccessLog.objects.create(
            username="someone", ip_address="10.0.0.1", user_agent="test", path_info="/"
        ),
    ),
    "axes.AccessFailureLog": Record(
        None,
        make=lambda: AccessFailureLog.objects.create(
            username="intruder", ip_address="10.0.0.1", user_agent="test", path_info="/"
        ),
    ),
    "core.EquivalentTerms": Record(
        lambda: {"terms": "测试甲 = 测试乙", "note": "初稿"}, change={"note": "改过的依据"}
    ),
    "policies.Notice": Record(
        notice_fields,
        change={"title": "关于测试的通知（改）"},
        inline_rows=lambda: {"policies.Heading": {"ordinal": 1, "title": "测试标题"}},
    ),
    "policies.Heading": Record(
        lambda: {"notice": Notice.objects.first().pk, "ordinal": 99, "title": "测试标题"},
        change={"title": "测试标题（改）"},
        inline_rows=lambda: {
            "policies.Measure": {"number": 999, "title": "测试措施", "text": "测试正文。"}
        },
    ),
    "policies.Measure": Record(
        lambda: {
            "heading": Heading.objects.first().pk,
            "number": 998,
            "title": "测试措施",
            "text": "测试正文。",
        },
        change={"text": "改过的测试正文。"},
    ),
    "policies.Issuer": term("test-issuer"),
    "policies.Topic": term("test-topic"),
    "policies.TargetGroup": term("test-group"),
    "policies.Region": term("test-region"),
    "industry.Article": Record(
        lambda: {
            "status": "draft",
            "slug": "test-article",
            "column": "行业资讯",
            "position": 99,
            "title": "测试文章",
            "author": "测试协会",
            "published_in": "测试刊物",
        },
        change={"title": "测试文章（改）"},
        inline_rows=lambda: {
            "industry.Section": {
                "position": 1,
                "anchor": "t1",
                "kind": "heading",
                "number": "一、",
                "heading": "测试部分",
            }
        },
    ),
    "industry.Section": Record(
        lambda: {
            "article": Article.objects.first().pk,
            "position": 999,
            "anchor": "test-section",
            "kind": "heading",
            "number": "九、",
            "heading": "测试部分",
        },
        change={"heading": "测试部分（改）"},
        inline_rows=lambda: {"industry.Paragraph": {"position": 1, "text": "产量为100万吨。"}},
    ),
    "industry.Paragraph": Record(
        lambda: {
            "section": Section.objects.filter(kind="heading").first().pk,
            "position": 999,
            "text": "2019年产量为100万吨。",
        },
        change={"text": "2019年产量为100万吨，有所增长。"},
        inline_rows=lambda: {"industry.Figure": figure_fields("2019年产量为100万吨", 99999)},
    ),
    "industry.Product": term("test-product"),
    "industry.Indicator": term("test-indicator"),
    "industry.ActionKind": term("test-kind"),
    "industry.Figure": Record(
        lambda: {
            **figure_fields(Paragraph.objects.first().text[:12], 99998),
            "paragraph": Paragraph.objects.first().pk,
        },
        change={"note": "编者注"},
    ),
    "industry.Company": Record(
        lambda: {
            "slug": "test-company",
            "name": "测试化工",
            "name_en": "Test Chemicals",
            "province": "宁夏",
        },
        change={"city": "银川"},
    ),
    "industry.Action": Record(
        lambda: {
            "company": story_paragraph().section.company.pk,
            "position": 99,
            "kind": ActionKind.objects.first().pk,
            "paragraph": story_paragraph().pk,
            "sentence": story_paragraph().text[:12],
        },
        change={"item": "测试物资"},
    ),
    "industry.Place": Record(
        lambda: {"name": "测试开发区", "province": "宁夏", "position": 99},
        change={"province": "陕西"},
    ),
}

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def test_every_registered_model_has_its_test_data():
    assert sorted(RECORDS) == [model._meta.label for model in REGISTERED]


class FormFields(HTMLParser):
    """What a browser submits from the form with this id: enabled inputs (checkboxes and
    radio buttons when checked), each select's selected options (else its first), textareas."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.data: dict[str, list[str]] = {}
        self.select: tuple[str, bool] | None = None
        self.first_option: str | None = None
        self.selected = False
        self.textarea: str | None = None
        self.text: list[str] = []

    def add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.add(name, attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select" and name:
            self.select, self.first_option, self.selected = (name, "multiple" in attrs), None, False
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in attrs:
                self.add(self.select[0], value)
                self.selected = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            name, multiple = self.select
            if not multiple and not self.selected and self.first_option is not None:
                self.add(name, self.first_option)
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)
            self.add(self.textarea, text.removeprefix("\r\n").removeprefix("\n"))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def browser_form(client: Client, url: str, model) -> tuple[dict, object]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = FormFields(f"{model._meta.model_name}_form")
    parser.feed(response.content.decode())
    return dict(parser.data), response


def submit(client: Client, url: str, data: dict, expected: int = 302):
    response = client.post(url, data)
    if response.status_code != expected and response.context:
        errors = [
            response.context.get("errors"),
            *(f.formset.errors for f in response.context.get("inline_admin_formsets", [])),
        ]
        pytest.fail(f"POST {url}: {response.status_code}, errors {errors}")
    assert response.status_code == expected, url
    return response


def add(client: Client, model, record: Record):
    data, _ = browser_form(client, admin_url(model, "add"), model)
    submit(client, admin_url(model, "add"), {**data, **record.fields()})
    entry = LogEntry.objects.filter(action_flag=ADDITION).latest("pk")
    return model._base_manager.get(pk=entry.object_id)


def change(client: Client, model, obj, record: Record) -> None:
    url = admin_url(model, "change", obj.pk)
    data, response = browser_form(client, url, model)
    data.update(record.change)
    rows = record.inline_rows()
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        row = rows.pop(formset.model._meta.label, None)
        if row is None:
            continue
        count = int(data[f"{formset.prefix}-TOTAL_FORMS"][0])
        data[f"{formset.prefix}-TOTAL_FORMS"] = count + 1
        data.update({f"{formset.prefix}-{count}-{name}": value for name, value in row.items()})
    assert not rows, f"no inline for {list(rows)}"
    submit(client, url, data)
    obj.refresh_from_db()
    for name, value in record.change.items():
        assert str(getattr(obj, name)) == str(value), name


def delete(client: Client, model, obj) -> None:
    """Deletes through the admin. A record that others still refer to (through PROTECT,
    here the inline rows that a revert keeps) is refused with a page naming them; then
    those go first, as an administrator would do."""
    url = admin_url(model, "delete", obj.pk)
    response = client.post(url, {"post": "yes"})
    if response.status_code == 200:
        assert response.context["protected"], "neither deleted nor refused"
        while True:
            try:
                obj.delete()
            except ProtectedError as refused:
                for other in refused.protected_objects:
                    other.delete()
            else:
                break
        return
    assert response.status_code == 302, url
    assert not model._base_manager.filter(pk=obj.pk).exists()


def assert_unchanged(obj, record: Record, before: dict) -> None:
    obj.refresh_from_db()
    for name in record.change:
        assert getattr(obj, name) == before[name], name


def versioned(model) -> bool:
    return isinstance(admin.site._registry[model], VersionAdmin)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_a_superuser_takes_a_record_through_its_life(admin_client, seed, model):
    record = RECORDS[model._meta.label]
    obj = add(admin_client, model, record) if record.fields else record.make()
    before = {name: getattr(obj, name) for name in record.change}

    change(admin_client, model, obj, record)

    history = admin_client.get(admin_url(model, "history", obj.pk))
    assert history.status_code == 200
    if versioned(model):
        assert len(history.context["version_rows"]) == 2  # added, changed

        first = Version.objects.get_for_object(obj).order_by("pk").first()
        revert_url = admin_url(model, "revision", obj.pk, first.pk)
        data, _ = browser_form(admin_client, revert_url, model)
        submit(admin_client, revert_url, data)
        assert_unchanged(obj, record, before)

    pk = obj.pk
    delete(admin_client, model, obj)

    if versioned(model):
        assert admin_client.get(admin_url(model, "recoverlist")).status_code == 200
        deleted = Version.objects.get_deleted(model).get(object_id=str(pk))
        recover_url = admin_url(model, "recover", deleted.pk)
        data, _ = browser_form(admin_client, recover_url, model)
        submit(admin_client, recover_url, data)
        assert model._base_manager.filter(pk=pk).exists()


@pytest.fixture
def editor(seed):
    user = get_user_model().objects.create_user("editor", password="a-long-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    client = Client()
    client.force_login(user)
    return user, client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_an_editor_does_what_the_role_allows_and_no_more(admin_client, editor, model):
    user, client = editor
    opts = model._meta
    may = {
        action: user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
        for action in ("add", "change", "delete", "view")
    }
    record = RECORDS[opts.label]

    if may["add"]:
        obj = add(client, model, record)
    else:
        assert client.get(admin_url(model, "add")).status_code == 403
        obj = add(admin_client, model, record) if record.fields else record.make()
    before = {name: getattr(obj, name) for name in record.change}

    if may["change"]:
        change(client, model, obj, record)
    else:
        data, _ = browser_form(admin_client, admin_url(model, "change", obj.pk), model)
        response = client.post(admin_url(model, "change", obj.pk), {**data, **record.change})
        assert response.status_code == 403
        assert_unchanged(obj, record, before)

    history = client.get(admin_url(model, "history", obj.pk))
    assert history.status_code == (200 if may["view"] or may["change"] else 403)

    if versioned(model):
        first = Version.objects.get_for_object(obj).order_by("pk").first()
        revert_url = admin_url(model, "revision", obj.pk, first.pk)
        if may["change"]:
            data, _ = browser_form(client, revert_url, model)
            submit(client, revert_url, data)
            assert_unchanged(obj, record, before)
        else:
            assert client.get(revert_url).status_code == 403

    response = client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    if may["delete"]:
        assert response.status_code == 302
        assert not model._base_manager.filter(pk=obj.pk).exists()
    else:
        assert response.status_code == 403
        assert model._base_manager.filter(pk=obj.pk).exists()
