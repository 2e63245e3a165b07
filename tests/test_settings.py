import os

import pytest
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


@pytest.mark.django_db
def test_postgresql_runs_each_statement_without_parallel_workers():
    """The site's many requests share the cores: a count after an edit must not take
    two more of them (kbsite.settings.database)."""
    from kbsite.settings import database

    options = database("postgres://kb@db.example/kb")["OPTIONS"]["options"]
    assert "max_parallel_workers_per_gather=0" in options.removeprefix("-c ").split(" -c ")
    if connection.vendor == "postgresql":  # and the site's own connection has it
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            assert cursor.fetchone()[0] == "0"
