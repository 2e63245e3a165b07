"""Telling an outage from a bug, and logging the answers that are not bugs in one line.

An outage is the database out of reach: the connection refused, lost or timed out, the
pool empty, SQLite's file unopenable or held locked by another writer. Trying again later
helps, so it is a 503 with Retry-After. Anything else a statement raises (a wrong column,
bad data, a broken constraint, a statement cancelled by its timeout, a deadlock) is a bug
or a data problem: a 500, logged with its traceback.
"""

import logging

from django.db import InterfaceError, OperationalError

# PostgreSQL's SQLSTATEs for a server that refuses or drops the connection: class 08
# (connection exception), shutting down or starting up (57P01-57P03), too many clients.
PG_UNAVAILABLE_CLASSES = ("08",)
PG_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300"}
# SQLite's result codes (and their messages, for errors that carry no code) for a file that
# cannot be opened or is locked by another connection beyond the busy timeout.
SQLITE_UNAVAILABLE_CODES = ("SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED")
SQLITE_UNAVAILABLE_MESSAGES = ("unable to open database file", "database is locked")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether this error means the database could not be reached (answer 503)."""
    if isinstance(exc, InterfaceError):  # the connection was already closed or broken
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__  # the driver's error, which Django wraps
    if cause is None:
        return True  # not from a driver: Django's own word that the connection failed
    if hasattr(cause, "sqlstate"):  # psycopg
        state = cause.sqlstate
        # Errors psycopg raises itself (connection failed or lost, pool timeout) have none.
        return (
            state is None
            or state.startswith(PG_UNAVAILABLE_CLASSES)
            or state in PG_UNAVAILABLE_STATES
        )
    code = getattr(cause, "sqlite_errorname", None)
    if code:
        return code.startswith(SQLITE_UNAVAILABLE_CODES)
    return str(cause).startswith(SQLITE_UNAVAILABLE_MESSAGES)


class ExpectedStatusesInOneLine(logging.Filter):
    """On the django.request logger: a 403, 404 or 503 is the site working as meant (a
    refusal, a missing page, the database away), not a bug to debug. Log it as one line
    that names the exception, without the traceback (an outage otherwise writes one per
    request). A 500 keeps its traceback."""

    STATUSES = {403, 404, 503}

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in self.STATUSES and record.exc_info:
            exc = record.exc_info[1]
            if exc is not None:
                record.msg = f"{record.getMessage()} ({summary(exc)})"
                record.args = ()
            record.exc_info = record.exc_text = None
        return True


def summary(exc: BaseException) -> str:
    """The exception's type and the first line of its message."""
    return f"{type(exc).__name__}: {next(iter(str(exc).splitlines()), '')}"
