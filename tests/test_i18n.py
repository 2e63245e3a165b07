"""Every page in both languages: the English UI leaves no Chinese UI string behind."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.text import HAN_CHARACTER

pytestmark = pytest.mark.django_db

HAN = HAN_CHARACTER
PAGES = [
    "/",
    "/policies/",
    "/policies/?level=national&issuer=miit&doc_type=notice&year=2020&validity=unknown",
    "/policies/?sort=-published&level=county",
    "/policies/notices/gxmd-2020-14/",
    "/policies/measures/",
    "/policies/measures/?q=贷款&topic=credit",
    "/policies/measures/?topic=nope",
    "/policies/notices/gxmd-2020-14/measures/8/",
    "/policies/notices/gxmd-2020-14/measures/19/",
    "/policies/notices/gxmd-2020-14/measures/4/",
    "/search/",
    "/search/?q=烧碱",
    "/search/?q=贷款&kind=measure",
    "/accounts/login/",
    "/no-such-page/",
    "/industry/",
    "/industry/articles/chlor-alkali-2019/",
    "/industry/articles/carbide-industry-covid-19/",
    "/industry/figures/",
    "/industry/figures/?product=pvc&sort=-value",
    "/industry/figures/8/",
    "/industry/products/pvc/",
    "/industry/products/caustic-soda/",
    "/industry/companies/",
    "/industry/companies/beiyuan/",
    "/industry/data-notes/",
]


class ChineseOutsideSource(HTMLParser):
    """Collects text and labelling attributes that contain Chinese but are not inside an
    element marked lang="zh-Hans" (verbatim source text, which stays Chinese)."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
    LABELS = ("placeholder", "aria-label", "title", "alt", "value")

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, chinese-marked, in head)
        self.found: list[str] = []

    @property
    def marked(self) -> bool:
        return any(chinese for _tag, chinese, _head in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        chinese = (attrs.get("lang") or "").lower().startswith("zh") or self.marked
        head = tag == "head" or bool(self.stack and self.stack[-1][2])
        if not chinese and not head:
            for name in self.LABELS:
                if name == "value" and attrs.get("type") not in ("submit", "button"):
                    continue
                if HAN.search(attrs.get(name) or ""):
                    self.found.append(f"<{tag} {name}={attrs[name]!r}>")
        if tag not in self.VOID:
            self.stack.append((tag, chinese, head))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        head = bool(self.stack and self.stack[-1][2])
        if not self.marked and not head and HAN.search(data):
            self.found.append(data.strip())


def chinese_outside_source(html: str) -> list[str]:
    parser = ChineseOutsideSource()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("path", PAGES)
def test_english_pages_have_no_untranslated_strings(client, seed, path):
    response = client.get("/en" + path)
    assert response.status_code in (200, 400, 404)
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert chinese_outside_source(response.content.decode()) == []


@pytest.mark.parametrize("path", PAGES)
def test_chinese_pages_are_chinese(client, seed, path):
    response = client.get(path)
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in response.content.decode()


def test_the_checker_finds_an_untranslated_string():
    assert chinese_outside_source('<p>Hello <span lang="zh-Hans">中文</span></p>') == []
    assert chinese_outside_source("<p>未翻译</p>") == ["未翻译"]
    assert chinese_outside_source('<input placeholder="搜索">') == ["<input placeholder='搜索'>"]


def test_the_language_switch_keeps_the_page_and_its_filters(client, seed):
    body = client.get("/policies/measures/", {"q": "贷款", "topic": "credit"}).content.decode()
    assert 'href="/en/policies/measures/?q=%E8%B4%B7%E6%AC%BE&amp;topic=credit"' in body
    body = client.get("/en/policies/measures/", {"q": "贷款", "topic": "credit"}).content.decode()
    assert 'href="/policies/measures/?q=%E8%B4%B7%E6%AC%BE&amp;topic=credit"' in body


def test_english_names_are_marked_editorial_with_the_chinese_one_click_away(client, seed):
    body = client.get("/en/policies/notices/gxmd-2020-14/measures/8/").content.decode()
    assert "Increase credit support" in body
    assert "editorial translation" in body.lower()
    assert 'href="/policies/notices/gxmd-2020-14/measures/8/"' in body
    assert "各地要主动加强与金融机构的对接" in body  # the verbatim text stays


def test_the_compiled_catalogue_matches_the_source_catalogue():
    """The repository carries django.mo so that no gettext tools are needed; it must hold
    every translation in django.po."""
    po = (settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', po)
    assert len(entries) > 300

    def unquote(block: str) -> str:
        return "".join(
            bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
            for line in block.strip().splitlines()
        )

    with translation.override("en"):
        for msgid, msgstr in entries:
            source, english = unquote(msgid), unquote(msgstr)
            if source and "%" not in source:
                assert translation.gettext(source) == english, source
                assert not HAN.search(english), source


def test_admin_can_edit_the_translations(admin_client, seed):
    from policies.models import Measure

    measure = Measure.objects.get(number=8)
    response = admin_client.get(reverse("admin:policies_measure_change", args=[measure.pk]))
    assert 'name="title_en"' in response.content.decode()
