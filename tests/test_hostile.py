"""Hostile and broken input: random and malicious query strings on every page and export,
and markup stored in the knowledge base, never give a server error or reach a page as markup.

HYPOTHESIS_PROFILE=bench runs several thousand examples instead of a few hundred.
"""

import csv
import io
import json
import string
from urllib.parse import quote_from_bytes, quote_plus

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import currently_in_test_context, event, example, given
from hypothesis import strategies as st

from industry.models import Action, Figure
from policies.models import Measure

NOTICE = "/policies/notices/gxmd-2020-14/"
PAGES_ZH = [
    "/",
    "/search/",
    "/policies/",
    NOTICE,
    "/policies/measures/",
    "/policies/match/",
    f"{NOTICE}measures/8/",
    "/industry/",
    "/industry/articles/chlor-alkali-2019/",
    "/industry/articles/carbide-industry-covid-19/",
    "/industry/figures/",
    "/industry/figures/1/",
    "/industry/key-figures/",
    "/industry/products/pvc/",
    "/industry/products/caustic-soda/",
    "/industry/companies/",
    "/industry/companies/beiyuan/",
    "/industry/data-notes/",
    "/accounts/login/",
]
PAGES = [*PAGES_ZH, *(f"/en{url}" for url in PAGES_ZH), "/healthz", "/admin/login/"]
EXPORTS_ZH = [
    "/search.csv",
    "/search.json",
    "/policies/measures.csv",
    "/policies/measures.json",
    "/policies/match.csv",
    "/policies/match.xlsx",
    "/industry/figures.csv",
    "/industry/figures.json",
    "/industry/actions.csv",
    "/industry/actions.json",
    "/industry/figures.xlsx",
]
EXPORTS = [*EXPORTS_ZH, *(f"/en{url}" for url in EXPORTS_ZH)]

ACCEPTED = {200, 301, 302, 400, 404}

# Real values for the known parameters, so that hostile values also meet filters that
# match something and reach the deeper code (facets, ranking, pagination of results).
VALID = {
    "q": ["贷款", "中小企业", "获得感", "贷", "PVC", "烧碱 2019", "企业"],
    "page": ["1", "2", "3"],
    "sort": ["value", "-value", "year", "-product", "indicator", "number"],
    "topic": ["credit", "training", "fiscal-tax"],
    "target_group": ["sme", "small-micro"],
    "region": ["hubei", "beijing"],
    "heading": ["1", "2", "6", "7", "12"],
    "notice": ["gxmd-2020-14"],
    "size": ["small", "micro", "individual"],
    "province": ["hubei", "zhejiang"],
    "situation": ["hard-hit", "specialised-sophisticated"],
    "need": ["credit", "labour"],
    "product": ["pvc", "caustic-soda", "calcium-carbide"],
    "indicator": ["output", "capacity", "exports"],
    "year": ["2019", "2013"],
    "section": ["1", "3", "5", "9", "20"],
    "kind": ["measure", "paragraph", "figure", "company", "action"],
    "next": ["/", "/policies/"],
}
KNOWN = list(VALID)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=-5, max_value=5).map(str),
    st.sampled_from(
        ["0", "-0", "-1", "+1", " 2 ", "1e9", "1.5", "0x10", "NaN", "inf", "２", "١٢", "𝟏", "Ⅻ"]
    ),
    st.sampled_from(["9" * 5000, "-" + "9" * 40, "1" + "0" * 30]),
)
sql = st.sampled_from(
    [
        "' OR 1=1 --",
        "'; DROP TABLE policies_measure; --",
        '" OR ""="',
        "1; SELECT pg_sleep(5)",
        "1' UNION SELECT NULL, NULL --",
        "%' --",
        "\\",
        "';",
        "/*",
        "*/",
    ]
)
fts5 = st.sampled_from(
    [
        '"',
        '""',
        '"贷款',
        "NEAR(贷款 担保)",
        "NEAR(a b, 2)",
        "贷款 AND 担保",
        "贷款 OR",
        "NOT 贷款",
        "AND",
        "title:贷款",
        "search_title : 贷款",
        "search_body:x",
        "{search_title search_body}: 贷款",
        "- search_title : 贷款",
        "贷款*",
        "*",
        "^贷款",
        "^",
        "(",
        ")",
        "()",
        "+",
    ]
)
tsquery = st.sampled_from(
    [
        "贷款 & 担保",
        "贷款 | 担保",
        "!贷款",
        "贷款 <-> 担保",
        "贷款:*",
        "'贷款':A",
        "<2>",
        "&|!",
        ":*",
    ]
)
markup = st.one_of(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "<svg/onload=alert(1)>",
            "</title><script>alert(1)</script>",
            "</textarea><b>x</b>",
            "<b>markup</b>",
            "' onmouseover='alert(1)",
            '" autofocus onfocus="alert(1)',
            "<!--",
            "<![CDATA[",
            "javascript:alert(1)",
            "{{ 7|add:7 }}",
            "{% debug %}",
            "&lt;script&gt;",
            "&amp;",
        ]
    ),
    st.builds(
        lambda tag, attribute, value: f'<{tag} {attribute}="{value}">',
        st.text(alphabet=string.ascii_lowercase + "-:", min_size=1, max_size=8),
        st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8),
        st.text(max_size=8),
    ),
)
scripts = st.sampled_from(
    [
        "中小企业",
        "贷款",
        "烧碱",
        "PVC",
        "Ünïcödé",
        "😀",
        "👨‍👩‍👧",
        "עברית",
        "العربية",
        "\u202e",  # right-to-left override
        "\u200b",
        "\ufeff",
        "ｐｖｃ",
        "İ",
        "ß",
        "ﬁ",
        "𠀀",
        "〇",
        "ㄅ",
    ]
)
controls = st.sampled_from(
    ["\x00", "\x01", "\x08", "\x1b", "\x7f", "\r\n", "\t", "\x85", "\u2028", "\ud800", "\udfff"]
)
long_text = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["长", "贷款", "a", "<b>", "%", "\x00", "😀", "a b "]),
    st.sampled_from([250, 501, 1200, 4000]),
)
binaryish = st.binary(max_size=40).map(lambda raw: raw.decode("latin-1"))

fragment = st.one_of(
    st.text(max_size=30), numbers, sql, fts5, tsquery, markup, scripts, controls, binaryish
)
hostile_value = st.one_of(
    st.lists(fragment, min_size=1, max_size=4).map("".join), long_text, numbers
)
unknown_name = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "q[]", "page ", "Q", "__proto__", "csrfmiddlewaretoken", "language"]),
)


# The parameters each page reads; a page gets mostly its own, and some of the others.
MEASURE_FILTERS = ["q", "notice", "heading", "topic", "target_group", "region", "page"]
SEARCH = ["q", "kind", "page"]
MATCH = ["size", "province", "city", "situation", "need"]
FIGURE_FILTERS = ["product", "indicator", "year", "section", "sort", "page"]
PARAMETERS = {
    "/search/": SEARCH,
    "/search.csv": SEARCH,
    "/search.json": SEARCH,
    "/policies/": ["page"],
    "/policies/measures/": MEASURE_FILTERS,
    "/policies/measures.csv": MEASURE_FILTERS,
    "/policies/measures.json": MEASURE_FILTERS,
    "/policies/match/": MATCH,
    "/policies/match.csv": MATCH,
    "/policies/match.xlsx": MATCH,
    "/industry/figures/": FIGURE_FILTERS,
    "/industry/figures.csv": FIGURE_FILTERS,
    "/industry/figures.json": FIGURE_FILTERS,
    "/industry/companies/": ["page"],
    "/accounts/login/": ["next"],
    "/admin/login/": ["next"],
}


@st.composite
def requests(draw, urls: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """A URL (pages that read parameters twice as often) and up to six parameters: names the page reads, other known names and unknown
    ones, each with a real or a hostile value."""
    with_parameters = [url for url in urls if url.removeprefix("/en") in PARAMETERS]
    url = draw(st.one_of(st.sampled_from(urls), st.sampled_from(with_parameters)))
    own = PARAMETERS.get(url.removeprefix("/en"), KNOWN)
    pairs = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        name = draw(
            st.one_of(
                st.sampled_from(own), st.sampled_from(own), st.sampled_from(KNOWN), unknown_name
            )
        )
        if name in VALID and draw(st.booleans()):
            value = draw(st.sampled_from(VALID[name]))
        else:
            value = draw(hostile_value)
        pairs.append((name, value))
    return url, pairs


# Query strings no browser would build: invalid UTF-8, stray percent signs and separators.
raw_query = st.lists(
    st.one_of(
        st.binary(max_size=20).map(quote_from_bytes),
        st.sampled_from(
            ["%", "%%", "%zz", "%0", "&", "&&", "=", "==", ";", "+", "%00", "%ff", "%ED%A0%80"]
        ),
        st.sampled_from(["%C0%AF", "%E8%B4%B7%E6%AC%BE", "q=", "page=", "sort=", "kind="]),
        st.sampled_from(KNOWN),
    ),
    max_size=8,
).map("".join)


def encode(pairs: list[tuple[str, str]]) -> str:
    # surrogatepass: a lone surrogate arrives as the invalid UTF-8 a broken client sends.
    return "&".join(
        f"{quote_plus(k.encode('utf-8', 'surrogatepass'))}={quote_plus(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in pairs
    )


def fetch(client: Client, url: str, query_string: str) -> tuple[int, str, bytes]:
    """Status, content type and the whole body, streamed responses read to the end."""
    response = client.get(f"{url}?{query_string}" if query_string else url)
    exc = getattr(response, "exc_info", None)
    assert response.status_code in ACCEPTED, f"{response.status_code} for {url}?{query_string}" + (
        f"\n{exc[0].__name__}: {exc[1]}" if exc else ""
    )
    if currently_in_test_context():
        event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response.get("Content-Type", ""), body


FULLWIDTH = str.maketrans({"<": "＜", ">": "＞", '"': "＂"})


def echoed_unescaped(client: Client, url: str, pairs: list, html: str) -> list[str]:
    """The user-supplied strings with <, > or " that the page shows raw.

    A short string such as `">` is part of any page's own markup; so a string found raw is
    counted only if it is still there when the request is repeated with those three
    characters swapped for full-width look-alikes (which search and filters treat alike)."""
    found = {
        text
        for pair in pairs
        for candidate in pair
        for text in (candidate, candidate.strip())
        if text and any(c in text for c in '<>"') and text in html
    }
    if not found:
        return []
    control = [(k.translate(FULLWIDTH), v.translate(FULLWIDTH)) for k, v in pairs]
    _, _, control_body = fetch(client, url, encode(control))
    control_html = control_body.decode("utf-8", "replace")
    return sorted(text for text in found if text not in control_html)


@pytest.mark.django_db
@given(case=requests(PAGES))
@example(case=("/search/", [("q", '"><script>alert(1)</script>')]))
@example(case=("/en/policies/measures/", [("topic", "<b>x</b>"), ("q", "贷款")]))
@example(case=("/industry/figures/", [("sort", '"><svg/onload=alert(1)>'), ("year", "<i>")]))
@example(case=("/policies/measures/", [("page", "9" * 5000)]))
@example(case=("/search/", [("q", "贷款"), ("kind", "measure"), ("page", "-99999999999999")]))
@example(case=("/search/", [("q", "NEAR(贷款 担保) AND title:贷款* OR ^x")]))
@example(case=("/search/", [("q", "'贷款' <-> '担保' & !x | y:*")]))
@example(case=("/policies/measures/", [("q", "贷款\x00"), ("notice", "\x00")]))
@example(case=("/accounts/login/", [("next", '"><script>alert(1)</script>')]))
def test_hostile_query_strings_never_break_a_page(seed, case):
    url, pairs = case
    client = Client(raise_request_exception=False)
    _, content_type, body = fetch(client, url, encode(pairs))
    if content_type.startswith("text/html"):
        html = body.decode("utf-8")
        assert not echoed_unescaped(client, url, pairs, html), f"{url}?{encode(pairs)}"
    assert Measure.objects.count() == 20  # nothing a query string says is ever executed


@pytest.mark.django_db
@given(case=requests(EXPORTS))
@example(case=("/search.csv", [("q", "贷款"), ("kind", "<script>")]))
@example(case=("/search.json", [("q", '"\x01\u2028</script>'), ("kind", "measure")]))
@example(case=("/policies/measures.json", [("topic", "credit"), ("q", '贷款\\"')]))
@example(case=("/policies/measures.csv", [("q", "=cmd|' /C calc'!A0")]))
@example(case=("/industry/figures.json", [("sort", "-value"), ("product", '"><b>')]))
def test_hostile_query_strings_never_break_an_export(seed, case):
    url, pairs = case
    client = Client(raise_request_exception=False)
    status, content_type, body = fetch(client, url, encode(pairs))
    if status != 200:
        return
    if content_type.startswith("application/vnd.openxmlformats"):
        assert body.startswith(b"PK")  # a zip: the workbook
        return
    text = body.decode("utf-8")
    if content_type.startswith("application/json"):
        assert isinstance(json.loads(text)["rows"], list)
    elif content_type.startswith("text/csv"):
        assert text.startswith("\ufeff")
        header = next(csv.reader(io.StringIO(text[1:])))
        assert {"网址", "URL", "url"} & set(header)  # headers in the page's language


@pytest.mark.django_db
@given(url=st.sampled_from([*PAGES, *EXPORTS]), query_string=raw_query)
@example(url="/search/", query_string="q=%ED%A0%80%ff")
@example(url="/policies/measures.csv", query_string="topic=%C0%AF&q=%")
@example(url="/policies/measures/", query_string="&".join(["page=1"] * 1001))
def test_broken_query_strings_never_break_a_page(seed, url, query_string):
    fetch(Client(raise_request_exception=False), url, query_string)


# Stored markup: entered by an editor, it must show as text wherever it is shown.

PAYLOAD = 'kbprobe <script>alert(1)</script><b>markup</b>" onmouseover="alert(2)\''
RAW = ["<script>alert(1)</script>", "<b>markup</b>", '" onmouseover="alert(2)']
ESCAPED = "&lt;b&gt;markup&lt;/b&gt;"


@pytest.fixture
def stored_markup(seed):
    """Markup in a measure, a paragraph, a figure, a company and an action; the pages that
    show each of them."""
    action = Action.objects.filter(measures__isnull=False).select_related("company").first()
    measure = action.measures.first()
    measure.title = measure.title_en = PAYLOAD
    measure.text = PAYLOAD + measure.text
    measure.save()
    action.sentence = PAYLOAD + action.sentence
    action.save()
    company = action.company
    company.name = company.name_en = PAYLOAD
    company.save()
    figure = Figure.objects.select_related("paragraph__section__article", "product").first()
    figure.sentence = PAYLOAD + figure.sentence
    figure.basis = "<b>markup</b>"
    figure.save()
    paragraph = figure.paragraph
    paragraph.text = PAYLOAD + paragraph.text
    paragraph.save()
    with translation.override("zh-hans"):  # the Chinese URLs; the test adds /en
        return urls_showing(measure, action, figure, paragraph)


def urls_showing(measure, action, figure, paragraph) -> list[str]:
    return [
        measure.notice.get_absolute_url(),
        "/policies/measures/",
        measure.get_absolute_url(),
        "/search/?q=kbprobe",
        paragraph.section.article.get_absolute_url(),
        "/industry/figures/",
        figure.get_absolute_url(),
        figure.product.get_absolute_url(),
        "/industry/companies/",
        action.company.get_absolute_url(),
    ]


@pytest.mark.parametrize("language", ["", "/en"])
def test_stored_markup_is_shown_as_text(stored_markup, language):
    client = Client(raise_request_exception=False)
    for url in stored_markup:
        response = client.get(language + url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for raw in RAW:
            assert raw not in body, (language + url, raw)
        assert ESCAPED in body, language + url  # shown, as text


@pytest.mark.parametrize("kind", ["measure", "paragraph", "figure", "company", "action"])
def test_stored_markup_in_search_results_is_escaped(stored_markup, kind):
    response = Client().get("/search/", {"q": "kbprobe", "kind": kind})
    body = response.content.decode()
    # The snippet marks the word searched for and escapes the markup around it.
    assert "<mark>kbprobe</mark> &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert not any(raw in body for raw in RAW)
