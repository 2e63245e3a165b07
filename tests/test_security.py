"""Production settings, HTTPS, the health check and error pages. (The security headers
of every page type: test_pages.)"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

pytestmark = pytest.mark.django_db

STRONG_KEY = "x" * 20 + "a-strong-production-key-for-this-test-only-0123456789"


def run_manage(*args, env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KB_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_only_the_key_and_hosts_set():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": "kb.example.org"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "key",
    ["short-key", "a" * 60, "django-insecure-" + "abcdefghij" * 5],
    ids=["short", "repetitive", "django-insecure"],
)
def test_a_weak_secret_key_with_debug_off_stops_start_up(key):
    result = run_manage("check", env={"DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr


def test_https_can_be_relaxed_for_plain_http():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        env={"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_HTTPS": "0"},
    )
    assert result.stdout.splitlines()[-1].split() == ["False", "False", "0"], result.stderr


def test_behind_a_proxy_the_forwarded_scheme_is_trusted():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)",
        env={"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_BEHIND_PROXY": "1"},
    )
    assert "HTTP_X_FORWARDED_PROTO" in result.stdout, result.stderr


def test_https_settings_redirect_and_send_hsts(client, seed, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/policies/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    response = client.get("/policies/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    # The health check answers load balancers over plain HTTP.
    assert client.get("/healthz").status_code == 200


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def fail_database(monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused (simulated outage)")

    monkeypatch.setattr(connection, "cursor", broken)


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    fail_database(monkeypatch)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_a_database_outage_gives_the_503_page_not_a_traceback(seed, monkeypatch):
    client = Client(raise_request_exception=False)
    fail_database(monkeypatch)
    response = client.get("/policies/measures/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assertContains(response, "暂时无法访问", status_code=503)
    assert "Traceback" not in response.content.decode()


def test_other_errors_give_the_500_page(seed, monkeypatch):
    client = Client(raise_request_exception=False)

    def boom(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr("core.facets.render", boom)
    response = client.get("/policies/measures/")
    assert response.status_code == 500
    assertContains(response, "服务器出错", status_code=500)


def test_the_404_and_400_pages_use_the_site_style(client, seed):
    response = client.get("/policies/notices/no-such-notice/")
    assert response.status_code == 404
    assertContains(response, "site-header", status_code=404)
    assertContains(response, "页面不存在", status_code=404)
    assertContains(response, "返回首页", status_code=404)
    response = client.get("/", headers={"host": "evil.example.com"})
    assert response.status_code == 400
    assertContains(response, "请求有误", status_code=400)


def test_csrf_failure_page(seed):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assertContains(response, "表单已过期", status_code=403)


def test_the_number_of_trusted_proxies_comes_from_DJANGO_BEHIND_PROXY():
    show = "from django.conf import settings as s; print(s.TRUSTED_PROXIES)"
    env = {"DJANGO_SECRET_KEY": STRONG_KEY}
    result = run_manage("shell", "-c", show, env={**env, "DJANGO_BEHIND_PROXY": "2"})
    assert result.stdout.split()[-1] == "2", result.stderr
    result = run_manage("shell", "-c", show, env=env)
    assert result.stdout.split()[-1] == "0", result.stderr
    result = run_manage("check", env={**env, "DJANGO_BEHIND_PROXY": "yes"})
    assert result.returncode != 0
    assert "DJANGO_BEHIND_PROXY must be the number of proxies" in result.stderr


def test_cookies_carry_the_host_prefix_under_https():
    show = "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)"
    result = run_manage("shell", "-c", show, env={"DJANGO_SECRET_KEY": STRONG_KEY})
    assert result.stdout.split()[-2:] == ["__Host-sessionid", "__Host-csrftoken"], result.stderr
    env = {"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_HTTPS": "0"}
    result = run_manage("shell", "-c", show, env=env)
    assert result.stdout.split()[-2:] == ["sessionid", "csrftoken"], result.stderr


def test_the_session_cookie_is_sent_with_the_host_prefix(client, seed, settings):
    """What a browser demands of a __Host- cookie: Secure, Path=/, no Domain."""
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.SESSION_COOKIE_SECURE = True
    user = get_user_model().objects.create_user("reader", password="a-long-passphrase-1")
    response = client.post(
        reverse("login"), {"username": "reader", "password": "a-long-passphrase-1"}, secure=True
    )
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
    assert user.pk
