"""Reads from a replica, writes to the primary (DATABASE_REPLICA_URL; kbsite/settings.py).

An anonymous visitor's GET or HEAD reads from the replica ("replica"), the many readers the
replica is there for. The primary ("default") takes every write and every read of a request
that has written or may write, or that must see what was just written: anything but GET and
HEAD, the admin, a request with a session or messages cookie (an editor who has just saved
sees the save on the next page, whatever the replica's lag), and the rest of any request
after its first write or inside a transaction. Outside requests (commands, the shell), the
primary. Only the primary is migrated: a streaming replica copies its schema.
"""

import re
import threading

from django.db import connections
from django.http.cookie import parse_cookie

from core.caching import personal_cookies

_request = threading.local()
PRIMARY_PATHS = re.compile(r"^/admin/")


def route_request(environ=None, **kwargs):
    """At each request's start (core.apps): may it read from the replica?"""
    environ = environ or {}
    cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
    _request.replica = (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and not PRIMARY_PATHS.match(environ.get("PATH_INFO", ""))
        and not any(name in cookies for name in personal_cookies())
    )


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if getattr(_request, "replica", False) and not connections["default"].in_atomic_block:
            return "replica"
        return "default"

    def db_for_write(self, model, **hints):
        _request.replica = False  # the rest of this request reads what it wrote
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data under two names

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
