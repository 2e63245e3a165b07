"""The side-by-side benchmark's own workings: where its section goes in bench/results.md (and
that `make bench` keeps it), reading wrk's output, and counting a server's CPU time."""

import os
import signal
import subprocess
import sys
import textwrap

from bench import run, side_by_side

RESULTS = """# Benchmark results

Measured before.

<!-- load:start -->
## Load and faults
<!-- load:end -->
"""


def test_the_section_goes_under_the_title_and_then_replaces_itself(tmp_path):
    path = tmp_path / "results.md"
    path.write_text(RESULTS, encoding="utf-8")
    section = [
        run.marks("side-by-side")[0],
        "## Side by side",
        "first run",
        run.marks("side-by-side")[1],
    ]
    run.write_section(path, "side-by-side", section[1:-1], first=True)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n\n<!-- side-by-side:start -->\n## Side by side")
    assert text.endswith("first run\n<!-- side-by-side:end -->\n\nMeasured before.\n\n"
                         "<!-- load:start -->\n## Load and faults\n<!-- load:end -->\n")  # fmt: skip
    section[2] = "second run"
    run.write_section(path, "side-by-side", section[1:-1], first=True)
    text = path.read_text(encoding="utf-8")
    assert "first run" not in text
    assert text.count("## Side by side") == 1
    assert "second run\n<!-- side-by-side:end -->\n\nMeasured before." in text


def test_make_bench_keeps_the_side_by_side_section_at_the_top(tmp_path):
    path = tmp_path / "results.md"
    run.write_section(
        path.with_name("x.md"), "side-by-side", [], first=True
    )  # a missing file is no error
    path.write_text(RESULTS, encoding="utf-8")
    section = [run.marks("side-by-side")[0], "## Side by side", run.marks("side-by-side")[1]]
    run.write_section(path, "side-by-side", section[1:-1], first=True)
    text = run.results_text(["# Benchmark results", "", "Measured now.", ""], path)
    assert text.startswith("# Benchmark results\n\n" + "\n".join(section) + "\n\nMeasured now.")
    assert "Measured before." not in text
    assert text.endswith("<!-- load:start -->\n## Load and faults\n<!-- load:end -->\n")


def test_wrk_output_is_read_with_its_errors():
    out = textwrap.dedent("""\
        Running 10s test @ http://127.0.0.1:8000/healthz
          1 threads and 8 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     8.21ms    2.10ms  40.11ms   90.12%
            Req/Sec   980.12    101.20     1.10k    70.00%
          9801 requests in 10.01s, 1.51MB read
          Socket errors: connect 0, read 2, write 0, timeout 3
          Non-2xx or 3xx responses: 4
        Requests/sec:    979.12
        Transfer/sec:    154.32KB
        """)
    assert side_by_side.parse_wrk(out) == (9801, 979.12, 9)
    clean = out.replace("  Socket errors: connect 0, read 2, write 0, timeout 3\n", "")
    assert side_by_side.parse_wrk(clean.replace("  Non-2xx or 3xx responses: 4\n", "")) == (
        9801,
        979.12,
        0,
    )


def test_cpu_time_counts_the_whole_process_tree_with_reaped_children():
    """A worker that exited (as gunicorn recycles them) still counts, through its parent."""
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""\
            import subprocess, sys, time
            subprocess.run([sys.executable, "-c", {burn!r}])  # runs, exits, is reaped
            subprocess.Popen([sys.executable, "-c", {burn + WAIT!r}])
            time.sleep(30)
            """)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert parent.stdout.readline() == "burnt\n"  # from the child still running
        assert side_by_side.cpu_seconds(parent.pid) >= 0.8
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


WAIT = "\nprint('burnt', flush=True)\ntime.sleep(30)"


def test_a_section_not_first_goes_at_the_end_and_then_replaces_itself(tmp_path):
    """bench/load.py's section: appended after everything, then replaced where it is."""
    path = tmp_path / "results.md"
    path.write_text("# Benchmark results\n\nMeasured before.\n", encoding="utf-8")
    run.write_section(path, "faults", ["## Faults", "first run"], first=False)
    text = path.read_text(encoding="utf-8")
    assert text == (
        "# Benchmark results\n\nMeasured before.\n\n"
        "<!-- faults:start -->\n## Faults\nfirst run\n<!-- faults:end -->\n"
    )
    run.write_section(path, "scale", ["## Scale"], first=True)
    run.write_section(path, "faults", ["## Faults", "second run"], first=False)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n\n<!-- scale:start -->\n## Scale\n")
    assert "first run" not in text and text.endswith("second run\n<!-- faults:end -->\n")
