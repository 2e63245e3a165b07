"""The production serving: gunicorn as `make serve` starts it, behind nginx with the shipped
deploy/nginx.conf.template. Real servers on free loopback ports; nginx must be installed
(.ci/run installs it) — a missing nginx fails here with a message, it is not skipped."""

import http.client
import os
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import SlowHeaderClients, free_port, probe, static_files_are_collected
from bench.scale import AdminSession
from deploy import proxy

# Lets the tests' nginx workers (run as root when the tests are) read the test's private
# temporary directory; production uses deploy/proxy.py's default, www-data.
USER = "root" if os.geteuid() == 0 else None


def start_nginx(tmp, name, upstreams, access_log="off", **options):
    port = free_port()
    run_dir = tmp / name
    config = proxy.render(
        listen=f"127.0.0.1:{port}",
        upstreams=upstreams,
        static_root=tmp / "static",
        run_dir=run_dir,
        access_log=access_log,
        user=USER,
        **options,
    )
    nginx = proxy.Nginx(config, run_dir, output=(tmp / f"{name}.log").open("w"))
    nginx.wait_until_listening("127.0.0.1", port)
    return nginx, port


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """gunicorn (1 worker x 2 threads, so a few slow clients are enough to starve it) and
    nginx in front of it, plain HTTP and HTTPS."""
    try:
        proxy.nginx_binary()
    except proxy.NginxMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    tmp = tmp_path_factory.mktemp("deploy")
    static = tmp / "static"
    static.mkdir()
    (static / "site.0123456789ab.css").write_text("body { color: black }\n" * 50)
    subprocess.run(["gzip", "-k", str(static / "site.0123456789ab.css")], check=True)
    (static / "robots.txt").write_text("User-agent: *\n")

    gunicorn_port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_", "GUNICORN_")) and k != "DATABASE_URL"
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",  # /healthz only needs to connect
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_HTTPS": "1",
        "DJANGO_BEHIND_PROXY": "1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    log = (tmp / "gunicorn.log").open("w")
    app = proxy.gunicorn(f"127.0.0.1:{gunicorn_port}", env=env, output=log)
    started = []
    try:
        proxy.wait_for_port("127.0.0.1", gunicorn_port, 60, app)
        nginx, nginx_port = start_nginx(tmp, "plain", [f"127.0.0.1:{gunicorn_port}"])
        started.append(nginx)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-subj", "/CN=127.0.0.1", "-keyout", str(tmp / "key.pem")]
            + ["-out", str(tmp / "cert.pem")],
            check=True,
            capture_output=True,
        )
        tls, tls_port = start_nginx(
            tmp,
            "tls",
            [f"127.0.0.1:{gunicorn_port}"],
            certificate=tmp / "cert.pem",
            key=tmp / "key.pem",
        )
        started.append(tls)
        deadline = time.monotonic() + 60
        while probe(nginx_port) is None:  # Django is loaded once a request gets through
            assert time.monotonic() < deadline, (tmp / "gunicorn.log").read_text()
            time.sleep(0.2)
        yield {"gunicorn": gunicorn_port, "nginx": nginx_port, "tls": tls_port, "tmp": tmp}
    finally:
        for nginx in started:
            nginx.stop()
        proxy.stop_process(app)
        log.close()


def request(port, path, headers=None, tls=False, method="GET"):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def test_gunicorn_sends_no_server_header(servers):
    response = request(servers["gunicorn"], "/healthz")
    assert response.status == 200
    assert response.getheader("Server") is None


def test_gunicorn_closes_each_connection_after_its_answer(servers):
    """A worker takes no more connections than it has threads (kbsite/gunicorn_conf.py):
    a kept-open connection would stay with the worker that accepted it, and a client's
    connections could all land on one worker while the others idle."""
    response = request(servers["gunicorn"], "/healthz", headers={"Connection": "keep-alive"})
    assert response.status == 200
    assert response.getheader("Connection") == "close"
    # Behind nginx the browser's connection stays open: nginx holds it.
    response = request(servers["nginx"], "/healthz", headers={"Connection": "keep-alive"})
    assert response.getheader("Connection") == "keep-alive"


def test_nginx_names_itself_without_a_version(servers):
    response = request(servers["nginx"], "/healthz")
    assert response.status == 200
    assert response.getheader("Server") == "nginx"


def test_slow_header_clients_starve_gunicorn_alone_but_not_behind_nginx(servers):
    """40 connections trickling headers: /healthz through nginx still answers at once;
    straight to gunicorn it does not answer at all."""
    with SlowHeaderClients(servers["nginx"], count=40, interval=0.5):
        time.sleep(0.5)
        answers = [probe(servers["nginx"], timeout=2) for _ in range(5)]
    assert all(seconds is not None and seconds < 1 for seconds in answers), answers

    with SlowHeaderClients(servers["gunicorn"], count=40, interval=0.5):
        time.sleep(0.5)
        assert probe(servers["gunicorn"], timeout=1.5) is None
    # The slow clients gone, gunicorn's threads are free again.
    assert probe(servers["gunicorn"], timeout=5) is not None


def test_the_proxy_tells_django_the_scheme_and_a_client_cannot_forge_it(servers):
    # Plain HTTP through nginx: Django (DJANGO_HTTPS=1) sends the browser to HTTPS, even when
    # the client claims the request came over HTTPS.
    response = request(servers["nginx"], "/en/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 301
    assert response.getheader("Location") == "https://127.0.0.1/en/"
    forged = request(servers["nginx"], "/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers
    # Over TLS, Django knows the request is secure (HSTS is only sent on secure requests).
    response = request(servers["tls"], "/healthz", tls=True)
    assert response.status == 200
    assert "max-age=" in response.getheader("Strict-Transport-Security")


def test_gunicorn_believes_no_other_scheme_header(servers):
    """Only X-Forwarded-Proto, which nginx overwrites, may say a request came over HTTPS:
    a client on the machine that reaches gunicorn itself cannot pass a plain request off as
    a secure one with the other headers gunicorn knows."""
    for forged in ({"X-Forwarded-Ssl": "on"}, {"X-Forwarded-Protocol": "ssl"}):
        response = request(servers["gunicorn"], "/healthz", headers=forged)
        assert response.status == 200, forged
        assert "Strict-Transport-Security" not in response.headers, forged


class Recorder(BaseHTTPRequestHandler):
    """An upstream that records the headers it gets; /broken starts a chunked answer and
    breaks it off, as the site does when it loses the database in the middle of an export."""

    protocol_version = "HTTP/1.1"
    seen: list = []

    def do_GET(self):
        if self.path == "/broken":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nrow 1\r\n")
            self.wfile.flush()
            self.close_connection = True
            return
        self.seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Server", "upstream/1.0")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_the_proxy_replaces_the_clients_forwarding_headers(servers):
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    nginx, port = start_nginx(
        servers["tmp"], "recorder", [f"127.0.0.1:{upstream.server_address[1]}"]
    )
    try:
        forged = {
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Ssl": "on",
            "X-Forwarded-Protocol": "ssl",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Port": "443",
        }
        response = request(port, "/anything", headers={**forged, "Forwarded": "for=203.0.113.9"})
        # A download the upstream breaks off stays broken off for the client.
        with pytest.raises(http.client.IncompleteRead):
            request(port, "/broken")
    finally:
        nginx.stop()
        upstream.shutdown()
    assert response.status == 200
    assert response.getheader("Server") == "nginx"  # not the upstream's
    seen = Recorder.seen[0]
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["Host"] == "127.0.0.1"
    assert "Forwarded" not in seen
    for name in ("X-Forwarded-Ssl", "X-Forwarded-Protocol", "X-Forwarded-Host", "X-Forwarded-Port"):
        assert name not in seen, name
    assert seen["Connection"] == "close"  # a fresh connection for each request


def test_nginx_serves_static_files_with_their_cache_lifetime(servers):
    response = request(
        servers["nginx"], "/static/site.0123456789ab.css", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response = request(servers["nginx"], "/static/robots.txt")
    assert response.getheader("Cache-Control") == "public, max-age=300"
    assert request(servers["nginx"], "/static/missing.css").status == 404


def test_nginx_refuses_an_oversized_body_without_bothering_gunicorn(servers):
    with socket.create_connection(("127.0.0.1", servers["nginx"]), timeout=5) as sock:
        sock.sendall(
            b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: 20000000\r\nContent-Type: text/plain\r\n\r\n"
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 413")


REDIS_URL = "redis://127.0.0.1:6379/0"
MANAGE = [sys.executable, "manage.py"]


def seeded_workers(tmp_path, **settings):
    """gunicorn with three one-thread workers over a seeded SQLite knowledge base in
    tmp_path (or the DATABASE_URL given), with these settings and none of the caller's
    (DJANGO_*, KB_*, GUNICORN_*): (its environment, port, process, log file)."""
    env = seeded_environment(tmp_path, **settings)
    return (env, *start_workers(tmp_path, env))


def seeded_environment(tmp_path, **settings) -> dict:
    """The environment of seeded_workers, its database migrated and seeded."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_", "GUNICORN_")) and k != "DATABASE_URL"
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_HTTPS": "0",
        "WEB_CONCURRENCY": "3",
        "GUNICORN_THREADS": "1",
        "GUNICORN_LOG_LEVEL": "warning",
        **settings,
    }
    commands = [["migrate", "--noinput"], ["seed"]]
    if not static_files_are_collected():  # as `make serve` does: the pages need the manifest
        commands.append(["collectstatic", "--noinput", "--verbosity", "0"])
    for command in commands:
        subprocess.run(MANAGE + command, cwd=proxy.ROOT, env=env, check=True, capture_output=True)
    return env


def start_workers(tmp_path, env, name="gunicorn"):
    """gunicorn on a free port with this environment: (port, process, log file)."""
    port = free_port()
    log = (tmp_path / f"{name}.log").open("w")
    return port, proxy.gunicorn(f"127.0.0.1:{port}", env=env, output=log), log


def forget_redis_keys(prefix: str) -> None:
    """Delete a test's keys (the cache's, the counters' and the pages') from REDIS_URL."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for pattern in (f"{prefix}:*", f"{prefix}-counters:*", f"{prefix}-pages:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)


def test_the_download_throttle_is_one_count_for_all_workers(tmp_path):
    """Three gunicorn workers sharing DJANGO_CACHE_URL's Redis: one client gets
    KB_EXPORTS_PER_MINUTE downloads a minute in all, not that many per worker (with the
    per-process memory cache, each worker counted its own)."""
    prefix = f"kb-test-{secrets.token_hex(4)}"
    _env, port, app, log = seeded_workers(
        tmp_path,
        DJANGO_CACHE_URL=REDIS_URL,
        DJANGO_CACHE_PREFIX=prefix,
        KB_EXPORTS_PER_MINUTE="2",
    )
    try:
        proxy.wait_for_port("127.0.0.1", port, 60, app)
        statuses = []

        def download():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/industry/actions.csv")
            statuses.append(connection.getresponse().status)
            connection.close()

        # One after another on fresh connections, as a script downloading in a loop does:
        # the workers take turns accepting them.
        minutes = {int(time.time() // 60)}
        for _ in range(30):
            download()
        minutes.add(int(time.time() // 60))  # a new minute gives a new allowance
        assert statuses.count(200) <= 2 * len(minutes), statuses
        assert set(statuses) == {200, 429}, statuses
    finally:
        proxy.stop_process(app)
        log.close()
        forget_redis_keys(prefix)


@pytest.mark.parametrize("shared_cache", [False, True], ids=["memory-per-worker", "redis"])
def test_an_edit_is_seen_at_once_by_every_worker(tmp_path, shared_cache):
    """Three gunicorn workers that have each kept the page (in its own memory, or in one
    Redis): after an edit saved by another process, every worker's next answer shows it, as
    the data version they key pages on is read from the database on every request."""
    prefix = f"kb-test-{secrets.token_hex(4)}"
    cache = {"DJANGO_CACHE_URL": REDIS_URL, "DJANGO_CACHE_PREFIX": prefix} if shared_cache else {}
    env, port, app, log = seeded_workers(tmp_path, **cache)
    page = "/policies/notices/gxmd-2020-14/measures/8/"

    def pages(count: int) -> list[str]:
        found = []
        for _ in range(count):  # fresh connections: the workers take turns accepting them
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", page)
            response = connection.getresponse()
            assert response.status == 200
            found.append(response.read().decode())
            connection.close()
        return found

    try:
        proxy.wait_for_port("127.0.0.1", port, 60, app)
        assert not any("跨进程改过的标题" in html for html in pages(12))
        edit = (
            "from policies.models import Measure; "
            "m = Measure.objects.get(heading__notice__slug='gxmd-2020-14', number=8); "
            "m.title = '跨进程改过的标题'; m.save()"
        )
        subprocess.run(
            [*MANAGE, "shell", "-c", edit], cwd=proxy.ROOT, env=env, check=True, capture_output=True
        )
        assert all("跨进程改过的标题" in html for html in pages(12))
    finally:
        proxy.stop_process(app)
        log.close()
        if shared_cache:
            forget_redis_keys(prefix)


POSTGRES_URL = os.environ.get("CI_POSTGRES_URL", "postgres://root@127.0.0.1:5432/postgres")


def test_two_app_servers_share_one_database_and_one_cache(tmp_path):
    """Two gunicorn servers on one PostgreSQL database and one Redis cache behind nginx
    (make serve-proxy UPSTREAM_PORTS="A B"): a page one server kept is answered by the other
    from the shared cache (with a cache per server, the other renders its own); a title saved
    in one server's admin is on the other's next page; nginx passes requests to both."""
    import psycopg

    database = f"kb_test_two_{secrets.token_hex(4)}"
    server_url = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        admin_db = psycopg.connect(
            POSTGRES_URL.replace("postgres://", "postgresql://", 1),
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(f"two app servers need PostgreSQL at {POSTGRES_URL}: {exc}", pytrace=False)
    admin_db.execute(f'CREATE DATABASE "{database}"')
    prefix = f"kb-test-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    apps, logs, nginx = [], [], None
    try:
        env, port_a, app_a, log_a = seeded_workers(
            tmp_path,
            DATABASE_URL=f"{server_url}/{database}",
            DJANGO_CACHE_URL=REDIS_URL,
            DJANGO_CACHE_PREFIX=prefix,
            DJANGO_BEHIND_PROXY="1",
            DJANGO_SUPERUSER_USERNAME="editor",
            DJANGO_SUPERUSER_PASSWORD=password,
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="2",
        )
        apps.append(app_a)
        logs.append(log_a)
        port_b, app_b, log_b = start_workers(tmp_path, env, "gunicorn-b")
        apps.append(app_b)
        logs.append(log_b)
        for command in (["ensure_admin"], ["shell", "-v", "0", "-c", MEASURE_8_ID]):
            found = subprocess.run(
                MANAGE + command, cwd=proxy.ROOT, env=env, check=True, capture_output=True
            )
        measure_id = int(found.stdout)
        for port, app in zip((port_a, port_b), apps, strict=True):
            proxy.wait_for_port("127.0.0.1", port, 60, app)
        (tmp_path / "static").mkdir()
        nginx, nginx_port = start_nginx(
            tmp_path,
            "two",
            [f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}"],
            access_log=str(tmp_path / "nginx-access.log"),
        )
        page = "/en/policies/notices/gxmd-2020-14/measures/8/"

        # The Host nginx passes on (the page names it, and is kept under it), not the port's.
        host = {"Host": "127.0.0.1"}
        kept = request(port_a, page, headers=host)
        assert kept.status == 200
        time.sleep(1.1)  # a page made now would say a later Last-Modified
        again = request(port_b, page, headers=host)
        assert again.status == 200
        assert again.getheader("ETag") == kept.getheader("ETag")
        assert again.getheader("Last-Modified") == kept.getheader("Last-Modified")

        editor = AdminSession(port_a, "editor", password)
        title = "Saved on one server, seen on the other"
        assert title not in page_text(port_b, page)
        editor.change(f"/admin/policies/measure/{measure_id}/change/", title_en=title)
        for port in (port_b, port_a):
            assert title in page_text(port, page)
        for _ in range(6):
            assert title in page_text(nginx_port, page)
        answered = (tmp_path / "nginx-access.log").read_text()
        for port in (port_a, port_b):
            assert f" 127.0.0.1:{port} " in answered, answered
    finally:
        if nginx:
            nginx.stop()
        for app in apps:
            proxy.stop_process(app)
        for log in logs:
            log.close()
        admin_db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin_db.close()
        forget_redis_keys(prefix)


MEASURE_8_ID = (
    "from policies.models import Measure; "
    "print(Measure.objects.get(heading__notice__slug='gxmd-2020-14', number=8).pk)"
)


def page_text(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200, (port, response.status)
        return response.read().decode()
    finally:
        connection.close()


def test_several_app_servers_are_refused_without_a_shared_cache():
    two = ["127.0.0.1:8001", "127.0.0.1:8002"]
    assert "DJANGO_CACHE_URL" in proxy.shared_cache_problem(two, {})
    assert proxy.shared_cache_problem(two, {"DJANGO_CACHE_URL": REDIS_URL}) is None
    assert proxy.shared_cache_problem(two[:1], {}) is None  # one server: its workers' memory


def test_a_replica_serves_anonymous_pages_and_the_primary_everything_else(tmp_path):
    """DATABASE_REPLICA_URL (core.routers), with a copy of the database standing in for a
    replica that has not caught up: an anonymous visitor's page shows the replica's title,
    an editor (logged in) sees the primary's, and the admin saves to the primary."""
    import sqlite3

    password = secrets.token_urlsafe(16)
    env = seeded_environment(
        tmp_path, DJANGO_SUPERUSER_USERNAME="editor", DJANGO_SUPERUSER_PASSWORD=password
    )
    subprocess.run(MANAGE + ["ensure_admin"], cwd=proxy.ROOT, env=env, check=True)
    replica = tmp_path / "replica.sqlite3"
    replica.write_bytes((tmp_path / "db.sqlite3").read_bytes())
    edit = (
        "from policies.models import Measure; "
        "m = Measure.objects.get(heading__notice__slug='gxmd-2020-14', number=8); "
        "m.title_en = 'On the primary only'; m.save(); print(m.pk)"
    )
    found = subprocess.run(
        MANAGE + ["shell", "-v", "0", "-c", edit],
        cwd=proxy.ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
    )
    measure_id = int(found.stdout)
    env["DATABASE_REPLICA_URL"] = f"sqlite:///{replica}"
    port, app, log = start_workers(tmp_path, env)
    page = "/en/policies/notices/gxmd-2020-14/measures/8/"

    def title_in(path: str) -> str:
        with sqlite3.connect(path) as db:
            return db.execute(
                "SELECT title_en FROM policies_measure WHERE id = ?", [measure_id]
            ).fetchone()[0]

    try:
        proxy.wait_for_port("127.0.0.1", port, 60, app)
        assert "On the primary only" not in page_text(port, page)
        editor = AdminSession(port, "editor", password)
        assert "On the primary only" in editor.open(page)[1]
        change = f"/admin/policies/measure/{measure_id}/change/"
        assert "On the primary only" in editor.open(change)[1]
        editor.change(change, title_en="Saved in the admin")
        assert title_in(tmp_path / "db.sqlite3") == "Saved in the admin"
        assert title_in(replica) != "Saved in the admin"
    finally:
        proxy.stop_process(app)
        log.close()
