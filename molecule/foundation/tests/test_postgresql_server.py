"""The PostgreSQL server role, seen from inside the host."""

import json
import shlex

import pytest

from tests.lib.molecule_helpers import run_playbook

testinfra_hosts = ["ansible://pg-server"]

ADMIN = "dbadmin"
# The PostgreSQL major version each Debian release ships, which the role
# installs when postgresql_server_version is empty.
RELEASE_VERSIONS = {"12": "15", "13": "17"}


@pytest.fixture(scope="module")
def version(host):
    clusters = json.loads(host.check_output("pg_lsclusters --json"))
    assert [c["cluster"] for c in clusters] == ["main"]
    return str(clusters[0]["version"])


@pytest.fixture(scope="module")
def conf_dir(version):
    return f"/etc/postgresql/{version}/main"


def test_the_release_s_own_version_is_installed(host, version):
    release = host.check_output(". /etc/os-release && echo $VERSION_ID")
    assert version == RELEASE_VERSIONS[release]
    assert host.package(f"postgresql-{version}").is_installed


@pytest.fixture(scope="module")
def admin_password(host):
    return host.ansible.get_variables()["vault_admin_password"]


@pytest.fixture(scope="module")
def private_ip(host):
    return host.interface.default().addresses[0]


def sql(host, query):
    """Run a query as the postgres superuser over the local socket."""
    return host.check_output(f"runuser -u postgres -- psql -XAtc {shlex.quote(query)}")


def tcp(host, dsn, password, query):
    """Run a query over TCP with a password; returns the CommandResult."""
    return host.run(f"PGPASSWORD={shlex.quote(password)} psql {shlex.quote(dsn)} -XAtc {shlex.quote(query)}")


def test_cluster_running_and_enabled(host, version):
    assert host.service(f"postgresql@{version}-main").is_running
    assert host.service("postgresql").is_enabled


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_connections", "100"),
        ("superuser_reserved_connections", "3"),
        ("password_encryption", "scram-sha-256"),
        ("ssl", "on"),
        ("ssl_min_protocol_version", "TLSv1.2"),
        ("port", "5432"),
        ("server_encoding", "UTF8"),
        # postgresql_server_extra_settings: a number, a string, a boolean
        ("log_min_duration_statement", "500ms"),
        ("work_mem", "8MB"),
        ("log_connections", "on"),
    ],
)
def test_setting(host, setting, value):
    assert sql(host, f"SHOW {setting}") == value


def test_listens_on_loopback_and_the_private_address_only(host, private_ip):
    assert host.socket("tcp://127.0.0.1:5432").is_listening
    assert host.socket(f"tcp://{private_ip}:5432").is_listening
    assert not host.socket("tcp://0.0.0.0:5432").is_listening


def test_private_key_only_readable_by_postgres(host, conf_dir):
    key = host.file(f"{conf_dir}/ssl/server.key")
    assert key.user == "postgres"
    assert key.mode == 0o600


def test_certificate_names_the_host_and_its_addresses(host, private_ip, conf_dir):
    text = host.check_output(f"openssl x509 -in {conf_dir}/ssl/server.crt -noout -subject -ext subjectAltName")
    assert "CN = pg-server" in text
    assert "DNS:pg-server" in text
    assert "IP Address:127.0.0.1" in text
    assert f"IP Address:{private_ip}" in text


def test_admin_role_is_not_superuser_but_can_create_databases_and_roles(host):
    row = sql(host, "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = 'dbadmin'")
    assert row == "f|t|t|t"


def test_admin_password_stored_as_scram(host):
    assert sql(host, "SELECT rolpassword FROM pg_authid WHERE rolname = 'dbadmin'").startswith("SCRAM-SHA-256$")


def test_pg_hba_has_no_trust_and_only_the_listed_rules(host, conf_dir):
    rules = [
        line.split()
        for line in host.file(f"{conf_dir}/pg_hba.conf").content_string.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert all("trust" not in rule for rule in rules)
    assert rules == [
        ["local", "all", "postgres", "peer"],
        ["local", "all", "all", "peer"],
        ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
        ["host", "all", "all", "::1/128", "scram-sha-256"],
        ["hostssl", "polls", "polls", "192.0.2.10/32", "scram-sha-256"],
        ["hostssl", "polls", "polls", "2001:db8::10/128", "scram-sha-256"],
        ["hostssl", "all", "dbadmin", "198.51.100.0/24", "scram-sha-256"],
    ]
    # The server itself parsed the file the same way, without errors.
    assert sql(host, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL") == "0"


def test_admin_connects_over_tls(host, admin_password):
    result = tcp(
        host,
        f"host=127.0.0.1 port=5432 dbname=postgres user={ADMIN} sslmode=require",
        admin_password,
        "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    assert result.rc == 0, result.stderr
    ssl, version = result.stdout.strip().split("|")
    assert ssl == "t"
    assert version in ("TLSv1.2", "TLSv1.3")


def test_admin_can_create_and_drop_a_database(host, admin_password):
    dsn = f"host=127.0.0.1 port=5432 dbname=postgres user={ADMIN} sslmode=require"
    assert tcp(host, dsn, admin_password, "CREATE DATABASE verify_scratch").rc == 0
    assert tcp(host, dsn, admin_password, "DROP DATABASE verify_scratch").rc == 0


def test_wrong_password_refused(host):
    result = tcp(host, f"host=127.0.0.1 port=5432 dbname=postgres user={ADMIN} sslmode=require", "wrong", "SELECT 1")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_unlisted_address_refused_by_pg_hba(host, admin_password, private_ip):
    # The host's own private address is not a client address: no rule matches.
    result = tcp(host, f"host={private_ip} port=5432 dbname=postgres user={ADMIN} sslmode=require", admin_password, "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr


def test_firewall_lets_in_only_the_clients(host):
    rules = [line for line in host.check_output("ufw show added").splitlines() if "5432" in line]
    assert sorted(rules) == [
        "ufw allow from 192.0.2.10 to any port 5432 proto tcp comment 'PostgreSQL client'",
        "ufw allow from 198.51.100.0/24 to any port 5432 proto tcp comment 'PostgreSQL client'",
    ]
    assert "Status: active" in host.check_output("ufw status")




def test_a_bad_setting_is_refused_and_the_server_keeps_running_as_it_was(host, version, conf_dir):
    unit = f"postgresql@{version}-main.service"
    settings = f"{conf_dir}/conf.d/50-django-stack.conf"
    main_pid = host.check_output(f"systemctl show -p MainPID --value {unit}")
    before = host.file(settings).content_string
    bad = {"postgresql_server_extra_settings": {"work_mem": "lots", "log_connections": True}}
    result = run_playbook("--limit", "pg-server", "-e", json.dumps(bad), playbook="molecule/foundation/converge.yml")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert 'invalid value for parameter "work_mem": "lots"' in output, output[-3000:]
    assert "The previous settings are back in place and the server was not restarted" in output
    # The file, the process and the value in use are the ones from before;
    # no copy is left in conf.d.
    assert host.file(settings).content_string == before
    assert host.check_output(f"systemctl show -p MainPID --value {unit}") == main_pid
    assert host.check_output(f"ls {conf_dir}/conf.d").split() == ["50-django-stack.conf"]
    assert sql(host, "SHOW work_mem") == "8MB"


def test_another_version_is_refused_before_any_change_and_names_the_cluster_in_use(host, version):
    # As after a move to a newer Debian release, whose default is another
    # major version: the role must not put an empty cluster beside this one.
    other = str(int(version) + 2)
    result = run_playbook(
        "--limit", "pg-server", "-e", json.dumps({"postgresql_server_version": other}),
        playbook="molecule/foundation/converge.yml",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert f"This host already runs PostgreSQL {version}" in output, output[-3000:]
    assert f"postgresql_server_version resolves to {other} (got '{other}')" in output
    assert f"Set postgresql_server_version to {version} to keep that cluster" in output
    assert not host.package(f"postgresql-{other}").is_installed
    assert [c["version"] for c in json.loads(host.check_output("pg_lsclusters --json"))] == [int(version)]
