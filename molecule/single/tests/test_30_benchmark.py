"""The benchmark playbook at a tiny scale: a row per case, the pool refuses nobody.

max_connections is 30 (27 for the app's users): 40 clients straight to the
server are refused slots, 40 through PgBouncer wait their turn for its 4-connection pool.
The run adds 2 ms of emulated latency through the benchmark's forwarding proxy
(the default method), so that path is exercised and undone too.
"""

import json

import pytest

from conftest import SECRETS
from tests.lib.molecule_helpers import run_playbook

CLIENTS = [10, 40]
# What every pgbench process on app1 had in its environment and command line,
# read from /proc while the benchmark ran (root-only file, removed after).
SEEN = "/root/pgbench-seen.txt"
WATCH_STOP = "/root/pgbench-watch.stop"
WATCH = (
    f"rm -f {SEEN} {WATCH_STOP}; umask 077; "
    "nohup bash -c 'end=$((SECONDS + 1200)); "
    f"while [ $SECONDS -lt $end ] && [ ! -e {WATCH_STOP} ]; do "
    "for p in $(pgrep -x pgbench); do "
    '{ echo "== pgbench $p"; tr "\\0" "\\n" < /proc/$p/environ; echo; tr "\\0" " " < /proc/$p/cmdline; echo; } '
    f">> {SEEN} 2>/dev/null; done; sleep 0.2; done' > /dev/null 2>&1 &"
)


@pytest.fixture(scope="module")
def seen(report, app1):
    """What the watcher read from /proc while the benchmark ran (the file is removed)."""
    app1.run(f"touch {WATCH_STOP}")
    text = app1.run(f"cat {SEEN}").stdout
    app1.run(f"sleep 1; rm -f {SEEN} {WATCH_STOP}")
    return text


@pytest.fixture(scope="module")
def report(tmp_path_factory, app1):
    directory = tmp_path_factory.mktemp("benchmark")
    app1.check_output(WATCH)
    extra = {
        "bench_scale": 1,
        "bench_clients": CLIENTS,
        "bench_duration": 3,
        "bench_progress": 1,
        "bench_wrk_duration": 2,
        "bench_wrk_connections": 4,
        "bench_report_dir": str(directory),
        "bench_latency_ms": 2,
    }
    # At -vvv, where a password passed in the environment would show on the
    # remote command line.
    result = run_playbook("-vvv", "-e", json.dumps(extra), playbook="playbooks/benchmark.yml", timeout=1200)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return directory, result, json.loads((directory / "benchmark.json").read_text())


def case(document, target, clients, connect):
    found = [
        row for row in document["pgbench"]
        if (row["target"], row["clients"], row["connect_per_transaction"]) == (target, clients, connect)
    ]
    assert len(found) == 1, document["pgbench"]
    return found[0]


def test_a_row_for_every_case(report):
    _, _, document = report
    assert len(document["pgbench"]) == 2 * len(CLIENTS) * 2
    for target in ("direct", "pgbouncer"):
        for clients in CLIENTS:
            for connect in (False, True):
                case(document, target, clients, connect)
    assert [row["mode"] for row in document["http"]] == ["direct", "persistent", "pgbouncer", "pool"]
    assert document["parameters"]["scale"] in (1, "1")
    assert document["machine"]["max_connections"] in (30, "30")
    # The worker count the running unit has (molecule.yml sets gunicorn_workers: 3).
    assert document["machine"]["gunicorn_workers"] in (3, "3")


def test_the_pool_refuses_nobody_above_max_connections(report):
    _, _, document = report
    for connect in (False, True):
        row = case(document, "pgbouncer", 40, connect)
        assert row["refused"] == 0, row
        assert row["aborted_clients"] == 0, row
        assert row["completed"] is True, row
        assert row["tps"] > 0


def test_direct_clients_above_max_connections_are_refused_and_counted(report):
    _, _, document = report
    row = case(document, "direct", 40, False)
    assert row["refused"] >= 1, row
    assert row["completed"] is False
    small = case(document, "direct", 10, False)
    assert small["refused"] == 0 and small["tps"] > 0


def test_every_django_mode_served_the_page(report):
    _, _, document = report
    for row in document["http"]:
        assert row["requests"] > 0, row
        assert row["non_2xx"] == 0, row
        assert row["errors"] == 0, row


def test_markdown_and_png_are_written(report):
    directory, _, _ = report
    table = (directory / "benchmark.md").read_text()
    assert "| pgbench pgbouncer -C | 40 | yes |" in table
    assert "http pgbouncer/direct" in table
    assert (directory / "benchmark.png").read_bytes().startswith(b"\x89PNG")


def test_no_secret_in_the_output_or_the_report(report, app1):
    directory, result, _ = report
    # The run was at -vvv (no secret below); the service file that held the
    # bench password for pgbench is gone afterwards.
    assert not app1.file("/root/.pg_service-benchmark.conf").exists
    texts = [result.stdout, result.stderr] + [(directory / name).read_text() for name in ("benchmark.json", "benchmark.md")]
    for secret in SECRETS.values():
        for text in texts:
            assert secret not in text


def test_pgbench_never_had_a_password_in_its_environment_or_arguments(seen):
    # libpq reads PGPASSWORD from the environment, which /proc/<pid>/environ
    # shows to root and ps e to the user; the playbook gives pgbench a
    # root-only service file instead. The watcher saw pgbench run (else this
    # test proves nothing) and never a password.
    assert seen.count("== pgbench ") >= 2, seen[-2000:]
    assert "PGPASSWORD" not in seen
    for secret in SECRETS.values():
        assert secret not in seen


def test_the_inventory_mode_and_the_pool_are_back(app1, db1, report, pgpass):
    _, _, document = report
    assert document["parameters"]["latency_method"] == "proxy"
    assert "# Connection mode: pgbouncer." in app1.file("/etc/polls/django_stack_settings.py").content_string
    # ... through the PgBouncer on app1 itself (the benchmark went through every other mode).
    host = app1.check_output("""polls-manage shell -c "from django.db import connection as c; print(c.settings_dict['HOST'])" """)
    assert host.strip().splitlines()[-1] == "/var/run/postgresql"
    # PgBouncer's bench pool points at the database again, and the proxy is gone.
    db1_address = db1.check_output("hostname -I").split()[0]
    assert f"bench = host={db1_address} port=5432 " in app1.file("/etc/pgbouncer/pgbouncer.ini").content_string
    assert not app1.socket("tcp://127.0.0.1:15432").is_listening
