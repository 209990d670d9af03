"""The benchmark's parsers (plugins/filter/benchmark.py) and report (plugins/modules/bench_report.py)."""

import io
import json
from pathlib import Path

import pytest

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]


bench = load_file("plugins/filter/benchmark.py", "benchmark")
report = load_file("plugins/modules/bench_report.py", "bench_report")

PGBENCH_OK = """pgbench (15.14 (Debian 15.14-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: simple
number of clients: 40
number of threads: 2
maximum number of tries: 1
duration: 3 s
number of transactions actually processed: 2466
number of failed transactions: 0 (0.000%)
latency average = 48.313 ms
latency stddev = 30.1 ms
initial connection time = 6.204 ms
tps = 827.926211 (without initial connection time)
"""
PGBENCH_REFUSED_STDERR = """pgbench: error: connection to server at "10.0.0.2", port 5432 failed: \
FATAL:  remaining connection slots are reserved for non-replication superuser connections
pgbench: error: could not create connection for client 27
"""
PGBENCH_C_STDERR = """progress: 1.0 s, 95.0 tps, lat 80.1 ms stddev 10.0, 0 failed
pgbench: error: connection to server at "10.0.0.2", port 5432 failed: FATAL:  sorry, too many clients already
pgbench: error: client 12 aborted while establishing connection
pgbench: error: connection to server at "10.0.0.2", port 5432 failed: \
FATAL:  remaining connection slots are reserved for non-replication superuser connections
pgbench: error: client 30 aborted while establishing connection
pgbench: error: Run was aborted; the above results are incomplete.
"""
WRK = """Running 10s test @ https://127.0.0.1/polls/1/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    25.31ms    5.10ms  60.00ms   80.00%
    Req/Sec   158.20     20.11   200.00     70.00%
  Latency Distribution
     50%   24.00ms
  3164 requests in 10.01s, 4.50MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:    316.14
Transfer/sec:    460.00KB
"""


def test_pgbench_success_is_read():
    result = bench.pgbench_summary(PGBENCH_OK, "", 0)
    assert result == {
        "tps": 827.9,
        "latency_ms": 48.313,
        "transactions": 2466,
        "failed": 0,
        "refused": 0,
        "aborted_clients": 0,
        "completed": True,
        "rc": 0,
    }


def test_refused_initial_connection_aborts_the_run():
    result = bench.pgbench_summary("", PGBENCH_REFUSED_STDERR, 1)
    assert result["refused"] == 1
    assert result["completed"] is False
    assert result["tps"] == 0.0


def test_refusals_with_new_connections_per_transaction_are_counted():
    result = bench.pgbench_summary(PGBENCH_OK.replace("without initial", "including reconnection"), PGBENCH_C_STDERR, 2)
    assert result["refused"] == 2
    assert result["aborted_clients"] == 2
    assert result["completed"] is False
    assert result["tps"] == 827.9


def test_wrk_is_read():
    assert bench.wrk_summary(WRK) == {
        "requests_per_sec": 316.1,
        "requests": 3164,
        "latency_ms": 25.31,
        "non_2xx": 5,
        "errors": 3,
        "rc": 0,
    }
    assert bench.wrk_summary(WRK.replace("25.31ms", "900.00us"))["latency_ms"] == 0.9
    assert bench.wrk_summary("")["requests_per_sec"] == 0.0


def test_cases_cover_every_combination_in_reading_order():
    cases = bench.bench_cases(["direct", "pgbouncer"], [50, "150"], [False, "true"])
    assert len(cases) == 8
    # Direct first at every client count (the pool's idle server connections
    # would take their slots), then through PgBouncer.
    assert [(c["target"], c["clients"], c["connect"]) for c in cases] == [
        ("direct", 50, False), ("direct", 50, True), ("direct", 150, False), ("direct", 150, True),
        ("pgbouncer", 50, False), ("pgbouncer", 50, True), ("pgbouncer", 150, False), ("pgbouncer", 150, True),
    ]
    assert [c["target"] for c in bench.bench_cases(["pgbouncer", "direct"], [10])] == ["direct", "direct", "pgbouncer", "pgbouncer"]
    with pytest.raises(ValueError, match="direct and pgbouncer"):
        bench.bench_cases(["pool"], [50])


def test_plan_says_the_length_and_numbers_every_case():
    cases = bench.bench_cases(["direct", "pgbouncer"], [50], [False, True])
    plan = bench.bench_plan(cases, ["direct", "pool"], "30", 10, setup_seconds=60, switch_seconds=15)
    # 4 x 30 s + 2 x 10 s measured, 60 s + 2 x 15 s around them.
    assert plan["seconds"] == 140 + 90
    assert "4 pgbench case(s) x 30 s + 2 HTTP case(s) x 10 s = 2 min 20 s of measuring" in plan["summary"]
    assert plan["summary"].endswith("about 3 min 50 s in all")
    assert plan["steps"] == [
        "case 1/6: pgbench direct -c 50 (30 s)",
        "case 2/6: pgbench direct -c 50 -C (30 s)",
        "case 3/6: pgbench pgbouncer -c 50 (30 s)",
        "case 4/6: pgbench pgbouncer -c 50 -C (30 s)",
        "case 5/6: wrk, Django mode direct (10 s)",
        "case 6/6: wrk, Django mode pool (10 s)",
    ]
    # Without HTTP cases: no switches, the numbering ends with pgbench.
    plan = bench.bench_plan(cases, [], 30, 10)
    assert plan["seconds"] == 120 + 60
    assert plan["steps"][-1] == "case 4/4: pgbench pgbouncer -c 50 -C (30 s)"
    with pytest.raises(ValueError, match="positive"):
        bench.bench_plan(cases, [], 0, 10)


def rows():
    pgbench = []
    for target, tps_plain, tps_c, refused in (("direct", 300.0, 100.0, 0), ("pgbouncer", 400.0, 1500.0, 0)):
        for connect, tps in ((False, tps_plain), (True, tps_c)):
            pgbench.append(
                {"name": f"pgbench {target}", "target": target, "clients": 50, "connect_per_transaction": connect,
                 "tps": tps, "latency_ms": 1.5, "refused": refused, "aborted_clients": 0, "completed": True}
            )
    pgbench.append(
        {"name": "pgbench direct", "target": "direct", "clients": 150, "connect_per_transaction": False,
         "tps": 0.0, "latency_ms": None, "refused": 1, "aborted_clients": 0, "completed": False}
    )
    http = [{"mode": mode, "requests_per_sec": rps, "latency_ms": 10.0, "non_2xx": 0, "errors": 0}
            for mode, rps in (("direct", 100.0), ("persistent", 350.0), ("pgbouncer", 320.0), ("pool", 340.0))]
    return pgbench, http


def test_ratios_compare_pooled_with_direct():
    pgbench, http = rows()
    computed = report.ratios(pgbench, http)
    assert computed["pgbench -C c=50 pgbouncer/direct"] == 15.0
    assert computed["pgbench c=50 pgbouncer/direct"] == 1.33
    assert computed["pgbench c=150 pgbouncer/direct"] is None  # no pooled run at 150 here
    assert computed["http pgbouncer/direct"] == 3.2
    assert computed["http persistent/direct"] == 3.5


def test_report_has_a_row_per_case_and_a_valid_png():
    pgbench, http = rows()
    files, _ = report.build(pgbench, http, {"scale": 1, "duration": 3}, {"cpus": 2})
    document = json.loads(files["benchmark.json"])
    assert len(document["pgbench"]) == 5 and len(document["http"]) == 4
    table = files["benchmark.md"].decode()
    assert len([line for line in table.splitlines() if line.startswith("| pgbench ") and "/direct" not in line]) == 5
    assert "| pool | 340.0 |" in table
    assert "| pgbench direct | 150 | no | 0.0 | — | 1 | 0 | no |" in table
    from PIL import Image

    image = Image.open(io.BytesIO(files["benchmark.png"]))
    assert image.format == "PNG" and image.size == (1000, 840)
    # The pgbouncer bars are drawn in their colour.
    colours = {colour: count for count, colour in image.convert("RGB").getcolors(1 << 20)}
    assert colours.get((0x4F, 0x81, 0xBD), 0) > 1000


def bars_and_labels(fig):
    """(x, height, hatched) of each bar and the text of each label, per panel."""
    panels = []
    for ax in fig.axes:
        bars = [(round(p.get_x() + p.get_width() / 2, 2), p.get_height(), bool(p.get_hatch())) for p in ax.patches]
        panels.append((bars, [text.get_text() for text in ax.texts]))
    return panels


def test_a_refused_case_is_labelled_not_drawn_as_a_zero_bar():
    pgbench, http = rows()
    (bars, labels), _ = bars_and_labels(report.figure(pgbench, http, "test"))
    assert len(bars) == 4 and all(height > 0 for _, height, _ in bars)
    assert "direct: no result: 1 connection refused" in labels


def test_new_connection_runs_are_hatched_and_in_the_legend():
    pgbench, http = rows()
    fig = report.figure(pgbench, http, "test")
    (bars, _), (http_bars, _) = bars_and_labels(fig)
    hatched = sorted(height for _, height, is_hatched in bars if is_hatched)
    assert hatched == [100.0, 1500.0]  # the -C runs of direct and pgbouncer
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert "pgbouncer, new connection per transaction (-C)" in legend
    assert [height for _, height, _ in http_bars] == [100.0, 350.0, 320.0, 340.0]
    assert fig.axes[1].get_xlabel() == "Django connection mode"
    assert fig.axes[0].get_ylabel() == "transactions per second (pgbench)"


def test_a_failed_http_case_is_labelled():
    pgbench, http = rows()
    http[3] = {"mode": "pool", "requests_per_sec": 0.0, "rc": 1, "errors": 8, "non_2xx": 0}
    _, (http_bars, labels) = bars_and_labels(report.figure(pgbench, http, "test"))
    assert len(http_bars) == 3
    assert "no result: failed" in labels


def test_the_same_report_gives_the_same_chart():
    pgbench, http = rows()
    first, _ = report.build(pgbench, http, {"scale": 1}, {"cpus": 2})
    second, _ = report.build(pgbench, http, {"scale": 1}, {"cpus": 2})
    assert first["benchmark.png"] == second["benchmark.png"]
