"""The app's database and role, checked by connecting the way the app does (TCP, TLS)."""

import shlex

import pytest

testinfra_hosts = ["ansible://app-db-client"]

APP_DSN = "host=127.0.0.1 port=5432 dbname=polls user=polls sslmode=require"


@pytest.fixture(scope="module")
def secrets(host):
    variables = host.ansible.get_variables()
    return {
        "app": variables["vault_app_password"],
        "admin": variables["vault_admin_password"],
        "intruder": variables["vault_intruder_password"],
    }


def tcp(host, dsn, password, query):
    """Run a query over TCP with a password, in a new session; returns the CommandResult."""
    return host.run(f"PGPASSWORD={shlex.quote(password)} psql {shlex.quote(dsn)} -XAtc {shlex.quote(query)}")


def app(host, secrets, query):
    result = tcp(host, APP_DSN, secrets["app"], query)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def superuser(host, query):
    return host.check_output(f"runuser -u postgres -- psql -XAtc {shlex.quote(query)}")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("client_encoding", "UTF8"),
        ("default_transaction_isolation", "read committed"),
        ("TimeZone", "UTC"),
    ],
)
def test_new_sessions_get_the_role_settings(host, secrets, setting, value):
    assert app(host, secrets, f"SHOW {setting}") == value


def test_app_connection_uses_tls(host, secrets):
    assert app(host, secrets, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t"


def test_app_can_create_tables_in_its_database(host, secrets):
    # One session: create, write, read, drop (what Django's migrations do).
    out = app(
        host,
        secrets,
        "CREATE TABLE verify_probe (id int); INSERT INTO verify_probe VALUES (42); SELECT id FROM verify_probe; DROP TABLE verify_probe;",
    )
    assert "42" in out.splitlines()


def test_app_role_has_no_administrative_attributes(host, secrets):
    row = app(host, secrets, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    assert row == "f|f|f"


def test_app_cannot_create_schemas_or_databases(host, secrets):
    result = tcp(host, APP_DSN, secrets["app"], "CREATE SCHEMA sneaky")
    assert result.rc != 0
    assert "permission denied" in result.stderr
    result = tcp(host, APP_DSN, secrets["app"], "CREATE DATABASE sneaky")
    assert result.rc != 0
    assert "permission denied" in result.stderr


def test_database_is_utf8_and_owned_by_the_admin(host):
    # prepare.yml installed PostgreSQL through apt under LC_ALL=C, so the
    # cluster's own default is SQL_ASCII: UTF8 here comes from the role.
    row = superuser(
        host,
        "SELECT pg_encoding_to_char(encoding), pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'polls'",
    )
    assert row == "UTF8|dbadmin"


def test_app_has_exactly_connect_and_temporary_on_its_database(host):
    row = superuser(
        host,
        "SELECT has_database_privilege('polls', 'polls', 'CONNECT'), "
        "has_database_privilege('polls', 'polls', 'TEMPORARY'), "
        "has_database_privilege('polls', 'polls', 'CREATE')",
    )
    assert row == "t|t|f"


def test_other_roles_cannot_connect_to_the_app_database(host, secrets):
    # PostgreSQL grants CONNECT on every database to PUBLIC; the role revoked
    # it on the app's database. pg_hba here is Debian's default (any role, any
    # database, from loopback, with a password), so the refusal below comes
    # from the revoked privilege alone: the same role still reaches `postgres`.
    intruder = "host=127.0.0.1 port=5432 user=intruder sslmode=require dbname="
    assert tcp(host, intruder + "postgres", secrets["intruder"], "SELECT 1").rc == 0
    result = tcp(host, intruder + "polls", secrets["intruder"], "SELECT 1")
    assert result.rc != 0
    assert "permission denied for database" in result.stderr


def test_app_password_is_stored_as_scram_and_checked(host, secrets):
    assert superuser(host, "SELECT rolpassword FROM pg_authid WHERE rolname = 'polls'").startswith("SCRAM-SHA-256$")
    result = tcp(host, APP_DSN, "wrong-password", "SELECT 1")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr
