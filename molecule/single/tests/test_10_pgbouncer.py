"""PgBouncer on the app host (unix socket, peer) and on the shared pool host."""

import pytest

from conftest import SECRETS, console

from tests.lib.molecule_helpers import systemd_exposure

SOCKET = "-h /var/run/postgresql -p 6432"


@pytest.mark.parametrize("name", ["app1", "db1"])
def test_pgbouncer_runs_with_its_files_private(name, request):
    host = request.getfixturevalue(name)
    assert host.service("pgbouncer").is_running
    assert host.service("pgbouncer").is_enabled
    for path in ("/etc/pgbouncer/userlist.txt", "/etc/pgbouncer/pgbouncer.ini", "/etc/pgbouncer/pg_hba.conf"):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("postgres", "postgres", 0o640), path
    assert host.file("/etc/pgbouncer/userlist.txt").contains('^"polls" ')


def test_app_user_connects_through_the_socket_and_the_server_sees_tls(app1):
    query = "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    out = app1.check_output(f"runuser -u polls -- psql {SOCKET} polls -At -F '|' -c '{query}'")
    assert out == "polls|t"


def test_the_server_certificate_is_verified(app1):
    """The deployed configuration, pointed at another CA, refuses the database server.

    A second PgBouncer runs from a copy of /etc/pgbouncer/pgbouncer.ini on another
    port with only server_tls_ca_file changed: its server login must fail the TLS
    handshake (the running one, with the scenario's CA, connects: see above).
    """
    script = r"""
set -e
dir=$(mktemp -d /var/tmp/pgb-verify.XXXXXX)
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=not-the-database-ca -keyout other.key -out other.pem 2>/dev/null
sed -e 's|^server_tls_ca_file =.*|server_tls_ca_file = '"$dir"'/other.pem|' \
    -e 's|^%include .*|listen_addr =\nlisten_port = 6499\nunix_socket_dir = '"$dir"'|' \
    -e 's|^pidfile =.*|pidfile = '"$dir"'/pid|' \
    -e 's|^logfile =.*|logfile = '"$dir"'/log|' /etc/pgbouncer/pgbouncer.ini > test.ini
chown -R postgres "$dir"
chmod 0755 "$dir"
runuser -u postgres -- pgbouncer -d test.ini
sleep 1
timeout 5 runuser -u polls -- psql -h "$dir" -p 6499 polls -c 'SELECT 1' >/dev/null 2>&1 || true
kill "$(cat pid)"
grep -c 'certificate verify failed' log || true
rm -rf "$dir"
"""
    failures = app1.check_output("bash -c %s", script)
    assert int(failures.splitlines()[-1]) >= 1, failures


def test_other_system_users_cannot_use_the_socket_as_the_app_user(app1):
    refused = app1.run(f"runuser -u nobody -- psql {SOCKET} -U polls polls -c 'SELECT 1'")
    assert refused.rc != 0
    assert "FATAL" in refused.stderr


def test_tcp_client_with_a_wrong_password_is_refused(app1, pgpass):
    good = app1.run("psql -h 127.0.0.1 -p 6432 -U polls polls -At -c 'SELECT 42'")
    assert good.rc == 0, good.stderr
    assert good.stdout.strip() == "42"
    bad = app1.run("PGPASSFILE=/dev/null PGPASSWORD=not-the-password psql -h 127.0.0.1 -p 6432 -U polls polls -c 'SELECT 1'")
    assert bad.rc != 0
    assert "SASL authentication failed" in bad.stderr or "password authentication failed" in bad.stderr


def test_show_config_has_the_mode_and_the_sizes(app1, pgpass):
    config = {row[0]: row[1] for row in console(app1, "SHOW CONFIG")}
    assert config["pool_mode"] == "transaction"
    # (30 max_connections - 3 reserved - 8 other) // 2 PgBouncer hosts // 2 pools = 4
    assert config["default_pool_size"] == "4"
    assert config["max_client_conn"] == "1000"
    assert config["server_reset_query"] == "DISCARD ALL"
    assert config["server_lifetime"] == "3600"
    assert config["server_idle_timeout"] == "600"
    assert config["server_tls_sslmode"] == "verify-full"
    assert config["server_tls_ca_file"] == "/etc/ssl/certs/ca-certificates.crt"
    assert config["auth_type"] == "hba"


def test_show_databases_and_pools(app1, pgpass):
    databases = {row[0]: row for row in console(app1, "SHOW DATABASES")}
    assert set(databases) >= {"polls", "bench", "pgbouncer"}
    header = app1.check_output("psql -h 127.0.0.1 -p 6432 -U pgbouncer_admin -F '|' pgbouncer -c 'SHOW DATABASES' | head -1")
    columns = [c.strip() for c in header.split("|")]
    assert databases["polls"][columns.index("pool_size")] == "4"
    assert databases["polls"][columns.index("max_connections")] == "4"
    app1.run(f"runuser -u polls -- psql {SOCKET} polls -c 'SELECT 1'")
    pools = console(app1, "SHOW POOLS")
    assert ["polls", "polls"] in [row[:2] for row in pools]
    assert {row[-1] for row in pools if row[0] == "polls"} == {"transaction"}


def test_the_stats_user_may_look_but_not_act(app1, pgpass):
    assert console(app1, "SHOW STATS", user="pgbouncer_stats")
    refused = app1.run("psql -h 127.0.0.1 -p 6432 -U pgbouncer_stats pgbouncer -c 'RELOAD'")
    assert refused.rc != 0
    assert "admin access needed" in refused.stderr


def test_file_descriptor_limit_follows_max_client_conn(app1):
    # 1000 clients + 2 pools x 4 + 100 spare
    assert app1.check_output("systemctl show -p LimitNOFILE --value pgbouncer") == "1108"
    pid = app1.check_output("systemctl show -p MainPID --value pgbouncer")
    assert "1108" in app1.check_output(f"grep 'Max open files' /proc/{pid}/limits")


# Debian's unit alone: 9.2 ("UNSAFE"); with the role's sandbox drop-in: 1.3.
PGBOUNCER_MAX_EXPOSURE = 1.5


@pytest.mark.parametrize("name", ["app1", "db1"])
def test_pgbouncer_is_sandboxed(name, request):
    host = request.getfixturevalue(name)
    assert systemd_exposure(host, "pgbouncer.service") <= PGBOUNCER_MAX_EXPOSURE
    assert host.file("/etc/systemd/system/pgbouncer.service.d/sandbox.conf").exists
    # The drop-in is in force, not just on disk.
    props = host.check_output("systemctl show -p ProtectSystem -p NoNewPrivileges -p CapabilityBoundingSet pgbouncer")
    assert "ProtectSystem=strict" in props and "NoNewPrivileges=yes" in props, props


def test_a_reload_keeps_an_open_client_connected(app1):
    pid_before = app1.check_output("systemctl show -p MainPID --value pgbouncer")
    # From /: psql (as polls) warns on stderr when it cannot enter the
    # session's working directory (root's home, over SSH).
    script = (
        "cd /; (echo 'SELECT 1 AS first;'; sleep 4; echo \"SELECT 'still-connected';\") "
        f"| runuser -u polls -- psql {SOCKET} polls -At > /tmp/held-client.txt 2>&1 & "
        "client=$!; sleep 2; systemctl reload pgbouncer; wait $client; echo rc=$?"
    )
    result = app1.run("bash -c %s", script)
    assert "rc=0" in result.stdout
    held = app1.file("/tmp/held-client.txt").content_string
    assert held.split() == ["1", "still-connected"], held
    assert app1.check_output("systemctl show -p MainPID --value pgbouncer") == pid_before
    assert "got SIGHUP" in app1.check_output("journalctl -u pgbouncer --no-pager -o cat | tail -n 30")


def test_shared_pool_host_listens_with_tls_and_lets_only_the_loopback_in_yet(db1, app1, pgpass):
    # pool-app1 has its own PgBouncer, so no app host uses pool-db1's yet
    # (test_20 switches it over): the port is closed to it.
    config = {row[0]: row[1] for row in console(db1, "SHOW CONFIG")}
    assert config["client_tls_sslmode"] == "allow"
    address = db1.check_output("hostname -I").split()[0]
    assert db1.socket(f"tcp://{address}:6432").is_listening
    assert db1.socket("tcp://127.0.0.1:6432").is_listening
    refused = app1.run("psql 'host=pool-db1 port=6432 dbname=polls user=polls sslmode=require connect_timeout=5' -c 'SELECT 1'")
    assert refused.rc != 0


def test_no_password_in_configuration_units_processes_or_logs(app1, db1):
    for host in (app1, db1):
        texts = [
            host.file("/etc/pgbouncer/pgbouncer.ini").content_string,
            host.file("/etc/pgbouncer/pg_hba.conf").content_string,
            host.check_output("systemctl cat pgbouncer"),
            host.check_output("ps -eo args"),
            host.check_output("journalctl -u pgbouncer --no-pager -o cat"),
        ]
        for text in texts:
            for secret in SECRETS.values():
                assert secret not in text
