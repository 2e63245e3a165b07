"""Both languages: the check that the English UI leaves no Chinese UI string behind (run on
every page type in test_pages), the language switch, editorial names and the catalogue."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from core.text import HAN_CHARACTER

pytestmark = pytest.mark.django_db

HAN = HAN_CHARACTER


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
    entries = re.findall(r'\n(?:msgctxt (".*")\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', po)
    assert len(entries) > 300

    def unquote(block: str) -> str:
        return "".join(
            bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
            for line in block.strip().splitlines()
        )

    with translation.override("en"):
        for context, msgid, msgstr in entries:
            source, english = unquote(msgid), unquote(msgstr)
            if source and "%" not in source:
                found = (
                    translation.pgettext(unquote(context), source)
                    if context
                    else translation.gettext(source)
                )
                assert found == english, source
                assert not HAN.search(english), source


def test_admin_can_edit_the_translations(admin_client, seed):
    from policies.models import Measure

    measure = Measure.objects.get(number=8)
    response = admin_client.get(reverse("admin:policies_measure_change", args=[measure.pk]))
    assert 'name="title_en"' in response.content.decode()


LANGUAGE_LINK = re.compile(r'<a href="([^"]*)" hreflang=')
HOSTILE_PATHS = [
    "//evil.example/",
    "/%2F%2Fevil.example/",
    "/\\evil.example/",
    "/\\\\evil.example/",
    "/%5C%5Cevil.example/",
    "/\\/evil.example/",
    "///evil.example",
    "/en//evil.example/",
    "/en/%2F%2Fevil.example/",
    "//evil.example/policies/measures/",
]
SEGMENTS = ["/", "\\", "%2F", "%2f", "%5C", "%09", "evil.example", "en", "policies", ".", "@"]


def language_links(client, raw_path: str) -> list[str]:
    """The language switch's links on the page a server hands Django for `raw_path`.
    A WSGI server decodes %XX before Django sees the path; the test client would read
    `//host` as a host, so the path goes in as PATH_INFO, as a server would pass it."""
    from urllib.parse import unquote

    response = client.get("/", PATH_INFO=unquote(raw_path))
    assert response.status_code in (200, 301, 302, 404), raw_path
    return LANGUAGE_LINK.findall(response.content.decode())


def assert_on_this_site(hrefs: list[str]) -> None:
    for href in hrefs:
        href = href.replace("&amp;", "&")
        assert href.startswith("/") and not href.startswith(("//", "/\\")), href


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_the_language_link_of_a_hostile_path_stays_on_this_site(client, seed, path):
    hrefs = language_links(client, path)
    assert hrefs, path  # the 404 page has the header and its language link
    assert_on_this_site(hrefs)


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_the_language_link_stays_on_this_site_when_login_is_required(client, seed, settings, path):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:-1],
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        settings.MIDDLEWARE[-1],
    ]
    assert_on_this_site(language_links(client, path))


@settings_hypothesis(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segments=st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6))
def test_every_language_link_is_a_path_on_this_site(client, seed, segments):
    """Property: whatever path was asked for, the language links point to this site."""
    assert_on_this_site(language_links(client, "/" + "".join(segments)))


def test_an_unknown_page_links_to_the_home_page_in_the_other_language(client, seed):
    assert language_links(client, "/no-such-page/") == ["/en/"]
    assert language_links(client, "/en/no-such-page/") == ["/"]
