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


BOSS_PASSWORD = "the-right-passphrase-1"


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("boss", password=BOSS_PASSWORD)


def admin_login(client, password: str, **address):
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "boss", "password": password, "next": "/admin/"},
        **address,
    )


def guess(client, times: int, **address) -> None:
    for _ in range(times):
        assert admin_login(client, "guess", **address).status_code in (200, 429)


def test_behind_a_proxy_each_client_is_locked_out_on_its_own_address(client, seed, boss, settings):
    """Every request comes from the proxy's address; the lockout keys on the client's,
    which the proxy appended to X-Forwarded-For (what the client wrote there counts not)."""
    settings.TRUSTED_PROXIES = 1
    attacker = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    guess(client, settings.AXES_FAILURE_LIMIT, **attacker)
    assert admin_login(client, BOSS_PASSWORD, **attacker).status_code == 429
    # The attacker cannot step around it by writing another address in front of his own.
    spoofed = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    assert admin_login(client, BOSS_PASSWORD, **spoofed).status_code == 429
    # The real administrator, through the same proxy from elsewhere, gets in.
    owner = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    assert admin_login(client, BOSS_PASSWORD, **owner).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "127.0.0.1"),  # no proxy: the header is anyone's to write
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "127.0.0.1"),  # fewer hops than proxies: not the configured way
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    rf, settings, proxies, forwarded, expected
):
    from core.clients import client_address

    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_new_address_does_not_get_new_guesses_for_the_same_account(client, seed, boss, settings):
    """Without a proxy, each address has its own five guesses, but the account has a cap."""
    per_address = settings.AXES_FAILURE_LIMIT - 1  # never locked on any one address
    addresses = settings.KB_LOGIN_USERNAME_FAILURE_LIMIT // per_address + 1
    for n in range(addresses):
        guess(client, per_address, REMOTE_ADDR=f"192.0.2.{n + 1}")
    response = admin_login(client, BOSS_PASSWORD, REMOTE_ADDR="192.0.2.200")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_during_a_lockout_do_not_extend_it(client, seed, boss, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    def minutes_pass(minutes: int) -> None:
        for attempt in AccessAttempt.objects.all():
            attempt.attempt_time -= timedelta(minutes=minutes)
            attempt.save(update_fields=["attempt_time"])

    guess(client, settings.AXES_FAILURE_LIMIT)
    minutes_pass(10)
    guess(client, 3)  # still locked out: these are refused, not counted
    assert admin_login(client, BOSS_PASSWORD).status_code == 429
    minutes_pass(6)  # 16 minutes after the lockout began, 6 after the last guess
    assert admin_login(client, BOSS_PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_account(client, seed, boss, settings):
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Group

    guess(client, settings.AXES_FAILURE_LIMIT)
    assert admin_login(client, BOSS_PASSWORD).status_code == 429
    administrator = get_user_model().objects.create_user(
        "keeper", password="a-long-passphrase-1", is_staff=True
    )
    administrator.groups.add(Group.objects.get(name="管理员"))
    keeper = type(client)()
    keeper.force_login(administrator)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert keeper.get(changelist, {"username": "boss"}).status_code == 200
    response = keeper.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": list(
                AccessAttempt.objects.filter(username="boss").values_list("pk", flat=True)
            ),
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert admin_login(client, BOSS_PASSWORD).status_code == 302


def test_staff_are_logged_out_after_the_idle_timeout(client, seed, settings):
    import time

    from core.middleware import LAST_SEEN

    settings.KB_STAFF_IDLE_TIMEOUT = 2 * 60 * 60
    staff = get_user_model().objects.create_user(
        "clerk", password="a-long-passphrase-1", is_staff=True
    )
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.session[LAST_SEEN] <= time.time()

    def idle(seconds: int) -> None:
        session = client.session
        session[LAST_SEEN] = int(time.time()) - seconds
        session.save()

    idle(settings.KB_STAFF_IDLE_TIMEOUT - 60)  # active in time: still logged in
    assert client.get("/admin/").status_code == 200
    idle(settings.KB_STAFF_IDLE_TIMEOUT + 1)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_readers_are_not_subject_to_the_staff_idle_timeout(client, seed):
    from core.middleware import LAST_SEEN

    reader = get_user_model().objects.create_user("reader", password="a-long-passphrase-1")
    client.force_login(reader)
    client.get("/")
    assert LAST_SEEN not in client.session
    assert "_auth_user_id" in client.session


def test_password_resets_are_offered_only_when_mail_is_configured(client, seed, settings):
    from django.core import mail

    get_user_model().objects.create_user(
        "reader", email="reader@example.org", password="a-long-passphrase-1"
    )
    reset = reverse("password_reset")
    settings.KB_EMAIL_CONFIGURED = False
    assert client.get(reset).status_code == 404
    assert client.post(reset, {"email": "reader@example.org"}).status_code == 404
    assert client.get(reverse("password_reset_done")).status_code == 404
    assert client.get(reverse("password_reset_complete")).status_code == 404
    assert reset not in client.get(reverse("login")).content.decode()
    assert not mail.outbox

    settings.KB_EMAIL_CONFIGURED = True
    assert f'href="{reset}"' in client.get(reverse("login")).content.decode()
    assert client.get(reset).status_code == 200
    response = client.post(reset, {"email": "reader@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
