"""make bench's playbook on the balancer layout, at a tiny scale: the figures are not the point here.

wrk asks app1 straight from the balancer (plain HTTP on its private address:
behind a balancer the app hosts serve no HTTPS), and whatever the cases, the
inventory's connection mode comes back (Django's database settings as before)
and the report is written. The playbook renders the settings from the
inventory: the release the earlier tests rolled out with -e is not its
business.
"""

import json
import re

from conftest import EPHEMERAL

from tests.lib.molecule_helpers import run_playbook

# Django's database settings as the app runs them (the password left out).
DATABASE = (
    "polls-manage shell -c \"from django.conf import settings; d = dict(settings.DATABASES['default']);"
    " d.pop('PASSWORD', None); print(sorted((k, repr(v)) for k, v in d.items()))\""
)
TINY = {
    "bench_scale": 1,
    "bench_clients": [2],
    "bench_duration": 2,
    "bench_progress": 1,
    "bench_targets": ["pgbouncer"],
    "bench_connect_per_transaction": [False],
    "bench_wrk_threads": 1,
    "bench_wrk_connections": 2,
    "bench_wrk_duration": 2,
}


def bench(app1, name: str, **extra) -> tuple[dict, str]:
    before = app1.check_output(DATABASE)
    report = EPHEMERAL / name
    result = run_playbook("-e", json.dumps({**TINY, "bench_report_dir": str(report), **extra}), playbook="playbooks/benchmark.yml")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert app1.check_output(DATABASE) == before, "the inventory's connection mode was not restored"
    data = json.loads((report / "benchmark.json").read_text())
    # The machine's load at the start and at the end of the cases (1, 5, 15 min).
    for key in ("load_average_start", "load_average_end"):
        assert re.fullmatch(r"[0-9.]+ [0-9.]+ [0-9.]+ \(1, 5, 15 min\)", data["machine"][key]), data["machine"]
    return data, result.stdout


def test_the_http_cases_reach_one_app_host_behind_the_balancer(app1):
    data, stdout = bench(app1, "bench-http", bench_http_modes=["direct", "pgbouncer"])
    # The run says how long it takes, then each case as it starts.
    assert "1 pgbench case(s) x 2 s + 2 HTTP case(s) x 2 s = 6 s of measuring" in stdout
    for step in ("case 1/3: pgbench pgbouncer -c 2 (2 s)", "case 2/3: wrk, Django mode direct (2 s)",
                 "case 3/3: wrk, Django mode pgbouncer (2 s)"):
        assert f"{step}, started" in stdout, step
    assert [row["mode"] for row in data["http"]] == ["direct", "pgbouncer"]
    for row in data["http"]:
        assert row["requests"] > 0 and row["non_2xx"] == 0 and row["errors"] == 0, row
    assert [row["completed"] for row in data["pgbench"]] == [True]


def test_without_http_cases_the_mode_is_restored_and_the_report_written(app1, db1):
    data, _ = bench(app1, "bench-no-http", bench_http_modes=[])
    assert data["http"] == []
    assert len(data["pgbench"]) == 1
    # The report names the release and the server's PostgreSQL (the scenario
    # runs on Debian 12 and 13).
    release = app1.check_output(". /etc/os-release && echo $VERSION_ID $VERSION_CODENAME").split()
    assert data["machine"]["os"].startswith(f"Debian {release[0]}") and f"({release[1]})" in data["machine"]["os"], data["machine"]
    version = json.loads(db1.check_output("pg_lsclusters --json"))[0]["version"]
    assert data["machine"]["postgresql"].split(".")[0] == str(version), data["machine"]
