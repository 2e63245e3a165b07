"""core.routers: with DATABASE_REPLICA_URL, anonymous visitors' pages read from the replica and
everything else from the primary. The decisions here; a real server on two databases in
tests/test_deploy.py."""

import threading

import pytest
from django.conf import settings

from core.routers import PrimaryReplicaRouter, route_request
from policies.models import Measure

router = PrimaryReplicaRouter()


def reads_from(**environ) -> str:
    route_request(environ={"REQUEST_METHOD": "GET", "PATH_INFO": "/", **environ})
    return router.db_for_read(Measure)


@pytest.mark.parametrize(
    ("environ", "database"),
    [
        ({}, "replica"),
        ({"PATH_INFO": "/en/policies/measures/"}, "replica"),
        ({"REQUEST_METHOD": "HEAD"}, "replica"),
        ({"HTTP_COOKIE": "csrftoken=abc"}, "replica"),  # not a session: still anonymous
        ({"REQUEST_METHOD": "POST"}, "default"),
        ({"PATH_INFO": "/admin/policies/measure/"}, "default"),
        ({"PATH_INFO": "/admin/login/"}, "default"),
        ({"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}=abc"}, "default"),
        ({"HTTP_COOKIE": "messages=abc"}, "default"),
    ],
    ids=lambda value: str(value),
)
def test_only_anonymous_pages_read_from_the_replica(environ, database):
    assert reads_from(**environ) == database


def test_a_request_reads_from_the_primary_after_it_writes():
    assert reads_from() == "replica"
    assert router.db_for_write(Measure) == "default"
    assert router.db_for_read(Measure) == "default"
    assert reads_from() == "replica"  # the next request starts afresh


def test_outside_a_request_everything_is_the_primary():
    found = []
    thread = threading.Thread(target=lambda: found.append(router.db_for_read(Measure)))
    thread.start()
    thread.join()
    assert found == ["default"]


def test_reads_in_a_transaction_stay_on_the_primary(db):
    # pytest-django runs this test in a transaction on the primary.
    assert reads_from() == "default"


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "policies")
    assert not router.allow_migrate("replica", "policies")
