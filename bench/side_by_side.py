"""This site against Datasette, side by side (`make side-by-side`): the same pages of the same
SQLite knowledge base under wrk, for first visits (the whole-page cache off) and repeat visits
(the page cache on), written as a new section at the top of bench/results.md.

    python bench/side_by_side.py [--source FILE] [--rounds 3] [--duration 10]
                                 [--only WORD ...]  (some pages only, printed, not written)

The source file (default: bench/.data/kb-100000.sqlite3, which `make bench` builds; built here
when missing) is copied once for each server, and every server listens on loopback:

- this site twice, under gunicorn with kbsite/gunicorn_conf.py, 2 workers x 4 threads: once
  with KB_PAGE_CACHE_SECONDS=0 (first visits), once with the page cache on (repeat visits);
  both keep their cached values in Redis, as production does (the database
  SIDE_BY_SIDE_REDIS_URL, default redis://127.0.0.1:6379/3, emptied first);
- Datasette 0.65.5 (PyPI, in its own virtual environment bench/.datasette-venv, made here when
  missing) under uvicorn with 2 worker processes of 4 SQL threads each (bench/datasette_app.py),
  suggested facets off, its table search on the site's own FTS5 table (metadata `fts_table`).

Each round measures every pair on every server with `wrk -t1 -c8 -d10s` (after 2 s of the same
load to warm the workers' caches), the servers in the opposite order every other round, so that
a busy moment of the machine falls on each in turn. A ratio is this site's requests per second
over Datasette's in the same round, and the table gives the median of the rounds; CPU ms a
request is the CPU time of the server's processes (/proc/<pid>/stat, the whole process tree,
reaped workers included) over the requests wrk completed.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is a package

from bench import run  # noqa: E402

DATA = run.DATA
PYTHON = run.PYTHON
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
DATASETTE_VERSION = "0.65.5"
DATASETTE_VENV = ROOT / "bench" / ".datasette-venv"
WORKERS, THREADS = 2, 4
CONNECTIONS = 8
WARM_UP = 2  # seconds of load before each measured run
TARGET_RATIO = 1.5  # this site at least 1.5x Datasette's requests per second, uncached
TARGET_FLOOR_SHARE = 0.5  # a repeat visit at least half the /healthz rate
# The Redis database of the repeat visits' page cache, emptied before each run.
REDIS_URL = os.environ.get("SIDE_BY_SIDE_REDIS_URL", "redis://127.0.0.1:6379/3")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# What both show of a list: 20 rows, without the site's search-token columns.
DATASETTE_LIST = "/kb/policies_measure?" + urlencode(
    [("_size", 20), ("_nocol", "search_title"), ("_nocol", "search_body")]
)


@dataclass(frozen=True)
class Pair:
    name: str
    site: str
    datasette: str
    floor: bool = False


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict
    port: int = 0
    process: subprocess.Popen | None = None
    log: Path | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Run:
    rps: float
    requests: int
    errors: int
    cpu_ms: float


@dataclass
class Results:
    runs: dict = field(default_factory=dict)  # (server, pair name) -> [Run per round]
    loads: list = field(default_factory=list)  # load average at the start of each round
    end_load: str = ""
    restarts: list = field(default_factory=list)

    def add(self, server: str, pair: str, result: Run) -> None:
        self.runs.setdefault((server, pair), []).append(result)


# Set-up


def ensure_datasette() -> Path:
    python = DATASETTE_VENV / "bin" / "python"
    probe = [str(python), "-c", "import datasette.version as v; print(v.__version__)"]
    if python.exists() and subprocess.run(probe, capture_output=True, text=True).stdout.strip() == (
        DATASETTE_VERSION
    ):
        return python
    print(f"installing Datasette {DATASETTE_VERSION} in {DATASETTE_VENV} …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(DATASETTE_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"datasette=={DATASETTE_VERSION}"],
        check=True,
    )  # fmt: skip
    return python


def source_file(path: str | None) -> Path:
    if path:
        source = Path(path)
        if not source.exists():
            sys.exit(f"{source} does not exist")
        return source
    source = DATA / "kb-100000.sqlite3"
    if not source.exists():
        print(f"{source} is missing: building it (about half an hour) …", file=sys.stderr)
        run.build("sqlite", 100_000)
    return source


def pairs_for(source: Path) -> list[Pair]:
    """The pages compared, on records that exist in this file: the newest published measure
    (and its heading), and the first topic by slug (as bench/measure.py picks them)."""
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    measure_id, number, slug, heading = db.execute(
        "SELECT m.id, m.number, n.slug, m.heading_id FROM policies_measure m "
        "JOIN policies_notice n ON n.id = m.notice_id WHERE n.status = 'published' "
        "ORDER BY m.id DESC LIMIT 1"
    ).fetchone()
    topic_id, topic = db.execute("SELECT id, slug FROM policies_topic ORDER BY slug").fetchone()
    in_topic = db.execute(
        "SELECT count(*) FROM policies_measure_topics WHERE topic_id = ?", [topic_id]
    ).fetchone()[0]

    def matches(word: str) -> int:
        sql = "SELECT count(*) FROM policies_measure_fts WHERE policies_measure_fts MATCH ?"
        return db.execute(sql, [f'"{word}"']).fetchone()[0]

    loans, enterprises = matches("贷款"), matches("企业")
    db.close()

    def listing(**query) -> str:
        return DATASETTE_LIST + "&" + urlencode(query)

    return [
        Pair(
            "one measure (detail vs row page)",
            f"/policies/notices/{slug}/measures/{number}/",
            f"/kb/policies_measure/{measure_id}",
        ),
        Pair("measure list, first page", "/policies/measures/", DATASETTE_LIST),
        Pair(
            "list filtered by one heading, with facets",
            f"/policies/measures/?heading={heading}",
            listing(heading_id=heading) + "&_facet=notice_id&_facet=heading_id",
        ),
        Pair(
            f"list filtered by topic ({in_topic:,} rows)",
            f"/policies/measures/?topic={topic}",
            listing(
                _where=f"id in (select measure_id from policies_measure_topics "
                f"where topic_id = {topic_id})"
            ),
        ),
        Pair(
            f"list with the text 贷款 ({loans:,} rows)",
            "/policies/measures/?" + urlencode({"q": "贷款"}),
            listing(_search="贷款"),
        ),
        Pair(
            f"list with 企业 ({enterprises:,} rows)",
            "/policies/measures/?" + urlencode({"q": "企业"}),
            listing(_search="企业"),
        ),
        # Datasette has no search across tables: its search of the measures.
        Pair("site search 贷款", "/search/?" + urlencode({"q": "贷款"}), listing(_search="贷款")),
        Pair("the floor: `/healthz` vs `/-/versions.json`", "/healthz", "/-/versions.json", True),
    ]


def servers_for(copies: Path, source: Path, datasette_python: Path) -> list[Server]:
    servers = []
    for name, page_cache in [("first", "0"), ("repeat", "3600")]:
        database = copies / f"site-{name}.sqlite3"
        shutil.copyfile(source, database)
        env = run.environment(f"sqlite:///{database}")
        env.update(
            DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1",
            KB_PAGE_CACHE_SECONDS=page_cache,
            WEB_CONCURRENCY=str(WORKERS),
            GUNICORN_THREADS=str(THREADS),
            HOST="127.0.0.1",
        )
        # As production keeps pages, counts and totals: one cache for both workers, which
        # outlives a worker recycled after max_requests (in local memory each worker computes
        # every count again, and again after each recycling). Both copies hold the same data.
        env["DJANGO_CACHE_URL"] = REDIS_URL
        command = [GUNICORN, "--config", "kbsite/gunicorn_conf.py", "kbsite.wsgi"]
        servers.append(Server(f"site-{name}", command, env))
    # Datasette names the database after the file: /kb/.
    database = copies / "datasette" / "kb.sqlite3"
    database.parent.mkdir()
    shutil.copyfile(source, database)
    metadata = {  # the site's own FTS5 index of the measures (title and text, as bigrams)
        "databases": {
            "kb": {
                "tables": {
                    "policies_measure": {"fts_table": "policies_measure_fts", "fts_pk": "id"}
                }
            }
        }
    }
    env = {
        **os.environ,
        "SIDE_BY_SIDE_DATABASE": str(database),
        "SIDE_BY_SIDE_METADATA": json.dumps(metadata),
    }
    command = [str(datasette_python), "-m", "uvicorn", "datasette_app:app", "--app-dir",
               str(ROOT / "bench"), "--host", "127.0.0.1", "--port", "{port}",
               "--workers", str(WORKERS)]  # fmt: skip
    servers.append(Server("datasette", command, env))
    return servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(server: Server, logs: Path) -> None:
    server.port = free_port()
    # gunicorn_conf.py reads the port from PORT; uvicorn takes it as an option.
    command = [part.replace("{port}", str(server.port)) for part in server.command]
    env = {**server.env, "PORT": str(server.port)}
    server.log = logs / f"{server.name}.log"
    with server.log.open("w") as log:
        # A session of its own: stopping it stops its workers, and nothing else.
        server.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
            start_new_session=True,
        )  # fmt: skip


def get(url: str, timeout: float = 60) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_ready(server: Server, path: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"{server.name} stopped:\n{server.log.read_text()[-3000:]}")
        try:
            if get(server.url(path), timeout=5) == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"{server.name} did not answer {path} within {limit:.0f} s")


def restarts(server: Server) -> str:
    """What the server's log says of workers started again during the run."""
    log = server.log.read_text(errors="replace") if server.log and server.log.exists() else ""
    if server.name == "datasette":
        return f"{server.name}: {log.count('] died')} worker processes died"
    return (
        f"{server.name}: {log.count('Booting worker') - WORKERS} workers started again "
        f"({log.count('Autorestarting worker')} recycled after max_requests, "
        f"{log.count('WORKER TIMEOUT')} after a worker timeout)"
    )


def stop(server: Server) -> None:
    if server.process is None or server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


# Measuring


def cpu_seconds(root: int) -> float:
    """CPU time of a process and its descendants, including those already reaped (their
    time is in their parent's cutime and cstime)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text.rsplit(")", 1)[1].split()
            # After the name: state, ppid, … utime (14th field), stime, cutime, cstime.
            stats[int(entry)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    tree, total = {root}, 0
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    total = sum(stats[pid][1] for pid in tree if pid in stats)
    return total / CLOCK_TICKS


def wrk(url: str, seconds: float) -> tuple[int, float, int]:
    """Requests completed, requests per second, and errors (socket errors, non-2xx/3xx)."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    if result.returncode or "Requests/sec" not in result.stdout:
        sys.exit(f"wrk {url} failed:\n{result.stdout}{result.stderr}")
    return parse_wrk(result.stdout)


def parse_wrk(out: str) -> tuple[int, float, int]:
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, rps, errors + (int(non_2xx.group(1)) if non_2xx else 0)


def measure(server: Server, path: str, seconds: float) -> Run:
    wrk(server.url(path), WARM_UP)
    before = cpu_seconds(server.process.pid)
    requests, rps, errors = wrk(server.url(path), seconds)
    spent = cpu_seconds(server.process.pid) - before
    return Run(rps, requests, errors, 1000 * spent / max(requests, 1))


def load_average() -> str:
    return " / ".join(f"{n:.2f}" for n in os.getloadavg())


# Report


def median(values) -> float:
    return statistics.median(values)


def fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def ratios(results: Results, site: str, other: str, pair: str) -> float:
    mine, theirs = results.runs[(site, pair)], results.runs[(other, pair)]
    return median(a.rps / max(b.rps, 0.01) for a, b in zip(mine, theirs, strict=True))


def table(results: Results, pairs: list[Pair], site: str) -> list[str]:
    repeat = site == "site-repeat"
    floor = next(p for p in pairs if p.floor).name
    head = "| page (this site vs Datasette) | req/s, this site / Datasette | ratio | CPU ms a request, this site / Datasette |"
    head += " % of this site's /healthz | target |" if repeat else " target |"
    lines = [head, "|---|---|---|---|---|" + ("---|" if repeat else "")]
    for pair in pairs:
        mine, theirs = results.runs[(site, pair.name)], results.runs[("datasette", pair.name)]
        ratio = ratios(results, site, "datasette", pair.name)
        cells = [
            pair.name,
            f"{fmt(median(r.rps for r in mine))} / {fmt(median(r.rps for r in theirs))}",
            f"{ratio:.2f}×",
            f"{fmt(median(r.cpu_ms for r in mine))} / {fmt(median(r.cpu_ms for r in theirs))}",
        ]
        errors = sum(r.errors for r in mine + theirs)
        if repeat:
            share = median(
                a.rps / max(b.rps, 0.01)
                for a, b in zip(mine, results.runs[(site, floor)], strict=True)
            )
            cells.append(f"{100 * share:.0f}%")
            verdict = (
                "—"
                if pair.floor
                else f"≥ {100 * TARGET_FLOOR_SHARE:.0f}%: "
                + ("meets" if share >= TARGET_FLOOR_SHARE else "**MISSES**")
            )
        else:
            verdict = f"≥ {TARGET_RATIO}×: " + ("meets" if ratio >= TARGET_RATIO else "**MISSES**")
        if errors:
            verdict += f" ({errors} errors)"
        cells.append(verdict)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report(results: Results, pairs: list[Pair], args, started: datetime) -> list[str]:
    command = "python bench/side_by_side.py" + "".join(
        f" {a}" for a in sys.argv[1:]
    )  # as run, minus the interpreter's path
    return [
        "## Side by side with Datasette",
        "",
        f"Measured {started:%Y-%m-%d %H:%M}–{datetime.now():%H:%M} on this 2-core machine (shared "
        f"with other work: see the load averages) with `{command}`: {args.rounds} rounds of "
        f"`wrk -t1 -c{CONNECTIONS} -d{args.duration:g}s` for each page on each server, the "
        "servers in the opposite order every other round, after 2 s of the same load each "
        "time. Both serve a copy of the same SQLite file "
        f"({args.source_name}, {args.measures:,} measures). This site: gunicorn with "
        f"kbsite/gunicorn_conf.py, {WORKERS} workers × {THREADS} threads. Datasette "
        f"{DATASETTE_VERSION}: uvicorn with {WORKERS} worker processes of {THREADS} SQL "
        "threads (bench/datasette_app.py), suggested facets off, its search on the site's "
        "own FTS5 table (`fts_table`); its table pages show 20 rows (`_size=20`, as this "
        "site's pages do) without the two search-token columns (`_nocol`). Ratio: this "
        "site's requests per second over Datasette's in the same round, median of the "
        "rounds; CPU ms a request: the server's processes' CPU time over the requests.",
        "",
        "Load average (1 / 5 / 15 min) at the start of each round: "
        + "; ".join(f"round {i}: {load}" for i, load in enumerate(results.loads, 1))
        + f"; at the end: {results.end_load}.",
        "",
        "### First visits (this site's page cache off: `KB_PAGE_CACHE_SECONDS=0`)",
        "",
        *table(results, pairs, "site-first"),
        "",
        "### Repeat visits (this site's page cache on, kept in Redis)",
        "",
        *table(results, pairs, "site-repeat"),
        "",
        "Workers started again during the run (their caches start empty): "
        + "; ".join(results.restarts)
        + ".",
        "",
        "Requests per second in each round (first visits / repeat visits / Datasette):",
        "",
        *[
            f"- {p.name}: "
            + " / ".join(
                ", ".join(fmt(r.rps) for r in results.runs[(server, p.name)])
                for server in ("site-first", "site-repeat", "datasette")
            )
            for p in pairs
        ],
        "",
        "The pages (this site / Datasette):",
        "",
        *[f"- {p.name}: `{p.site}` / `{p.datasette}`" for p in pairs],
    ]


# Main


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", help="SQLite knowledge base (default: a 100,000 one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk per run")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="WORD",
        help="measure only the pages whose names hold one of these words (and print only)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk (Debian's package)")
    datasette_python = ensure_datasette()
    source = source_file(args.source)
    args.source_name = source.name
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
        args.measures = db.execute("SELECT count(*) FROM policies_measure").fetchone()[0]
    pairs = pairs_for(source)
    if args.only:
        pairs = [pair for pair in pairs if any(word in pair.name for word in args.only)]
        args.no_write = True  # a part of the table never replaces the whole
    # The pages link their static files through the manifest that collectstatic writes.
    run.manage(
        run.environment("sqlite://:memory:"), "collectstatic", "--noinput", "--verbosity", "0"
    )

    redis.Redis.from_url(REDIS_URL).flushdb()  # pages kept by an earlier run: not this data
    signal.signal(signal.SIGTERM, interrupt)
    copies = Path(tempfile.mkdtemp(prefix="side-by-side-", dir=DATA))
    servers = []
    started = datetime.now()
    try:
        print(f"copying {source} for each server …", file=sys.stderr, flush=True)
        servers = servers_for(copies, source, datasette_python)
        for server in servers:
            start(server, copies)
        for server in servers:
            site = server.name.startswith("site")
            wait_ready(server, "/healthz" if site else "/-/versions.json")
            for pair in pairs:  # every page answers before anything is measured
                path = pair.site if site else pair.datasette
                if (status := get(server.url(path))) != 200:
                    sys.exit(f"{server.name} answered {path} with {status}")
        results = Results()
        for round_number in range(1, args.rounds + 1):
            results.loads.append(load_average())
            order = servers if round_number % 2 else servers[::-1]
            print(f"round {round_number}, load {results.loads[-1]}", file=sys.stderr, flush=True)
            for pair in pairs:
                for server in order:
                    path = pair.site if server.name.startswith("site") else pair.datasette
                    result = measure(server, path, args.duration)
                    results.add(server.name, pair.name, result)
                    print(
                        f"  {server.name:<11} {pair.name}: {result.rps:.1f} req/s, "
                        f"{result.cpu_ms:.1f} CPU ms, {result.errors} errors",
                        file=sys.stderr,
                        flush=True,
                    )
        results.end_load = load_average()
        for server in servers:
            stop(server)
        results.restarts = [restarts(server) for server in servers]
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(copies, ignore_errors=True)
    lines = report(results, pairs, args, started)
    print("\n".join(lines))
    if not args.no_write:
        run.write_section(Path(args.output), "side-by-side", lines, first=True)


if __name__ == "__main__":
    main()
