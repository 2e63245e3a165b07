"""gunicorn settings for `make serve`: a worker per core and one more, two threads each."""

import multiprocessing
import os

from gunicorn.http import wsgi

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
# cores + 1 processes of two threads each: a thread waits on the database while the other
# runs. More of them only share the same cores: on this 2-core machine, two app servers of
# 5 x 4 (the earlier default) against 3 x 2 under `make load` gave 303 and 361 against 327
# and 398 requests/s, p95 551 and 471 against 352 and 284 ms (bench/results.md). Behind
# nginx (a fresh connection for each request) the workers share the requests evenly;
# reuse_port spread them no better and one-thread workers worse (README, "More than one app
# server").
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# A worker takes no more connections than it has threads, and closes each one after its
# answer: the worker that accepts a connection can start on it at once, and clients that keep
# their connections open (wrk, a browser straight to gunicorn) no longer pile up on the worker
# that happened to accept them, with the other idle (bench/results.md, side by side: the
# measure list at 42.8 or 148 requests/s from one round to the next, 128–133 with this).
# nginx (deploy/) keeps the browsers' connections open and opens one to gunicorn per request.
worker_connections = threads
keepalive = 0
timeout = 30
graceful_timeout = 20
# Recycle workers now and then so a slow leak can never grow without bound: every 50,000
# requests or so. Two workers answer about a thousand kept pages a second, and every start
# costs a second of CPU and the caches kept in process (with 5,000, side by side, 54 workers
# started again in 30 s of wrk).
max_requests = 50000
max_requests_jitter = 5000
# No control socket (gunicorn 25+): its default path is one per user account, so every
# gunicorn on the machine (two app servers, the tests, the load script) would take it over
# from the last, and `gunicornc` could stop the wrong one. Signals manage the server instead.
control_socket_disable = True
# The scheme only from the one header nginx sets (deploy/), which it overwrites: gunicorn
# would otherwise also believe X-Forwarded-Ssl and X-Forwarded-Protocol from any loopback
# client, and Django would take a plain request for a secure one.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


# No `Server: gunicorn` header: it tells an attacker what to aim at and nothing to anyone else.
# gunicorn has no setting for it; its Response writes the line in default_headers().
_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


wsgi.Response.default_headers = _default_headers_without_server
