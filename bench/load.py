"""Load and faults: serve the site as in production (gunicorn behind nginx as
`make serve-proxy` runs them, debug off) against a fresh PostgreSQL database; first hold
slow-header connections ("slowloris") open and probe /healthz through nginx, and straight to
gunicorn for comparison; then drive a mixed browse/search/export load from concurrent
clients, stop PostgreSQL for a while in the middle of it, and report throughput, latency, what
clients got during the outage, how many log lines each request wrote meanwhile, and how soon
every request succeeded again. Loopback only.

    python bench/load.py [--duration 60] [--clients 50] [--outage 10] [--no-fault]
                         [--modes persistent pool] [--synthetic 50] [--no-proxy]
                         [--slow-clients 40] [--slow-seconds 10]

Each mode starts its own gunicorn: `persistent` keeps Django's persistent connections
(the default settings), `pool` sets DJANGO_DB_POOL=1. The database (kb_load) is created
afresh, seeded, and dropped at the end. PostgreSQL is always started again and checked
before the script exits, even after an error or Ctrl-C. The results go to stdout and to
their own section of bench/results.md, between <!-- load:start --> and <!-- load:end -->.
"""

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: deploy/ is a package beside bench/

from bench.run import write_section  # noqa: E402
from deploy import proxy  # noqa: E402
from kbsite import gunicorn_conf  # noqa: E402  (the servers' workers and threads)

DATA = ROOT / "bench" / ".data"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
OK = "200"


@dataclass(frozen=True)
class Result:
    start: float  # seconds since the load began
    latency: float  # seconds
    page: str
    outcome: str  # the HTTP status, "timeout" or "error: <exception>"


@dataclass
class Run:
    mode: str
    duration: float
    results: list[Result] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)  # seconds since the load began
    server_log: str = ""
    load_average: str = ""  # of the whole machine, which other work may share
    log_lines: dict[str, dict[str, int]] = field(default_factory=dict)
    slow: list[dict] = field(default_factory=list)  # the slow-header phase: name, line, ...


# Postgres


class Postgres:
    """The server the site's database lives on, and how to stop and start it."""

    def __init__(self, url: str, stop: str, start: str):
        self.url, self.stop_command, self.start_command = url.rstrip("/"), stop, start
        self.stopped = False

    def connect(self, database: str = "postgres"):
        import psycopg

        url = self.url.replace("postgres://", "postgresql://", 1)
        return psycopg.connect(f"{url}/{database}", autocommit=True, connect_timeout=3)

    def is_up(self) -> bool:
        try:
            with self.connect() as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:
            return False

    def execute(self, sql: str) -> None:
        with self.connect() as conn:
            conn.execute(sql)

    def stop(self) -> None:
        self.stopped = True  # set first: a failed or interrupted stop must still be undone
        subprocess.run(shlex.split(self.stop_command), check=True, timeout=60)

    def start(self) -> None:
        subprocess.run(shlex.split(self.start_command), timeout=120)
        if self.wait_until_up(60):
            self.stopped = False

    def wait_until_up(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.is_up():
                return True
            time.sleep(0.5)
        return False

    def ensure_up(self) -> None:
        """Start the server again if this script stopped it, and make sure it answers."""
        if self.stopped or not self.is_up():
            print("load: starting PostgreSQL again …", file=sys.stderr, flush=True)
            for _ in range(3):
                try:
                    self.start()
                except Exception as exc:  # keep trying: others depend on this server
                    print(f"load: {self.start_command!r} failed: {exc}", file=sys.stderr)
                if self.is_up():
                    break
        if not self.wait_until_up(30):
            sys.exit(f"load: PostgreSQL is DOWN. Start it by hand: {self.start_command}")
        print("load: PostgreSQL is up.", file=sys.stderr, flush=True)


# The site under test


def site_environment(database_url: str, port: int, pool: bool) -> dict[str, str]:
    # Nothing from the caller's Django settings leaks in: the run is the same everywhere.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_")) and k != "DATABASE_URL"
    }
    return {
        **base,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_HTTPS": "0",
        "DJANGO_DB_POOL": "1" if pool else "0",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # Every simulated visitor comes from 127.0.0.1, which the per-address download
        # throttle would take for one client; the throttle has its own tests.
        "KB_EXPORTS_PER_MINUTE": "0",
    }


def manage(env: dict, *args: str, script: str = "manage.py") -> None:
    result = subprocess.run(
        [PYTHON, script, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{result.stderr}")


def static_files_are_collected() -> bool:
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in (ROOT / "static").rglob("*") if p.is_file())


def build_database(pg: Postgres, name: str, synthetic: int) -> str:
    pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg.execute(f'CREATE DATABASE "{name}"')
    url = f"{pg.url}/{name}"
    env = site_environment(url, 0, pool=False)
    manage(env, "migrate", "--noinput")
    manage(env, "seed")
    if synthetic:
        manage(env, str(synthetic), script="bench/synthetic.py")
    if not static_files_are_collected():  # as `make serve` does; the pages need the manifest
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    with pg.connect(name) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


class Server:
    """gunicorn as `make serve` starts it, in its own process group, logging to a file."""

    def __init__(self, env: dict, port: int, log: Path):
        self.port, self.log = port, log
        self.log_file = log.open("w")
        self.process = proxy.gunicorn(f"127.0.0.1:{port}", env=env, output=self.log_file)

    def wait_until_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            # Only once this gunicorn holds the port is the answer its own.
            listening = f"Listening at: http://127.0.0.1:{self.port} " in self.log.read_text()
            try:
                if listening and get(self.port, "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the master stops its workers gracefully
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group: only gunicorn
                self.process.wait(timeout=10)
        self.log_file.close()


class Proxy:
    """nginx with deploy/nginx.conf.template in front of gunicorn (one or several), as
    `make serve-proxy` runs them; its access log and errors go to files."""

    def __init__(self, port: int, upstreams: list[int], access_log: Path):
        self.port, self.access_log = port, access_log
        run_dir = DATA / "nginx"
        config = proxy.render(
            listen=f"127.0.0.1:{port}",
            upstreams=[f"127.0.0.1:{upstream}" for upstream in upstreams],
            static_root=ROOT / "staticfiles",
            run_dir=run_dir,
            access_log=str(access_log),
            user=proxy.default_user(),
        )
        access_log.write_text("")
        self.errors = access_log.with_suffix(".errors").open("w")
        self.nginx = proxy.Nginx(config, run_dir, output=self.errors)
        self.nginx.wait_until_listening("127.0.0.1", port)

    def stop(self) -> None:
        self.nginx.stop()
        self.errors.close()


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# Slow clients


class SlowHeaderClients:
    """`count` connections that send a request's headers a line at a time and never finish
    them, as a slow or hostile client does ("slowloris"). A connection the server drops is
    opened again, so the pressure holds for as long as the block lasts."""

    def __init__(self, port: int, count: int = 40, interval: float = 1.0):
        self.port, self.count, self.interval = port, count, interval
        self.sockets: list[socket.socket] = []
        self.reopened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            for i, sock in enumerate(self.sockets):
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    sock.close()
                    try:
                        self.sockets[i] = self._open()
                        self.reopened += 1
                    except OSError:
                        pass

    def __enter__(self) -> "SlowHeaderClients":
        self.sockets = [self._open() for _ in range(self.count)]
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        for sock in self.sockets:
            sock.close()


def probe(port: int, path: str = "/healthz", timeout: float = 2) -> float | None:
    """Seconds for a 200 from `path` on a fresh connection; None if it failed or timed out."""
    start = time.monotonic()
    try:
        status, _ = get(port, path, timeout=timeout)
    except OSError:
        return None
    return time.monotonic() - start if status == 200 else None


# The load


def page_mix(port: int) -> list[tuple[str, int, object]]:
    """(page, weight, path or a function of a random generator giving one)."""
    status, body = get(port, "/policies/measures.json", timeout=60)
    if status != 200:
        raise RuntimeError(f"/policies/measures.json answered {status}")
    measures = [urlsplit(row["url"]).path for row in json.loads(body)["rows"]]
    notices = sorted({path.split("measures/")[0] for path in measures})
    pages = max(1, len(measures) // 20)
    return [
        ("home", 8, "/"),
        ("notice", 8, lambda rng: rng.choice(notices)),
        ("measure list", 10, lambda rng: f"/policies/measures/?page={rng.randint(1, pages)}"),
        ("measure list, filtered", 8, "/policies/measures/?topic=credit&target_group=sme"),
        ("measure list, filtered + text", 6, f"/policies/measures/?topic=credit&q={quote('贷款')}"),
        ("measure detail", 14, lambda rng: rng.choice(measures)),
        ("search, common word", 8, f"/search/?q={quote('中小企业')}"),
        ("search, rare word", 6, f"/search/?q={quote('获得感')}"),
        ("figures table", 8, "/industry/figures/"),
        ("product page", 6, "/industry/products/caustic-soda/"),
        ("company list", 6, "/industry/companies/"),
        ("CSV export", 4, "/policies/measures.csv?topic=credit"),
    ]


class Client:
    """One simulated user: a keep-alive connection, one request at a time."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout, self.conn = port, timeout, None

    def fetch(self, path: str) -> str:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            response.read()  # the whole body: an export is only done when it has all arrived
            if response.will_close:
                self.close()
            return str(response.status)
        except TimeoutError:
            self.close()
            return "timeout"
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return f"error: {type(exc).__name__}"

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def choose(paths, rng: random.Random) -> str:
    """A page of the mix: a path, one of a list (evenly), or one a callable draws."""
    if callable(paths):
        return paths(rng)
    return rng.choice(paths) if isinstance(paths, list) else paths


def client_loop(index, port, timeout, mix, t0, stop, results) -> None:
    rng = random.Random(index)
    client = Client(port, timeout)
    names = [name for name, _, _ in mix]
    weights = [weight for _, weight, _ in mix]
    paths = {name: path for name, _, path in mix}
    mine = []
    while not stop.is_set():
        name = rng.choices(names, weights)[0]
        path = choose(paths[name], rng)
        start = time.monotonic()
        outcome = client.fetch(path)
        mine.append(Result(start - t0, time.monotonic() - start, name, outcome))
    client.close()
    results.extend(mine)


def start_clients(count: int, port, timeout, mix, t0, stop, results) -> list[threading.Thread]:
    """`count` clients (client_loop) reading pages of the mix until `stop` is set."""
    threads = [
        threading.Thread(
            target=client_loop, args=(i, port, timeout, mix, t0, stop, results), daemon=True
        )
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def drive(
    port: int, args, mix, pg: Postgres, mode: str, fault: bool, logs: dict[str, Path]
) -> tuple[list[Result], dict[str, float], dict[str, dict[str, int]]]:
    """Run the clients for the duration; with `fault`, stop PostgreSQL for the outage.
    The lines in each log are counted when PostgreSQL has stopped and when it is started."""
    stop, results, events, lines = threading.Event(), [], {}, {}
    t0 = time.monotonic()
    threads = start_clients(args.clients, port, args.timeout, mix, t0, stop, results)
    try:
        if fault:
            sleep_until(t0 + args.fault_at)
            print(f"load [{mode}]: stopping PostgreSQL", file=sys.stderr, flush=True)
            events["stop issued"] = time.monotonic() - t0
            pg.stop()
            events["stopped"] = time.monotonic() - t0
            lines["stopped"] = {name: count_lines(log) for name, log in logs.items()}
            sleep_until(t0 + events["stopped"] + args.outage)
            print(f"load [{mode}]: starting PostgreSQL", file=sys.stderr, flush=True)
            lines["start issued"] = {name: count_lines(log) for name, log in logs.items()}
            events["start issued"] = time.monotonic() - t0
            pg.start()
            events["started"] = time.monotonic() - t0
        sleep_until(t0 + args.duration)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=args.timeout + 5)
        if pg.stopped:
            pg.ensure_up()
    events["end"] = time.monotonic() - t0
    return results, events, lines


# Reporting


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def latencies(results: list[Result]) -> str:
    values = [r.latency for r in results]
    return " / ".join(ms(percentile(values, p)) for p in (50, 95, 99))


def counts(results: list[Result]) -> str:
    found = Counter(r.outcome for r in results)
    return ", ".join(f"{outcome}: {n:,}" for outcome, n in sorted(found.items())) or "none"


def analyse(run: Run, args) -> list[str]:
    results, events = sorted(run.results, key=lambda r: r.start), run.events
    failed = [r for r in results if r.outcome != OK]
    lines = [
        f"### {run.mode}: {'DJANGO_DB_POOL=1' if run.mode == 'pool' else 'persistent connections (the default settings)'}",
        "",
    ]
    if run.slow:
        lines += [
            f"**Slow clients** ({args.slow_seconds:.0f} s each, before the load): connections that "
            "send a header line a second and never finish; meanwhile /healthz is asked on a fresh "
            "connection every half second (2 s timeout).",
            "",
            "| /healthz asked | slow-header connections | answered | p50 / slowest ms | load average (1 min) |",
            "|---|---|---|---|---|",
            *(phase["line"] for phase in run.slow),
            "",
        ]
    lines += [
        "**Mixed load**" + ("" if args.no_proxy else " through nginx") + ":",
        "",
        f"- requests: {len(results):,} in {events['end']:.1f} s = **{len(results) / events['end']:,.0f} requests/s**",
        f"- outcomes: {counts(results)}",
        f"- latency p50 / p95 / p99, all requests: {latencies(results)} ms",
    ]
    if "stop issued" in events:
        lines += fault_lines(results, events, run.log_lines)
    lines += [
        f"- any 500: {'YES' if any(r.outcome == '500' for r in results) else 'no'}; "
        f"timeouts ({args.timeout:.0f} s): {sum(r.outcome == 'timeout' for r in results)}; "
        f"connection errors: {sum(r.outcome.startswith('error') for r in results)}",
        f"- gunicorn log: {run.server_log}",
        f"- machine load average (1 min): {run.load_average}",
        "",
        "| page | requests | failed | p50 / p95 / p99 ms (all) |",
        "|---|---|---|---|",
    ]
    for page in dict.fromkeys(r.page for r in results):
        rows = [r for r in results if r.page == page]
        lines.append(
            f"| {page} | {len(rows):,} | {sum(r.outcome != OK for r in rows):,} | {latencies(rows)} |"
        )
    if "stop issued" in events and failed:
        lines += ["", *timeline(results, events)]
    return lines


def fault_lines(
    results: list[Result], events: dict[str, float], log_lines: dict[str, dict[str, int]]
) -> list[str]:
    stop_issued, stopped = events["stop issued"], events["stopped"]
    start_issued, started = events["start issued"], events["started"]
    before = [r for r in results if r.start + r.latency < stop_issued]
    stopping = [r for r in results if stop_issued <= r.start < stopped]
    down = [r for r in results if stopped <= r.start < start_issued]
    after = [r for r in results if r.start >= start_issued]
    first_ok = min((r.start + r.latency for r in after if r.outcome == OK), default=None)
    last_failure = max((r.start for r in after if r.outcome != OK), default=None)
    clean = [r for r in after if last_failure is None or r.start > last_failure]
    clean_from = clean[0].start if clean else None
    slowest = max(down, key=lambda r: r.latency, default=None)
    lines = [
        f"- before the fault: {len(before):,} requests, {counts(before)}, "
        f"p50 / p95 / p99 {latencies(before)} ms",
        "",
        f"**Fault**: `stop -m fast` issued at {stop_issued:.1f} s and done at {stopped:.1f} s; "
        f"`start` issued at {start_issued:.1f} s and returned at {started:.1f} s (PostgreSQL answering).",
        "",
        f"- while PostgreSQL shut down ({stop_issued:.1f}–{stopped:.1f} s): {counts(stopping)}",
        f"- while it was down ({stopped:.1f}–{start_issued:.1f} s): {len(down):,} requests, **{counts(down)}**; "
        f"p50 / p95 / p99 {latencies(down)} ms; longest "
        + (f"**{ms(slowest.latency)} ms** ({slowest.page}, {slowest.outcome})" if slowest else "—"),
        f"- from the restart on ({start_issued:.1f} s–end): {counts(after)}",
        "- log lines written while it was down: "
        + (
            "; ".join(
                f"{name} {log_lines['start issued'][name] - log_lines['stopped'][name]:,} "
                f"(**{(log_lines['start issued'][name] - log_lines['stopped'][name]) / max(1, len(down)):.1f} a request**)"
                for name in log_lines["stopped"]
            )
            if log_lines
            else "not counted"
        ),
        "- first 200 after the restart: "
        + (
            f"**{first_ok - start_issued:.2f} s** after `start` was issued "
            f"({first_ok - started:+.2f} s from its return)"
            if first_ok is not None
            else "NONE"
        ),
        "- every request started from "
        + (
            f"**{clean_from - start_issued:.2f} s** after `start` was issued to the end succeeded: "
            f"{len(clean):,} requests over {events['end'] - clean_from:.1f} s, "
            f"p50 / p95 / p99 {latencies(clean)} ms"
            if clean
            else "— NONE: requests were still failing at the end"
        ),
        f"- failures after the restart by page: "
        f"{Counter(r.page for r in after if r.outcome != OK).most_common() or 'none'}",
    ]
    return lines


def problems(run: Run, args) -> list[str]:
    """What the run shows to be wrong: the behaviour asked of the site under a fault."""
    results, events = run.results, run.events
    found = [
        f"/healthz through nginx answered {phase['answered']} of {phase['probes']} probes "
        "beside the slow clients"
        for phase in run.slow
        if phase["name"] == "through nginx" and phase["answered"] < phase["probes"]
    ]
    unexpected = Counter(r.outcome for r in results if r.outcome not in (OK, "503"))
    if unexpected:
        found.append(f"answers other than 200 and 503: {dict(unexpected)}")
    if "stop issued" not in events:
        if any(r.outcome != OK for r in results):
            found.append("requests failed without any fault")
        return found
    down = [r for r in results if events["stopped"] <= r.start < events["start issued"]]
    slowest = max((r.latency for r in down), default=0)
    if slowest > args.max_outage_latency:
        found.append(f"a request took {slowest:.1f} s during the outage")
    after = [r for r in results if r.start >= events["start issued"]]
    last_failure = max((r.start for r in after if r.outcome != OK), default=events["start issued"])
    if events["end"] - last_failure < min(10, (events["end"] - events["start issued"]) / 2):
        found.append("requests still failed near the end: no clean window after the restart")
    return found


def timeline(results: list[Result], events: dict[str, float]) -> list[str]:
    """Second by second, from just before the fault until the last failure."""
    last_failure = max(r.start for r in results if r.outcome != OK)
    first, last = int(events["stop issued"]) - 2, int(max(last_failure, events["started"])) + 3
    lines = ["| second | requests | 200 | 503 | other | slowest ms |", "|---|---|---|---|---|---|"]
    for second in range(max(first, 0), min(last, int(events["end"])) + 1):
        rows = [r for r in results if second <= r.start < second + 1]
        found = Counter(r.outcome for r in rows)
        other = sum(n for o, n in found.items() if o not in (OK, "503"))
        marks = [name for name, at in events.items() if second <= at < second + 1]
        lines.append(
            f"| {second}{' (' + ', '.join(marks) + ')' if marks else ''} | {len(rows)} | {found[OK]} | "
            f"{found['503']} | {other} | {ms(max((r.latency for r in rows), default=0))} |"
        )
    return lines


def summarise_log(log: Path) -> str:
    text = log.read_text(errors="replace")
    return (
        f"{text.count(chr(10)):,} lines, {text.count('Traceback (most recent call last)'):,} "
        f"tracebacks; {text.count('Booting worker')} worker boots, "
        f"{text.count('WORKER TIMEOUT')} worker timeouts, "
        f"{text.count('Internal Server Error:')} errors and "
        f"{text.count('Service Unavailable:')} 503s logged (one line each unless tracebacks "
        "are counted above); the same gunicorn "
        "served to the end"
    )


def slow_header_phase(target: int, name: str, clients: int, seconds: float) -> dict:
    """Hold `clients` slow-header connections to `target` for `seconds`, probing /healthz
    there on a fresh connection every half second (2 s timeout)."""
    load_before = os.getloadavg()[0]
    answered = []
    probes = 0
    with SlowHeaderClients(target, count=clients, interval=1.0) as slow:
        time.sleep(0.5)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            probes += 1
            seconds_taken = probe(target, timeout=2)
            if seconds_taken is not None:
                answered.append(seconds_taken)
            time.sleep(max(0.0, 0.5 - (seconds_taken or 2)))
        reopened = slow.reopened
    line = (
        f"| {name} | {clients} ({reopened} reopened after the server dropped them) | "
        f"{len(answered)} of {probes} | "
        + (f"{ms(percentile(answered, 50))} / {ms(max(answered))}" if answered else "—")
        + f" | {load_before:.1f} |"
    )
    return {"name": name, "line": line, "answered": len(answered), "probes": probes}


# Main


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per mode")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--timeout", type=float, default=10, help="client timeout, seconds")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument(
        "--fault-at", type=float, help="when to stop PostgreSQL (default: a third of the way)"
    )
    parser.add_argument("--no-fault", action="store_true", help="load only; leave PostgreSQL be")
    parser.add_argument(
        "--max-outage-latency",
        type=float,
        default=5,
        help="longest acceptable request while PostgreSQL is down, seconds",
    )
    parser.add_argument(
        "--modes", nargs="+", choices=["persistent", "pool"], default=["persistent"]
    )
    parser.add_argument(
        "--synthetic", type=int, default=50, help="synthetic notices (x20 measures)"
    )
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--database", default="kb_load")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--postgres", default=os.environ.get("LOAD_POSTGRES_URL", "postgres://root@127.0.0.1:5432")
    )
    parser.add_argument("--cluster", default="15/main", help="the pg_ctlcluster version/name")
    parser.add_argument("--pg-stop", help="command that stops PostgreSQL (default: pg_ctlcluster)")
    parser.add_argument("--pg-start", help="command that starts PostgreSQL again")
    parser.add_argument(
        "--no-proxy", action="store_true", help="clients talk to gunicorn, without nginx"
    )
    parser.add_argument("--slow-clients", type=int, default=40, help="slow-header connections")
    parser.add_argument("--slow-seconds", type=float, default=10, help="0: no slow-header phase")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    args.fault_at = args.duration / 3 if args.fault_at is None else args.fault_at
    ctl = f"pg_ctlcluster --skip-systemctl-redirect {' '.join(args.cluster.split('/'))}"
    pg = Postgres(
        args.postgres,
        stop=args.pg_stop or f"{ctl} stop -m fast",
        start=args.pg_start or f"{ctl} start",
    )
    if urlsplit(args.postgres).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load: loopback only; --postgres must point at this machine")
    if not pg.is_up():
        sys.exit(f"load: PostgreSQL at {args.postgres} is not reachable")

    # Ctrl-C or a kill ends the run through the `finally`s: PostgreSQL comes back up.
    signal.signal(signal.SIGTERM, interrupt)
    DATA.mkdir(parents=True, exist_ok=True)
    args.port = args.port or free_port()
    upstream = args.port if args.no_proxy else free_port()
    runs = []
    try:
        print(f"load: building {args.database} …", file=sys.stderr, flush=True)
        url = build_database(pg, args.database, args.synthetic)
        for mode in args.modes:
            log = DATA / f"load-gunicorn-{mode}.log"
            env = site_environment(url, upstream, mode == "pool")
            if not args.no_proxy:
                env["DJANGO_BEHIND_PROXY"] = "1"
            server = Server(env, upstream, log)
            front, logs = None, {"gunicorn": log}
            try:
                server.wait_until_ready()
                if not args.no_proxy:
                    logs["nginx"] = DATA / f"load-nginx-{mode}.log"
                    front = Proxy(args.port, [upstream], logs["nginx"])
                slow = []
                if args.slow_seconds:
                    targets = [] if args.no_proxy else [(args.port, "through nginx")]
                    targets.append((upstream, "straight to gunicorn"))
                    for target, name in targets:
                        print(
                            f"load [{mode}]: {args.slow_clients} slow-header clients "
                            f"{name} for {args.slow_seconds:.0f} s",
                            file=sys.stderr,
                            flush=True,
                        )
                        slow.append(
                            slow_header_phase(target, name, args.slow_clients, args.slow_seconds)
                        )
                        # Let the server drop what the slow clients left behind.
                        time.sleep(2)
                mix = page_mix(args.port)
                print(
                    f"load [{mode}]: {args.clients} clients for {args.duration:.0f} s"
                    + ("" if args.no_fault else f", PostgreSQL down for {args.outage:.0f} s"),
                    file=sys.stderr,
                    flush=True,
                )
                load_before = os.getloadavg()[0]
                results, events, log_lines = drive(
                    args.port, args, mix, pg, mode, not args.no_fault, logs
                )
                load_average = (
                    f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
                )
                if server.process.poll() is not None:
                    raise RuntimeError(f"gunicorn died during the run; see {log}")
            finally:
                if front:
                    front.stop()
                server.stop()
            run = Run(
                mode,
                args.duration,
                results,
                events,
                summarise_log(log),
                load_average,
                log_lines,
                slow,
            )
            runs.append(run)
    finally:
        pg.ensure_up()
        if not args.keep_database and pg.is_up():
            pg.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')

    machine = f"{platform.node()}: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    lines = [
        "## Load and faults",
        "",
        f"Measured {datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine} with "
        f"`{' '.join(['python bench/load.py', *sys.argv[1:]])}`.",
        (
            "gunicorn alone, as `make serve` runs it"
            if args.no_proxy
            else "nginx in front of gunicorn, as `make serve-proxy` runs them"
        )
        + f" ({gunicorn_conf.workers} gunicorn workers x "
        f"{gunicorn_conf.threads} threads, debug off, plain HTTP on loopback) over PostgreSQL "
        f"({args.database}: the seed plus {args.synthetic} synthetic notices, {20 * (args.synthetic + 1):,} measures); "
        f"{args.clients} clients on the same machine, each sending its next request when the last one has "
        f"been read to the end (client timeout {args.timeout:.0f} s). "
        + (
            ""
            if args.no_fault
            else f"PostgreSQL is stopped (`{pg.stop_command}`) {args.fault_at:.0f} s in and started again {args.outage:.0f} s later."
        ),
        "",
    ]
    failed = False
    for run in runs:
        found = problems(run, args)
        failed = failed or bool(found)
        verdict = (
            "; ".join(found)
            if found
            else "as required (503 while down, no 500, no hang, recovered)"
        )
        lines += [*analyse(run, args), "", f"**Verdict ({run.mode})**: {verdict}.", ""]
    print("\n".join(lines))
    if not args.no_write:
        write_section(Path(args.output), "load", lines, first=False)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
