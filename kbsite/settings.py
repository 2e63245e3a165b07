"""Settings for kbsite. Every environment differs only by environment variables.

DATABASE_URL             database (default: SQLite file db.sqlite3 at the repo root)
DATABASE_REPLICA_URL     a read-only replica of it for anonymous visitors' pages (core.routers)
DJANGO_DB_POOL           "1": psycopg connection pool on PostgreSQL (else persistent connections)
DJANGO_CACHE_URL         redis://host:port/db: a cache shared by all workers and app servers
                         (DJANGO_CACHE_PREFIX names this site's keys, default "kb")
DJANGO_DEBUG             "1" turns debug on; anything else leaves it off
DJANGO_SECRET_KEY        required (and must be strong) when debug is off
DJANGO_ALLOWED_HOSTS     comma-separated host names (default: localhost names)
DJANGO_HTTPS             "0" when served over plain HTTP (local runs, load tests): no SSL
                         redirect, HSTS or secure-only cookies. Default "1".
DJANGO_BEHIND_PROXY      how many proxies stand in front of the site, each appending to
                         X-Forwarded-For ("1": one TLS-terminating proxy, which also sets
                         X-Forwarded-Proto). Default "0": the headers are not trusted.
DJANGO_HSTS_SECONDS      HSTS max-age when HTTPS is on (default one year)
KB_LOGIN_REQUIRED        "1": every page but login and /healthz needs a logged-in account
KB_PAGE_CACHE_SECONDS    how long an anonymous page is kept whole at most (default 3600; 0: never)
KB_RECOMPUTE_IN_BACKGROUND  "0": after an edit, the first request recomputes cached counts
                         and checks itself (default "1": a thread does, see core.caching)
KB_STAFF_IDLE_TIMEOUT    seconds without a request before staff are logged out (default 7200)
DJANGO_EMAIL_HOST        SMTP server; when set, password resets by mail are offered (also
                         DJANGO_EMAIL_PORT, _USER, _PASSWORD, _TLS, _FROM)
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"


def env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0") == "1"


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
_MAKE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
if not DEBUG and not SECRET_KEY:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is not set. Set it to a long random string ({_MAKE_KEY}), "
        "or set DJANGO_DEBUG=1 for local development with an insecure default key."
    )
# The same rule as Django's deploy check (security.W009), enforced at start-up.
if not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 characters with at least 5 different "
        f"ones, not starting with 'django-insecure-' ({_MAKE_KEY})."
    )
SECRET_KEY = SECRET_KEY or "django-insecure-development-key-only-used-when-DJANGO_DEBUG-is-1"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",  # its templates, for sitemap.xml
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "core.lockout_app.LoginLockoutConfig",  # django-axes, named in Chinese
    "reversion",
    "core",
    "policies",
    "industry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.permissions_policy",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.private_when_login_required",  # after WhiteNoise: static files stay public
    "core.middleware.page_cache",  # above the middleware that set cookies or Vary
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.staff_idle_timeout",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
KB_LOGIN_REQUIRED = env_flag("KB_LOGIN_REQUIRED", False)
if KB_LOGIN_REQUIRED:
    MIDDLEWARE.append("django.contrib.auth.middleware.LoginRequiredMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

ROOT_URLCONF = "kbsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "kbsite.wsgi.application"


def database(url: str) -> dict:
    """A DATABASES entry for this URL, with the site's connection settings."""
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast when the database is down, so pages answer 503 instead of hanging.
        db.setdefault("OPTIONS", {})["connect_timeout"] = 3
        # The knowledge base fits in memory: random reads cost about what sequential ones do,
        # as PostgreSQL's docs advise telling the planner (it then prefers the indexes).
        # No parallel workers for a statement: the site's many small requests use every
        # core, and a count that takes two more cores (after an edit, a common word's facets
        # at 100,000 measures) slows every page meanwhile (`make load` after its edit: 213
        # → 279–317 requests/s).
        db["OPTIONS"]["options"] = "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"
        if env_flag("DJANGO_DB_POOL", False):
            db["CONN_MAX_AGE"] = 0  # the pool keeps the connections
            # A short wait: while the database is down, every request waits this long for its 503.
            db["OPTIONS"]["pool"] = {"min_size": 2, "max_size": 8, "timeout": 2}
    return db


DATABASES = {
    "default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
# A read-only copy of the database (a PostgreSQL streaming replica): anonymous visitors'
# pages read from it, everything else from the primary (core.routers). The tests use the
# primary under both names.
if REPLICA_URL := os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database(REPLICA_URL) | {"TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["core.routers.PrimaryReplicaRouter"]

# Production: a cache shared by every worker and app server (Redis), so that the download
# throttle and the cached counts are one for the site, not one per process. Without it,
# Django's per-process memory cache (a newcomer's `make run`, the tests).
# The download throttle's counters live in a cache of their own ("counters"), which nothing
# else writes: kept pages and counts, one entry per query string anyone may invent, would
# otherwise push them out of a full memory cache and so reset every client's count.
# Kept whole pages have a cache of their own too ("pages"): a flood of made-up query strings
# then pushes out other kept pages, not the counts and indexes that every page needs.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kb"},
    "counters": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kb-counters",
    },
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kb-pages"},
}
if CACHE_URL := os.environ.get("DJANGO_CACHE_URL"):
    _redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    _prefix = os.environ.get("DJANGO_CACHE_PREFIX", "kb")
    CACHES = {
        "default": {**_redis, "KEY_PREFIX": _prefix},
        "counters": {**_redis, "KEY_PREFIX": f"{_prefix}-counters"},
        "pages": {**_redis, "KEY_PREFIX": f"{_prefix}-pages"},
    }

# Anonymous visitors' pages kept whole until the data changes (core.middleware.page_cache),
# for this many seconds at most (0: not kept); never the paths below (regexes, no leading /).
KB_PAGE_CACHE_SECONDS = int(os.environ.get("KB_PAGE_CACHE_SECONDS", 3600))
# After an edit, a cached computation (facet counts, the figures' checks, the 政策匹配 index)
# is redone in a thread while requests are served the value from before the edit
# (core.caching.cached); 0: the first request after the edit computes it and waits.
KB_RECOMPUTE_IN_BACKGROUND = env_flag("KB_RECOMPUTE_IN_BACKGROUND", True)
KB_PAGE_CACHE_EXEMPT = [r"^healthz$", r"^admin/", r"^(en/)?accounts/"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Chinese is the source language (and the msgids); English pages live under /en/.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Security. Secure by default when debug is off; DJANGO_HTTPS=0 relaxes it for plain HTTP.
HTTPS = not DEBUG and env_flag("DJANGO_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    # The __Host- prefix: browsers accept these cookies only over HTTPS, for this host
    # alone (no Domain) and the whole site, so no subdomain or plain-HTTP page can plant them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Staff are logged out after this many seconds without a request (core.middleware).
KB_STAFF_IDLE_TIMEOUT = int(os.environ.get("KB_STAFF_IDLE_TIMEOUT", 2 * 60 * 60))
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
try:
    TRUSTED_PROXIES = int(os.environ.get("DJANGO_BEHIND_PROXY") or 0)
except ValueError:
    TRUSTED_PROXIES = -1
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(
        "DJANGO_BEHIND_PROXY must be the number of proxies in front of the site (0, 1, 2...)."
    )
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-csp: nothing inline, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Mail, for password resets: the reset pages exist only when a mail server is configured.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", 587))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_flag("DJANGO_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_EMAIL_FROM", "webmaster@localhost")
KB_EMAIL_CONFIGURED = bool(EMAIL_HOST)

# Downloads (core.exports): rows per file for anyone but staff, downloads a minute per client.
KB_EXPORT_ROW_LIMIT = int(os.environ.get("KB_EXPORT_ROW_LIMIT", 10_000))
KB_EXPORTS_PER_MINUTE = int(os.environ.get("KB_EXPORTS_PER_MINUTE", 10))

# django-axes: lock out guessing at the login forms.
# Guesses per account from one client address, and per account from all addresses
# (core.lockout). The client's address is X-Forwarded-For's only behind trusted proxies.
AXES_FAILURE_LIMIT = int(os.environ.get("KB_LOGIN_FAILURE_LIMIT", 5))
KB_LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("KB_LOGIN_USERNAME_FAILURE_LIMIT", 20))
AXES_COOLOFF_TIME = 0.25  # hours, from the last failure before the lockout
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "core.lockout.LoginAttempts"
AXES_CLIENT_IP_CALLABLE = "core.clients.client_address"
# Guessing on during a lockout must not keep the real user out for ever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # 403, 404 and 503 answers in one line each, without a traceback (core.outage).
    "filters": {"expected_statuses": {"()": "core.outage.ExpectedStatusesInOneLine"}},
    "loggers": {
        # django-axes logs every login at INFO; lockouts are logged at WARNING.
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["expected_statuses"]},
    },
}
