import os

from django.conf import settings
from django.db import connection


def test_the_suite_runs_on_the_database_named_by_DATABASE_URL():
    """CI's PostgreSQL run must really run on PostgreSQL, not fall back to SQLite."""
    url = os.environ.get("DATABASE_URL", "sqlite")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_whitenoise_serves_static_files():
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
