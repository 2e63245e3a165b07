"""Who may see and do what: KB_LOGIN_REQUIRED and the login lockout. (Browsing is open by
default: see test_pages.)"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN_REQUIRED = "django.contrib.auth.middleware.LoginRequiredMiddleware"
PAGES = [
    "/",
    "/policies/",
    "/policies/measures/",
    "/policies/notices/gxmd-2020-14/measures/8/",
    "/industry/",
    "/industry/articles/chlor-alkali-2019/",
    "/industry/figures/",
    "/industry/figures/1/",
    "/industry/products/pvc/",
    "/industry/companies/",
    "/industry/companies/dadi/",
    "/industry/data-notes/",
]


@pytest.fixture
def login_required(settings):
    settings.KB_LOGIN_REQUIRED = True
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:-1],
        LOGIN_REQUIRED,
        settings.MIDDLEWARE[-1],
    ]


@pytest.mark.parametrize("url", PAGES)
def test_login_required_sends_anonymous_users_to_login(client, seed, login_required, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_login_required_still_serves_login_and_health_check(client, seed, login_required):
    assert client.get(reverse("login")).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("admin:login")).status_code == 200


def test_login_required_lets_a_logged_in_account_browse(client, seed, login_required):
    user = get_user_model().objects.create_user("reader", password="a-long-passphrase-1")
    client.force_login(user)
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_login_required_pages_are_private_to_their_account(client, seed, login_required):
    """No shared cache may keep a page that needs an account, nor the redirect to log in."""
    assert "private" in client.get(PAGES[0])["Cache-Control"]
    assert "private" in client.get(reverse("login"))["Cache-Control"]
    client.force_login(get_user_model().objects.create_user("reader", password="a-long-pass-1"))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response.get("Cache-Control", ""), url
        assert "public" not in response.get("Cache-Control", ""), url


def test_a_reader_logs_in_with_the_login_form(client, seed, login_required):
    get_user_model().objects.create_user("reader", password="a-long-passphrase-1")
    response = client.post(
        reverse("login") + "?next=/policies/measures/",
        {
            "username": "reader",
            "password": "a-long-passphrase-1",
            "next": "/policies/measures/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/policies/measures/"


def test_repeated_failed_admin_logins_lock_the_account_out(client, seed, settings):
    get_user_model().objects.create_superuser("boss", password="the-right-passphrase-1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("admin:login"), {"username": "boss", "password": "guess"})
        assert response.status_code in (200, 429)
    # Now even the right password is refused, with the lockout page.
    response = client.post(
        reverse("admin:login"),
        {"username": "boss", "password": "the-right-passphrase-1"},
    )
    assert response.status_code == 429
    assert "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_few_failures_then_success_do_not_lock_out(client, seed):
    get_user_model().objects.create_superuser("boss", password="the-right-passphrase-1")
    for _ in range(2):
        client.post(reverse("admin:login"), {"username": "boss", "password": "guess"})
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "boss", "password": "the-right-passphrase-1", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
