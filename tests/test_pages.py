"""Every page type in both languages, as an anonymous reader gets it with the default
settings (browsing is open): its status, its language, the security headers and no
inline code. The English pages leave no Chinese UI string behind."""

import pytest

from tests.test_i18n import chinese_outside_source

pytestmark = pytest.mark.django_db

# One page of each type that the site serves, in Chinese; /en + the path is the English page.
PAGES = {
    "/": 200,
    "/policies/": 200,
    "/policies/?level=national&issuer=miit&doc_type=notice&year=2020&validity=unknown": 200,
    "/policies/?sort=-published&level=county": 200,
    "/policies/notices/gxmd-2020-14/": 200,
    "/policies/measures/": 200,
    "/policies/measures/?q=贷款": 200,
    "/policies/measures/?q=贷款&topic=credit": 200,
    "/policies/measures/?topic=nope": 400,
    "/policies/notices/gxmd-2020-14/measures/8/": 200,
    "/policies/notices/gxmd-2020-14/measures/19/": 200,
    "/policies/notices/gxmd-2020-14/measures/4/": 200,
    "/policies/match/": 200,
    "/policies/match/?size=small&province=hubei&situation=hard-hit&need=credit": 200,
    "/policies/match/?size=medium&need=training&need=labour": 200,
    "/policies/match/?size=huge": 400,
    "/search/": 200,
    "/search/?q=烧碱": 200,
    "/search/?q=贷款&kind=measure": 200,
    "/search/?q=租金 鹦鹉螺": 200,
    "/search/?q=房租": 200,
    "/accounts/login/": 200,
    "/no-such-page/": 404,
    "/industry/": 200,
    "/industry/articles/chlor-alkali-2019/": 200,
    "/industry/articles/carbide-industry-covid-19/": 200,
    "/industry/figures/": 200,
    "/industry/figures/?product=pvc&sort=-value": 200,
    "/industry/figures/?product=pvc&product=caustic-soda&year=2019": 200,
    "/industry/key-figures/": 200,
    "/industry/figures/8/": 200,
    "/industry/products/pvc/": 200,
    "/industry/products/caustic-soda/": 200,
    "/industry/companies/": 200,
    "/industry/companies/beiyuan/": 200,
    "/industry/data-notes/": 200,
    "/changes/": 200,
    "/changes/?page=2": 200,
    "/changes/?page=nope": 404,
}


def assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "http" not in csp  # no third-party origins
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def assert_no_inline_scripts_or_styles(body: str):
    assert "<style" not in body
    assert " style=" not in body
    assert "<script>" not in body and "<script " not in body.replace("<script src=", "")
    assert " on" + "click=" not in body


@pytest.mark.parametrize("path", PAGES)
def test_chinese_pages(client, seed, path):
    response = client.get(path)
    assert response.status_code == PAGES[path]
    body = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in body
    assert_security_headers(response)
    assert_no_inline_scripts_or_styles(body)


@pytest.mark.parametrize("path", PAGES)
def test_english_pages(client, seed, path):
    """English UI and editorial names; the source text stays Chinese, marked as such."""
    response = client.get("/en" + path)
    assert response.status_code == PAGES[path]
    body = response.content.decode()
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in body
    assert 'lang="zh-Hans"' in body
    assert chinese_outside_source(body) == []
    assert_security_headers(response)
    assert_no_inline_scripts_or_styles(body)


def test_the_admin_login_page(client, seed):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert_no_inline_scripts_or_styles(response.content.decode())
