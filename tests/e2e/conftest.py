"""Browser tests: Playwright for Python driving Debian's Chromium against `live_server`.

Run them with `make e2e` (they are marked `e2e`, and `make test` leaves them out). They
need /usr/bin/chromium (or KB_CHROMIUM) and `npm ci` for axe-core; when either is
missing the tests fail, never skip, so CI cannot pass without really running them.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in the test thread, and Django then refuses
# ORM calls from fixtures and tests as "async-unsafe". Nothing here is concurrent.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
# The machine has no network but the package registries: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = settings.BASE_DIR / "artifacts"

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

ADMIN_USERNAME = "e2e-admin"
ADMIN_PASSWORD = "e2e-only-Passw0rd!"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not at {CHROMIUM}: `apt-get install chromium` (or set KB_CHROMIUM). "
            "The browser tests never download a browser of their own."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def seed(transactional_db):
    """The real seed data, in the test database that live_server serves."""
    call_command("seed", verbosity=0)


@pytest.fixture
def site(live_server, seed) -> str:
    return live_server.url


@pytest.fixture
def context(browser, site):
    # The real Content-Security-Policy stays on (no bypass_csp): a template that slips in
    # an inline script or style is refused here as it would be for a reader.
    context = browser.new_context(
        base_url=site, viewport=DESKTOP, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A page that fails its test on any script error or Content-Security-Policy refusal."""
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    yield page
    assert not problems, problems


@pytest.fixture
def admin_credentials(transactional_db) -> tuple[str, str]:
    get_user_model().objects.create_superuser(ADMIN_USERNAME, "e2e@example.org", ADMIN_PASSWORD)
    return ADMIN_USERNAME, ADMIN_PASSWORD


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` at the repository root.")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """Run axe-core on a page and return its violations.

    The source goes in through `page.evaluate` (DevTools), which the page's CSP does not
    govern; `add_script_tag` would add an inline <script> that the CSP rightly refuses.
    """

    def run(page) -> list[dict]:
        page.evaluate(axe_source)
        return page.evaluate(
            """async () => {
              const result = await axe.run(document, {resultTypes: ["violations"]});
              return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
              }));
            }"""
        )

    return run


def artifact(relative: str) -> Path:
    """A path under artifacts/ (git-ignored) for a reviewer to look at, folders made."""
    path = ARTIFACTS / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
