"""The derived checks as the pages show them, pinned: every figure page, every product page,
the data notes, the companies' totals and the industry home page's count, in Chinese and in
English, compared character for character with tests/snapshots/derived.json.

The snapshot was taken before the derived checks were rewritten as a table of rules, so a
change to how a check is computed or worded shows here as a difference. Nothing is
normalised: each fragment is an element exactly as rendered (the figure page's heading,
facts, derivations and sibling figures; the product page's charts and figures; the whole
data-notes article; the companies' totals table; the home page's count of disagreements and
the figures table's flags).
To record an intended change of what the pages show, run this module with
PIN_DERIVED_UPDATE=1 and review the snapshot's diff.
"""

import difflib
import json
import os
import re
from pathlib import Path

import pytest

from industry.models import Figure, Product

SNAPSHOT = Path(__file__).parent / "snapshots" / "derived.json"
PREFIXES = {"zh-hans": "", "en": "/en"}


def element(html: str, opening: str) -> str:
    """The element whose start tag begins with `opening`, up to its matching end tag."""
    start = html.index(opening)
    tag = re.match(r"<(\w+)", opening).group(1)
    depth = 0
    for match in re.compile(rf"<(/?){tag}\b[^>]*>").finditer(html, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return html[start : match.end()]
    raise AssertionError(f"{opening} is not closed")


def fragments(client, path: str) -> dict[str, object]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    if "/figures/" in path:
        found = {
            "heading": element(html, "<h1>"),
            "meta": element(html, '<dl class="doc-meta">'),
            "derived": element(html, '<section aria-labelledby="derived-heading">'),
        }
        if 'aria-labelledby="siblings-heading"' in html:
            found["siblings"] = element(html, '<section aria-labelledby="siblings-heading">')
        return found
    if "/products/" in path:
        found = {"figures": element(html, '<section aria-labelledby="figures-heading">')}
        if 'aria-labelledby="charts-heading"' in html:
            found["charts"] = element(html, '<section aria-labelledby="charts-heading">')
        return found
    if "/data-notes/" in path:
        return {"article": element(html, '<article class="document data-notes">')}
    if "/companies/" in path:
        return {"totals": element(html, '<table class="data-table totals-table">')}
    return {
        "disagreements": re.search(r'<li><a href="[^"]*/data-notes/">.*?</li>', html).group(),
        "flagged": sorted(client.get(path + "figures/").context["flagged"]),
    }


def pages() -> list[str]:
    return [
        "/industry/",
        "/industry/data-notes/",
        "/industry/companies/",
        *(f"/industry/figures/{n}/" for n in Figure.objects.values_list("number", flat=True)),
        *(f"/industry/products/{s}/" for s in Product.objects.values_list("slug", flat=True)),
    ]


def render_all(client, language: str) -> dict[str, dict]:
    return {path: fragments(client, PREFIXES[language] + path) for path in pages()}


def lines(value) -> list[str]:
    return json.dumps(value, ensure_ascii=False).replace(">", ">\n").splitlines()


def difference(expected, actual) -> str:
    return "\n".join(difflib.unified_diff(lines(expected), lines(actual), lineterm="", n=2))


@pytest.mark.parametrize("language", PREFIXES)
def test_pages_show_the_pinned_derived_checks(client, seed, language):
    rendered = render_all(client, language)
    pinned = json.loads(SNAPSHOT.read_text("utf-8")) if SNAPSHOT.exists() else {}
    if os.environ.get("PIN_DERIVED_UPDATE"):
        pinned[language] = rendered
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(pinned, ensure_ascii=False, indent=1) + "\n", "utf-8")
        pytest.skip("snapshot written")
    expected = pinned[language]
    assert list(rendered) == list(expected)
    changed = [path for path in expected if rendered[path] != expected[path]]
    assert not changed, "\n\n".join(
        f"{path}:\n{difference(expected[path], rendered[path])}" for path in changed[:3]
    )
