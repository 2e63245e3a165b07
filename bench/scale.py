"""`make load`: many readers at once on two app servers, and an editor saving in the middle.

Two gunicorn servers (kbsite/gunicorn_conf.py, as `make serve-proxy UPSTREAM_PORTS="A B"`
starts them) share one PostgreSQL database and one Redis cache behind nginx
(deploy/nginx.conf.template). The database is a copy of a benchmark knowledge base
(default kb_bench_100000: 100,000 measures, built as `make bench` builds it), dropped at the
end. 50 clients on this machine ask for anonymous pages, each its next request when it has
read the last answer to the end; half way through, an editor logged in to the first server's
admin changes a measure's title, and the measure page is then asked of each server once,
straight away: both must show the new title. Loopback only; the run stops by itself.

    python bench/scale.py [--duration 60] [--clients 50] [--template kb_bench_100000]
                          [--servers 2] [--max-load 1.5] [--no-write]

Results go to stdout and to the top of bench/results.md (between <!-- scale:start --> and
<!-- scale:end -->), with the machine's load average beside each figure: the machine may be
shared, so the script first waits (a few times, 30 s each) for a 1-minute load under
--max-load. Exits 1 when a target is missed (--min-rps, --max-p95-ms, any error, an edit not
seen at once).
"""

import argparse
import bisect
import json
import os
import platform
import random
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from html.parser import HTMLParser
from itertools import accumulate
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: deploy/ and bench/ are packages

import redis  # noqa: E402

from bench.load import (  # noqa: E402
    DATA,
    OK,
    Postgres,
    Proxy,
    Server,
    free_port,
    get,
    latencies,
    manage,
    ms,
    percentile,
    start_clients,
    static_files_are_collected,
)
from bench.run import write_section  # noqa: E402
from kbsite import gunicorn_conf  # noqa: E402  (the servers' workers and threads)

EDITOR = "load-editor"
EDITED = "/policies/notices/gxmd-2020-14/measures/8/"


# The editor


class _FormFields(HTMLParser):
    """The fields a browser would send with the form whose id is `form_id`: inputs,
    checked boxes, text areas and selected options, in the page's order."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the caller reads the 302 itself


class AdminSession:
    """An editor logged in to the admin of one app server, as a browser is: cookies, CSRF
    token, the change form sent back whole with the changed fields."""

    def __init__(self, port: int, username: str, password: str):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(), _KeepRedirects
        )
        fields = dict(self.form("/admin/login/", "login-form"))
        status, _ = self.post(
            "/admin/login/?next=/admin/",
            [*fields.items(), ("username", username), ("password", password)],
        )
        if status != 302:
            raise RuntimeError(f"logging in as {username} on {self.base} answered {status}")

    def open(self, path: str, data: bytes | None = None) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as answer:  # 302 (not followed), 4xx, 5xx
            return answer.code, answer.read().decode(errors="replace")

    def form(self, path: str, form_id: str) -> list[tuple[str, str]]:
        status, html = self.open(path)
        if status != 200:
            raise RuntimeError(f"{self.base}{path} answered {status}")
        parser = _FormFields(form_id)
        parser.feed(html)
        return parser.fields

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str]:
        return self.open(path, urllib.parse.urlencode(fields).encode())

    def change(self, model_path: str, **changes: str) -> None:
        """Save the admin's change form at model_path (e.g. /admin/policies/measure/7/change/)
        with these fields changed, as the 保存 button does."""
        form_id = model_path.split("/")[3] + "_form"
        fields = [(k, changes.get(k, v)) for k, v in self.form(model_path, form_id)]
        status, html = self.post(model_path, [*fields, ("_save", "保存")])
        if status != 302:
            errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
            raise RuntimeError(f"saving {model_path} answered {status}: {errors or html[:500]}")


# The pages


def site_urls(env: dict) -> dict[str, list[str]]:
    """Every published measure's, figure's and notice's page, from the database."""
    script = (
        "import json; from django.urls import reverse; "
        "from policies.models import Measure, Notice; from industry.models import Figure; "
        "print(json.dumps({"
        "'measures': [reverse('policies:measure-detail', args=pair) for pair in "
        "Measure.objects.published().order_by('pk').values_list('notice__slug', 'number')], "
        "'ids': list(Measure.objects.published().order_by('pk').values_list('pk', flat=True)), "
        "'figures': [reverse('industry:figure-detail', args=[n]) for n in "
        "Figure.objects.published().order_by('pk').values_list('number', flat=True)], "
        "'notices': [n.get_absolute_url() for n in Notice.objects.published().only('slug')]}))"
    )
    found = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(found.stdout)


class Popular:
    """Items chosen by popularity, as visits to a site's pages go (Zipf, s = 1: the 100th
    page is visited a hundredth as often as the first), ranked in an order shuffled once."""

    def __init__(self, items: list[str], seed: int | None = 15):
        self.ranked = items[:]
        if seed is not None:  # None: ranked as given
            random.Random(seed).shuffle(self.ranked)
        self.cumulative = list(accumulate(1 / rank for rank in range(1, len(items) + 1)))

    def __call__(self, rng: random.Random) -> str:
        return self.ranked[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def page_mix(urls: dict[str, list[str]], measure: Popular) -> list[tuple[str, int, object]]:
    """(page, weight, paths): paths a list to choose from evenly (each is asked for once
    before the run: see warm_up) or a Popular. Anonymous pages only, and no downloads
    (streamed, never kept). 政策匹配 is left out (a staff page, logged in, never kept; it was
    25 s a request at 100,000 measures when this mix was made) to keep runs comparable."""
    words = [
        quote(word) for word in ("贷款", "企业", "中小企业", "获得感", "税费 减免", "复工复产")
    ]
    filters = [
        "topic=credit",
        "topic=credit&target_group=sme",
        "topic=fiscal-tax&region=hubei",
        "target_group=sme&topic=labour",
    ]
    lists = "/policies/measures/"
    return [
        ("home", 8, ["/"]),
        ("home, English", 2, ["/en/"]),
        ("notice list", 3, ["/policies/"]),
        ("notice", 6, Popular(urls["notices"])),
        ("measure list", 6, [f"{lists}?page={page}" for page in range(1, 21)]),
        ("measure list, filtered", 8, [f"{lists}?{f}" for f in filters]),
        ("measure list, words", 8, [f"{lists}?q={word}" for word in words]),
        (
            "measure list, filtered + words",
            5,
            [f"{lists}?{f}&q={word}" for f in filters for word in words],
        ),
        ("measure", 20, measure),
        ("measure, English", 3, Popular(["/en" + path for path in measure.ranked], seed=None)),
        ("site search", 8, [f"/search/?q={word}" for word in words]),
        ("figures table", 5, ["/industry/figures/"]),
        ("figure", 6, Popular(urls["figures"])),
        ("company list", 2, ["/industry/companies/"]),
    ]


def warm_up(port: int, mix, timeout: float = 120) -> tuple[float, Counter]:
    """Ask for each list-chosen page once, two at a time, as visitors would have before: the
    run measures a site in service, not its first minute (computing a list's counts cold
    takes up to a few seconds at 100,000 measures). Seconds taken, and the answers."""
    paths = [path for _, _, paths in mix if isinstance(paths, list) for path in paths]
    start = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        statuses = Counter(pool.map(lambda path: get(port, path, timeout)[0], paths))
    return time.monotonic() - start, statuses


# The run


def edit_and_look(editor: AdminSession, measure_id: int, page: str, ports: list[int]) -> dict:
    """Change the measure's English title through the first server's admin, then ask each
    server for its English page once: what each showed, and how long the save and each
    answer took. (The Chinese title may be the evidence of a classification, which the
    admin then holds to the text.)"""
    title = f"Edited during the load {secrets.token_hex(3)}"
    start = time.monotonic()
    editor.change(f"/admin/policies/measure/{measure_id}/change/", title_en=title)
    saved = time.monotonic() - start
    looks = []
    for port in ports:
        start = time.monotonic()
        status, body = get(port, "/en" + page, timeout=30)
        looks.append((port, status, title in body.decode(), time.monotonic() - start))
    return {"title": title, "saved": saved, "looks": looks}


def copy_database(pg: Postgres, template: str, name: str, seconds: float = 300) -> None:
    """CREATE DATABASE name TEMPLATE template, which PostgreSQL refuses while anyone is
    connected to the template: others may be copying it too, so try again for a while."""
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            pg.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def wait_for_quiet(max_load: float, tries: int = 5, pause: float = 30) -> float:
    """The 1-minute load average once under max_load, or after `tries` waits."""
    for _ in range(tries):
        load = os.getloadavg()[0]
        if load <= max_load:
            return load
        print(f"scale: load average {load:.2f} > {max_load}; waiting {pause:.0f} s", flush=True)
        time.sleep(pause)
    return os.getloadavg()[0]


def workers_cpu(server: Server) -> dict[str, float]:
    """CPU seconds (user + system) each of the server's worker processes has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    pid = server.process.pid
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker recycled meanwhile: its time is lost
            continue
        found[child] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return found


def per_worker(log: Path) -> Counter:
    """Requests each gunicorn worker answered (the access log lines begin with its pid)."""
    found = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"pid=<(\d+)> ", line)
        if match:
            found[match.group(1)] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=10, help="client timeout, seconds")
    parser.add_argument("--servers", type=int, default=2, help="gunicorn app servers")
    parser.add_argument("--edit-at", type=float, help="seconds in (default: half way)")
    parser.add_argument("--template", default="kb_bench_100000", help="database to copy")
    parser.add_argument("--database", default="kb_scale", help="the copy (dropped after)")
    parser.add_argument(
        "--postgres", default=os.environ.get("LOAD_POSTGRES_URL", "postgres://root@127.0.0.1:5432")
    )
    parser.add_argument(
        "--redis", default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for a quieter machine")
    parser.add_argument(
        "--gunicorn-args", default="", help='more gunicorn options, e.g. "--reuse-port"'
    )
    parser.add_argument("--min-rps", type=float, default=290)
    parser.add_argument("--max-p95-ms", type=float, default=250)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    for url in (args.postgres, args.redis):
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit(f"scale: loopback only; {url} is not on this machine")
    args.edit_at = args.duration / 2 if args.edit_at is None else args.edit_at
    pg = Postgres(args.postgres, stop="", start="")
    DATA.mkdir(parents=True, exist_ok=True)

    prefix = f"kb-scale-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_")) and k != "DATABASE_URL"
    }
    env |= {
        "DATABASE_URL": f"{pg.url}/{args.database}",
        "DJANGO_CACHE_URL": args.redis,
        "DJANGO_CACHE_PREFIX": prefix,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # one key for all the servers
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_HTTPS": "0",
        "DJANGO_BEHIND_PROXY": "1",
        "DJANGO_SUPERUSER_USERNAME": EDITOR,
        "DJANGO_SUPERUSER_PASSWORD": password,
        # Every client is 127.0.0.1, which the download throttle would take for one visitor.
        "KB_EXPORTS_PER_MINUTE": "0",
        # Each access log line names the worker process that answered.
        "GUNICORN_CMD_ARGS": '--access-logformat "pid=%(p)s %(s)s %(M)sms %(U)s" '
        + args.gunicorn_args,
    }
    servers, front = [], None
    try:
        load_before = wait_for_quiet(args.max_load)  # before this script adds its own
        print(f"scale: copying {args.template} to {args.database} …", flush=True)
        pg.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        copy_database(pg, args.template, args.database)
        manage(env, "migrate", "--noinput")
        manage(env, "ensure_admin")
        if not static_files_are_collected():
            manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        urls = site_urls(env)
        measures = Popular(urls["measures"])
        # The edited measure is one of the seed's (whose classifications carry the evidence
        # the admin asks for; synthetic ones lack it), made the most visited one, so that the
        # clients meet the edit too.
        measure_id = urls["ids"][urls["measures"].index(EDITED)]
        measures.ranked.remove(EDITED)
        measures.ranked.insert(0, EDITED)
        mix = page_mix(urls, measures)
        ports = [free_port() for _ in range(args.servers)]
        for index, port in enumerate(ports):
            servers.append(Server(env, port, DATA / f"scale-gunicorn-{index + 1}.log"))
        for server in servers:
            server.wait_until_ready()
        port = free_port()
        front = Proxy(port, ports, DATA / "scale-nginx.log")
        editor = AdminSession(ports[0], EDITOR, password)
        print("scale: warming up (each list, search and table page once) …", flush=True)
        warm_seconds, warm_statuses = warm_up(port, mix)

        time.sleep(10)  # the warm-up's requests finished, not running into the load
        load_start = os.getloadavg()[0]
        print(f"scale: {args.clients} clients for {args.duration:.0f} s", flush=True)
        stop, results = threading.Event(), []
        cpu_before = [workers_cpu(server) for server in servers]
        own_before = time.process_time()
        t0 = time.monotonic()
        threads = start_clients(args.clients, port, args.timeout, mix, t0, stop, results)
        time.sleep(max(0.0, t0 + args.edit_at - time.monotonic()))
        load_edit = os.getloadavg()[0]
        edit_at = time.monotonic() - t0
        edit = edit_and_look(editor, measure_id, EDITED, ports)
        time.sleep(max(0.0, t0 + args.duration - time.monotonic()))
        stop.set()
        elapsed = time.monotonic() - t0
        own_cpu = time.process_time() - own_before
        cpu = [
            sorted(
                (seconds - before.get(pid, 0) for pid, seconds in workers_cpu(server).items()),
                reverse=True,
            )
            for server, before in zip(servers, cpu_before, strict=True)
        ]
        load_end = os.getloadavg()[0]
        for thread in threads:
            thread.join(timeout=args.timeout + 5)
    finally:
        if front:
            front.stop()
        for server in servers:
            server.stop()
        pg.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')

        client = redis.Redis.from_url(args.redis)
        for pattern in (f"{prefix}:*", f"{prefix}-counters:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    lines, failed = report(
        args,
        results,
        elapsed,
        edit,
        edit_at,
        (load_before, load_start, load_edit, load_end),
        servers,
        front,
        (warm_seconds, warm_statuses),
        cpu,
        own_cpu,
    )
    print("\n".join(lines))
    if not args.no_write:
        write_section(Path(args.output), "scale", lines, first=True)
    sys.exit(1 if failed else 0)


def report(args, results, elapsed, edit, edit_at, loads, servers, front, warm, cpu, own_cpu):
    load_before, load_start, load_edit, load_end = loads
    warm_seconds, warm_statuses = warm
    total_cpu = sum(sum(workers) for workers in cpu)
    results = sorted(results, key=lambda r: r.start)
    errors = Counter(r.outcome for r in results if r.outcome != OK)
    rps = len(results) / elapsed
    p95 = percentile([r.latency for r in results], 95)
    before = [r for r in results if r.start + r.latency < edit_at]
    after = [r for r in results if r.start >= edit_at + edit["saved"]]
    after_seconds = elapsed - edit_at - edit["saved"]
    seen = all(status == 200 and shown for _, status, shown, _ in edit["looks"])
    upstreams = Counter(
        match.group(1)
        for line in front.access_log.read_text(errors="replace").splitlines()
        if (match := re.search(r" (127\.0\.0\.1:\d+) [\d.]+ \"", line))
    )
    machine = (
        f"{platform.node()}: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    load = f"load average {load_start:.2f} at the start, {load_end:.2f} at the end"
    lines = [
        f"## {args.servers} app servers, {args.clients} clients, "
        f"{datetime.now().strftime('%Y-%m-%d %H:%M')} (`make load`)",
        "",
        f"Measured on {machine} with `python bench/scale.py {' '.join(sys.argv[1:])}`".rstrip()
        + f": {args.servers} gunicorn servers ({gunicorn_conf.workers} workers × {gunicorn_conf.threads} threads each, "
        "kbsite/gunicorn_conf.py) behind nginx (deploy/, `least_conn`), sharing one "
        f"PostgreSQL database (a copy of {args.template}) and one Redis cache; "
        f"{args.clients} clients on the same machine for {args.duration:.0f} s, each asking "
        "for its next page when it has read the last to the end. Pages drawn from the mix "
        "below; measures, figures and notices by popularity (Zipf over all of them), the "
        f"rest evenly from fixed lists, each of which was asked for once before the run "
        f"({sum(warm_statuses.values())} pages in {warm_seconds:.0f} s, two at a time: "
        f"{dict(warm_statuses)}), as a site in service has been. At {edit_at:.0f} s an "
        "editor saves a measure's English title in the first server's admin (every kept "
        "page and the measures' counts are then out of date). The machine's load average "
        f"(1 min) was {load_before:.2f} before the script started, with the warm-up's own "
        f"work in it {load_start:.2f} when the clients started.",
        "",
        "| figure | value | load average (1 min) |",
        "|---|---|---|",
        f"| requests/s | **{rps:,.0f}** ({len(results):,} in {elapsed:.0f} s; "
        f"target ≥ {args.min_rps:.0f}) | {load_start:.2f} at the start, {load_end:.2f} at the end |",
        f"| latency p50 / p95 / p99 | **{latencies(results)} ms** (target p95 ≤ "
        f"{args.max_p95_ms:.0f} ms) | {load_start:.2f} / {load_end:.2f} |",
        f"| errors | **{sum(errors.values())}** {dict(errors) or ''} | {load_start:.2f} / {load_end:.2f} |",
        f"| before the edit (0–{edit_at:.0f} s) | {len(before) / edit_at:,.0f} requests/s, "
        f"p50 / p95 / p99 {latencies(before)} ms, "
        f"{sum(r.outcome != OK for r in before)} errors | {load_start:.2f} / {load_edit:.2f} |",
        f"| after the edit ({edit_at + edit['saved']:.0f}–{elapsed:.0f} s) | "
        f"{len(after) / after_seconds:,.0f} requests/s, p50 / p95 / p99 {latencies(after)} ms, "
        f"{sum(r.outcome != OK for r in after)} errors | {load_edit:.2f} / {load_end:.2f} |",
        f"| the edit | saved in {ms(edit['saved'])} ms; the next request to each server: "
        + "; ".join(
            f"{'shows it' if shown else 'DOES NOT show it'} ({status}, {ms(seconds)} ms)"
            for _, status, shown, seconds in edit["looks"]
        )
        + f" | {load_edit:.2f} at the edit |",
        "| answered by | "
        + ", ".join(
            f"server {i + 1}: {upstreams[f'127.0.0.1:{server.port}']:,}"
            for i, server in enumerate(servers)
        )
        + f" | {load} |",
        f"| app servers' CPU | {total_cpu:.1f} s in {elapsed:.0f} s "
        f"({total_cpu / elapsed:.2f} of the {os.cpu_count()} cores; "
        f"{1000 * total_cpu / max(1, len(results)):.1f} ms a request); each worker's: "
        + "; ".join(
            f"server {i + 1} " + " / ".join(f"{seconds:.1f}" for seconds in workers) + " s"
            for i, workers in enumerate(cpu)
        )
        + f"; the clients (this script) {own_cpu:.1f} s | {load} |",
        "| requests per worker | "
        + "; ".join(
            f"server {i + 1}: "
            + " / ".join(f"{n:,}" for _, n in per_worker(server.log).most_common())
            for i, server in enumerate(servers)
        )
        + f" | {load} |",
        "",
        "| page | requests | errors | p50 / p95 / p99 ms |",
        "|---|---|---|---|",
    ]
    for page in dict.fromkeys(r.page for r in results):
        rows = [r for r in results if r.page == page]
        lines.append(
            f"| {page} | {len(rows):,} | {sum(r.outcome != OK for r in rows)} | {latencies(rows)} |"
        )
    found = []
    if rps < args.min_rps:
        found.append(f"{rps:.0f} requests/s, under {args.min_rps:.0f}")
    if p95 * 1000 > args.max_p95_ms:
        found.append(f"p95 {ms(p95)} ms, over {args.max_p95_ms:.0f}")
    if errors:
        found.append(f"errors: {dict(errors)}")
    if not seen:
        found.append("a server did not show the edit on the next request")
    lines += ["", f"**Verdict**: {'; '.join(found) or 'meets every target'}."]
    return lines, bool(found)


if __name__ == "__main__":
    main()
