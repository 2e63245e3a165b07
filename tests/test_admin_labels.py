"""The admin speaks one language and one vocabulary: the login lockout (django-axes) is
labelled in Chinese, and 标题 names one thing (a measure's or a document's title), not also
the parts of a notice (部分)."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from policies.models import Measure


@pytest.fixture
def attempt(db):
    return AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/admin/login/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )


def english_words(html: str) -> set[str]:
    """Text between tags in the page's content that has an English word in it."""
    content = html.split('id="content"', 1)[1]
    return {t.strip() for t in re.findall(r">([^<>]*[A-Za-z]{3,}[^<>]*)<", content) if t.strip()}


def test_the_login_lockout_is_labelled_in_chinese(admin_client, attempt):
    index = admin_client.get(reverse("admin:index")).content.decode()
    for label in ["登录保护", "登录尝试", "登录失败记录", "登录日志"]:
        assert label in index
    for english in ["Axes", "Access attempts", "Access failures", "Access logs"]:
        assert f">{english}<" not in index

    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content
    words = {
        w for w in english_words(changelist.decode()) if not re.fullmatch(r"&lsaquo; \d{4}", w)
    }
    # What remains English is the records' data.
    assert not words - {"test", "/admin/login/", "someone"}, words
    assertContains(admin_client.get(reverse("admin:axes_accessattempt_changelist")), "状态")

    change = admin_client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    for label in ["表单数据", "请求信息", "浏览器标识", "失败次数"]:
        assertContains(change, label)


def test_biaoti_names_one_thing_in_the_measure_admin(admin_client, seed):
    changelist = admin_client.get(reverse("admin:policies_measure_changelist"))
    table = changelist.content.decode().split('id="result_list"', 1)[1].split("</thead>")[0]
    headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>([^<]+)<', table, re.S)
    assert headers == ["条号", "标题", "编者拟定标题", "出处（通知、部分）"], headers
    assertContains(changelist, "以 所属部分")
    assertNotContains(changelist, "所属标题")

    measure = Measure.objects.get(notice__slug="gxmd-2020-14", number=8)
    change = admin_client.get(reverse("admin:policies_measure_change", args=[measure.pk]))
    labels = re.findall(r"<label[^>]*>([^<:]+):?</label>", change.content.decode())
    assert labels.count("标题") == 1 and "所属部分" in labels, labels
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert re.search(r">部分</a>", index) and not re.search(r">标题</a>", index)


def test_biaoti_names_one_thing_on_the_measure_list(client, seed):
    body = client.get(reverse("policies:measure-list")).content.decode()
    legends = re.findall(r"<legend>([^<]+)</legend>", body)
    assert "部分" in legends and "标题" not in legends, legends


def test_the_measure_changelist_gives_the_title_room():
    """The admin stylesheet keeps a title column from being squeezed (the e2e test
    tests/e2e/test_admin_layout.py measures it at 1280 px)."""
    text = (settings.BASE_DIR / "static" / "css" / "admin.css").read_text(encoding="utf-8")
    assert re.search(r"#result_list td\.field-title[^{]*\{[^}]*min-width: 14em", text)
