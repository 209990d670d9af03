"""The database tier, seen from the app host (app1), the server (db1) and a stranger (outsider)."""

import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import get_host  # noqa: E402

# The tests below run on the client host; db1 and outsider are reached explicitly.
testinfra_hosts = ["app1"]


@pytest.fixture(scope="module")
def db1():
    return get_host("db1")


@pytest.fixture(scope="module")
def outsider():
    return get_host("outsider")


@pytest.fixture(scope="module")
def db_ip(db1):
    return db1.interface.default().addresses[0]


@pytest.fixture(scope="module")
def secrets(host):
    variables = host.ansible.get_variables()
    return {"app": variables["vault_stack_db_password"], "admin": variables["vault_stack_db_admin_password"]}


def psql(host, dsn, password, query):
    """Run a query in a new session over TCP; returns the CommandResult."""
    return host.run(f"PGPASSWORD={shlex.quote(password)} psql {shlex.quote(dsn)} -XAtc {shlex.quote(query)}")


def app_dsn(db_ip, dbname="polls", sslmode="require"):
    return f"host={db_ip} port=5432 dbname={dbname} user=polls sslmode={sslmode} connect_timeout=5"


def app_query(host, db_ip, secrets, query):
    result = psql(host, app_dsn(db_ip), secrets["app"], query)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def test_app_user_connects_over_tls(host, db_ip, secrets):
    assert app_query(host, db_ip, secrets, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("client_encoding", "UTF8"),
        ("default_transaction_isolation", "read committed"),
        ("TimeZone", "UTC"),
    ],
)
def test_new_sessions_get_the_role_settings(host, db_ip, secrets, setting, value):
    assert app_query(host, db_ip, secrets, f"SHOW {setting}") == value


def test_app_user_can_create_tables(host, db_ip, secrets):
    out = app_query(
        host,
        db_ip,
        secrets,
        "CREATE TABLE verify_probe (id int); INSERT INTO verify_probe VALUES (7); SELECT id FROM verify_probe; DROP TABLE verify_probe;",
    )
    assert "7" in out.splitlines()


def test_app_user_has_no_administrative_attributes(host, db_ip, secrets):
    row = app_query(host, db_ip, secrets, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    assert row == "f|f|f"


def test_app_user_cannot_reach_other_databases(host, db_ip, secrets):
    result = psql(host, app_dsn(db_ip, dbname="postgres"), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr or "permission denied" in result.stderr


def test_unencrypted_connections_refused(host, db_ip, secrets):
    # The remote rules are hostssl: without TLS no rule matches.
    result = psql(host, app_dsn(db_ip, sslmode="disable"), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr
    assert "no encryption" in result.stderr


def test_wrong_password_refused(host, db_ip):
    result = psql(host, app_dsn(db_ip), "not-the-password", "SELECT 1")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_outsider_cannot_connect(outsider, db_ip, secrets):
    # UFW on db1 drops the packets: the attempt times out instead of reaching
    # PostgreSQL (which would answer with a pg_hba error).
    result = psql(outsider, app_dsn(db_ip), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "timeout expired" in result.stderr


def test_server_refuses_unlisted_addresses(db1, db_ip, secrets):
    # From db1 itself to its private address: the firewall lets loopback
    # traffic through, and pg_hba has no rule for that address.
    result = psql(db1, app_dsn(db_ip), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr


def test_firewall_opens_the_port_to_the_app_host_only(host, db1):
    app_ip = host.interface.default().addresses[0]
    rules = [line for line in db1.check_output("ufw show added").splitlines() if "5432" in line]
    assert rules == [f"ufw allow from {app_ip} to any port 5432 proto tcp comment 'PostgreSQL client'"]
    assert "Status: active" in db1.check_output("ufw status")
