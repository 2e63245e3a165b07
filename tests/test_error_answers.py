"""An outage is a 503, a bug is a 500 (see core.outage); the errors are real ones, raised
by the database driver, on whichever database the tests run. 403, 404 and 503 answers are
logged in one line each, a 500 with its traceback."""

import copy
import logging
import sqlite3

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from pytest_django.asserts import assertContains

from core.outage import database_unavailable
from policies.models import Topic

pytestmark = pytest.mark.django_db


def other_database(**changes):
    """A second connection like the tests' own, with some settings changed."""
    settings = copy.deepcopy(connection.settings_dict)
    settings.update(changes)
    return type(connections["default"])(settings, alias="other")


def raised(action) -> DatabaseError:
    with pytest.raises(DatabaseError) as caught:
        action()
    return caught.value


def refused():
    """The database out of reach: nothing listens on the port, or SQLite cannot open its file."""
    if connection.vendor == "postgresql":
        other = other_database(PORT="1")
    else:
        other = other_database(NAME="/nonexistent-directory/kb.sqlite3")
    try:
        other.ensure_connection()
    finally:
        other.close()


def lost():
    """A connection that was open and is gone (the server restarted, the network dropped)."""
    other = other_database()
    other.ensure_connection()
    other.connection.close()  # under Django's feet, as a dropped socket would
    try:
        other.cursor().execute("SELECT 1")
    finally:
        other.connection = None


def locked(tmp_path):
    """SQLite's file held by another writer beyond the busy timeout."""
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = other_database(NAME=str(path), OPTIONS={"timeout": 0})
    try:
        other.cursor().execute("SELECT * FROM t")
    finally:
        other.close()
        holder.close()


def bad_sql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM policies_topic")


def duplicate():
    Topic.objects.create(slug="credit", name="信贷（重复）", name_en="Credit again")


def division_by_zero():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")


def outages(tmp_path):
    if connection.vendor == "postgresql":
        return [refused, lost]
    return [refused, lambda: locked(tmp_path)]


def bugs():
    if connection.vendor == "postgresql":
        return [bad_sql, duplicate, division_by_zero]
    return [bad_sql, duplicate]


def test_only_an_unreachable_database_is_an_outage(seed, tmp_path):
    for action in outages(tmp_path):
        assert database_unavailable(raised(action)), action
    for action in bugs():
        # Each in a savepoint: on PostgreSQL a failed statement spoils the transaction.
        assert not database_unavailable(raised(in_savepoint(action))), action


def in_savepoint(action):
    """On PostgreSQL a failed statement spoils the transaction: fail in a savepoint."""

    def run():
        with transaction.atomic():
            action()

    return run


def request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


def test_an_unreachable_database_is_a_503_logged_in_one_line(seed, monkeypatch, caplog):
    monkeypatch.setattr("kbsite.views.home_counts", refused)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assertContains(response, "暂时无法访问", status_code=503)
    [record] = request_records(caplog)
    assert record.status_code == 503
    assert record.exc_info is None
    assert "OperationalError" in record.getMessage()
    assert "Traceback" not in caplog.text


def test_a_database_bug_is_a_500_with_its_traceback_logged(seed, monkeypatch, caplog):
    for action in bugs():
        caplog.clear()
        monkeypatch.setattr("kbsite.views.home_counts", in_savepoint(action))
        response = Client(raise_request_exception=False).get("/")
        assert response.status_code == 500, action
        assert "Retry-After" not in response
        assertContains(response, "服务器出错", status_code=500)
        [record] = request_records(caplog)
        assert record.levelno == logging.ERROR
        assert isinstance(record.exc_info[1], DatabaseError)
        assert "Traceback" in caplog.text


def test_the_health_check_during_an_outage_logs_one_line(seed, monkeypatch, caplog):
    def cursor(*args, **kwargs):
        refused()

    monkeypatch.setattr(connection, "cursor", cursor)
    assert Client().get("/healthz").status_code == 503
    [record] = request_records(caplog)
    assert record.exc_info is None
    assert "OperationalError" in record.getMessage()
    assert "Traceback" not in caplog.text


def test_403_and_404_are_logged_in_one_line_each(seed, caplog):
    user = get_user_model().objects.create_user("staff", password="a-long-pass-1", is_staff=True)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/policies/notices/no-such-notice/").status_code == 404
    records = request_records(caplog)
    assert [record.status_code for record in records] == [403, 404]
    assert all(record.exc_info is None for record in records)
    assert "Traceback" not in caplog.text
