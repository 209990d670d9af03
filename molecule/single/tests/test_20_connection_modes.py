"""Django in each connection mode: pages served, a vote counted, the mode visible from outside.

The first test uses the inventory's own mode (pgbouncer over the local socket),
as converged. Each other mode is rendered by site.yml with -e
stack_db_connection_mode=<mode> (tags django_app_settings,pgbouncer; on the
app host only, except for the shared pool host), which reloads gunicorn. The
hosts are left in the last mode: test_30_benchmark.py switches modes itself
and checks that it puts the inventory's mode back.
"""

import json
import shlex
import uuid

import pytest

from conftest import ROOT_CA, SECRETS, console, server_sql
from tests.lib.molecule_helpers import UnixClient, run_playbook

# nginx on app1 itself, over HTTPS verified with pebble's root (conftest).
CA = ROOT_CA
SITE = "polls.pool.test"


def switch(limit: str = "appservers", **settings):
    """Render Django's settings for another mode (the app host only, unless the pool host changes too)."""
    result = run_playbook("--tags", "django_app_settings,pgbouncer", "--limit", limit, "-e", json.dumps(settings))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for secret in SECRETS.values():
        assert secret not in result.stdout + result.stderr
    return result


def django_shell(host, code: str) -> str:
    return host.check_output(f"polls-manage shell -c {shlex.quote(code)}").strip().splitlines()[-1]


@pytest.fixture(scope="module")
def question(app1):
    tag = uuid.uuid4().hex[:8]
    out = django_shell(
        app1,
        "import datetime; from django.utils import timezone; from polls.models import Question\n"
        f"q = Question.objects.create(question_text='Pooled {tag}?', pub_date=timezone.now() - datetime.timedelta(hours=1))\n"
        "c = q.choice_set.create(choice_text='Yes'); print(q.id, c.id)",
    )
    question_id, choice_id = (int(x) for x in out.split())
    return {"tag": tag, "id": question_id, "choice": choice_id}


def votes(host, choice_id: int) -> int:
    return int(django_shell(host, f"from polls.models import Choice; print(Choice.objects.get(pk={choice_id}).votes)"))


def serve_and_vote(app1, question):
    client = UnixClient(app1, https=CA, server=SITE)
    status, _, body = client.request("/polls/")
    assert status == 200
    assert f"Pooled {question['tag']}?" in body
    before = votes(app1, question["choice"])
    status, _, body = client.request(f"/polls/{question['id']}/")
    assert status == 200
    status, headers, _ = client.request(
        f"/polls/{question['id']}/vote/", data={"csrfmiddlewaretoken": client.csrf_token(body), "choice": question["choice"]}
    )
    assert status == 302
    assert f"/polls/{question['id']}/results/" in headers
    assert votes(app1, question["choice"]) == before + 1


def driver(app1) -> str:
    return django_shell(app1, "from django.db import connection; print(connection.Database.__name__)")


def server_connections_from(db1, app1) -> int:
    address = app1.check_output("hostname -I").split()[0]
    query = f"SELECT count(*) FROM pg_stat_activity WHERE usename = 'polls' AND client_addr = '{address}'"  # noqa: S608
    return int(server_sql(db1, query))


def test_pgbouncer_over_the_local_socket_as_converged(app1, pgpass, question):
    assert "# Connection mode: pgbouncer." in app1.file("/etc/polls/django_stack_settings.py").content_string
    assert driver(app1) == "psycopg2"
    serve_and_vote(app1, question)
    settings = django_shell(
        app1, "from django.db import connection as c; print(c.settings_dict['HOST'], c.settings_dict['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    assert settings == "/var/run/postgresql True"
    # A queryset iterator works under transaction pooling.
    count = django_shell(app1, "from polls.models import Question; print(sum(1 for _ in Question.objects.iterator(chunk_size=1)))")
    assert int(count) >= 1
    # The requests went through the local pool.
    stats = {row[0]: row for row in console(app1, "SHOW STATS")}
    assert int(stats["polls"][1]) > 0  # total_xact_count


def test_direct_opens_a_connection_per_request(app1, db1, question):
    switch(stack_db_connection_mode="direct")
    assert "# Connection mode: direct." in app1.file("/etc/polls/django_stack_settings.py").content_string
    serve_and_vote(app1, question)
    assert driver(app1) == "psycopg2"
    # Straight to the server, whose certificate Django's libpq verifies.
    options = django_shell(app1, "from django.db import connection as c; print(sorted(c.settings_dict['OPTIONS'].items()))")
    assert options == "[('sslmode', 'verify-full'), ('sslrootcert', '/etc/ssl/certs/ca-certificates.crt')]"
    # Nothing stays open once the requests are over (the pools of the local
    # PgBouncer are idle-closed only after 600 s, so stop it for the count).
    app1.run("systemctl stop pgbouncer")
    try:
        for _ in range(5):
            UnixClient(app1).request("/healthz")
        counts = [server_connections_from(db1, app1) for _ in range(10)]
        assert 0 in counts
    finally:
        app1.run("systemctl start pgbouncer")


def test_persistent_keeps_connections_in_the_workers(app1, db1, question):
    switch(stack_db_connection_mode="persistent")
    serve_and_vote(app1, question)
    app1.run("systemctl stop pgbouncer")
    try:
        for _ in range(10):
            UnixClient(app1).request("/healthz")
        # Kept open by the gunicorn workers (3) after their requests ended.
        assert 1 <= server_connections_from(db1, app1) <= 3
    finally:
        app1.run("systemctl start pgbouncer")
    settings = django_shell(
        app1, "from django.db import connection as c; print(c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS'])"
    )
    assert settings == "60 True"


def test_pool_uses_psycopg3_and_its_pool(app1, question):
    switch(stack_db_connection_mode="pool")
    serve_and_vote(app1, question)
    assert driver(app1) == "psycopg"
    out = django_shell(
        app1,
        "from django.db import connection as c; c.ensure_connection(); p = c.pool; "
        "print(type(p).__name__, p.min_size, p.max_size, c.settings_dict['CONN_MAX_AGE'])",
    )
    assert out == "ConnectionPool 1 2 0"


def test_pgbouncer_on_the_shared_pool_host_over_tls(app1, db1, pgpass, question):
    # The shared pool host (pool-db1) takes pool-app1 in as a client: both hosts.
    switch(limit="all", stack_db_connection_mode="pgbouncer", stack_pgbouncer_placement="shared")
    assert driver(app1) == "psycopg2"  # psycopg 3 left with the pool mode
    settings = django_shell(
        app1, "from django.db import connection as c; s = c.settings_dict; print(s['HOST'], s['PORT'], s['OPTIONS'])"
    )
    db1_address = db1.check_output("hostname -I").split()[0]
    assert settings == f"{db1_address} 6432 {{'sslmode': 'require'}}"
    before = int({row[0]: row for row in console(db1, "SHOW STATS")}.get("polls", ["", "0"])[1])
    serve_and_vote(app1, question)
    # The transactions went through pool-db1's PgBouncer (total_xact_count).
    assert int({row[0]: row for row in console(db1, "SHOW STATS")}["polls"][1]) > before
    # pool-app1 is a TLS client there: hold a connection open and look.
    app1_address = app1.check_output("hostname -I").split()[0]
    app1.run(f"psql 'host={db1_address} port=6432 dbname=polls user=polls sslmode=require' -c 'SELECT pg_sleep(4)' >/dev/null 2>&1 &")
    out = ""
    for _ in range(20):
        out = db1.check_output("psql -h 127.0.0.1 -p 6432 -U pgbouncer_admin pgbouncer -F '|' -c 'SHOW CLIENTS'")
        if app1_address in out:
            break
    header, *rows = [line for line in out.splitlines() if "|" in line]
    columns = [c.strip() for c in header.split("|")]
    app_rows = [dict(zip(columns, (v.strip() for v in row.split("|")), strict=False)) for row in rows]
    assert any(r["addr"] == app1_address and r["tls"].startswith("TLSv1") for r in app_rows), out
    # A wrong password over the network is refused there too.
    bad = app1.run(
        f"PGPASSFILE=/dev/null PGPASSWORD=wrong psql 'host={db1_address} port=6432 dbname=polls user=polls sslmode=require' -c 'SELECT 1'"
    )
    assert bad.rc != 0
    assert "authentication failed" in bad.stderr
    # ... and plain-text connections from the network are not let in at all.
    plain = app1.run(f"psql 'host={db1_address} port=6432 dbname=polls user=polls sslmode=disable' -c 'SELECT 1'")
    assert plain.rc != 0


def test_a_client_that_leaves_the_shared_pool_host_loses_its_firewall_rule(app1, db1):
    # Back to the inventory's placement (pool-app1's own PgBouncer): pool-db1
    # no longer has it as a client, and its UFW rule goes with it.
    db1_address = db1.check_output("hostname -I").split()[0]
    app1_address = app1.check_output("hostname -I").split()[0]
    rule = f"ufw allow from {app1_address} to any port 6432 proto tcp comment 'PgBouncer client'"
    assert rule in db1.check_output("ufw show added").splitlines()
    switch(limit="all", stack_db_connection_mode="pgbouncer")
    assert rule not in db1.check_output("ufw show added").splitlines()
    # The port is closed to pool-app1 again: the connection attempt is dropped (times out).
    probe = app1.run(f"timeout 5 bash -c '</dev/tcp/{db1_address}/6432'")
    assert probe.rc == 124, (probe.rc, probe.stderr)
    assert "# Connection mode: pgbouncer." in app1.file("/etc/polls/django_stack_settings.py").content_string
