"""The database tier, seen from an app host (app1), the server (db1) and a stranger (the client host)."""

import json
import shlex

import pytest
from conftest import SECRETS, private_ip


@pytest.fixture(scope="module")
def db_ip(db1):
    return private_ip(db1)


@pytest.fixture(scope="module")
def secrets():
    return {"app": SECRETS["vault_stack_db_password"], "admin": SECRETS["vault_stack_db_admin_password"]}


def psql(host, dsn, password, query):
    """Run a query in a new session over TCP; returns the CommandResult."""
    return host.run(f"PGPASSWORD={shlex.quote(password)} psql {shlex.quote(dsn)} -XAtc {shlex.quote(query)}")


def app_dsn(db_ip, dbname="polls", sslmode="require"):
    return f"host={db_ip} port=5432 dbname={dbname} user=polls sslmode={sslmode} connect_timeout=5"


def app_query(host, db_ip, secrets, query):
    result = psql(host, app_dsn(db_ip), secrets["app"], query)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


# The PostgreSQL major version each Debian release ships; the scenario runs
# on both (tests/lib/platforms.py) and sets no postgresql_server_version.
RELEASE_VERSIONS = {"12": 15, "13": 17}


def test_the_server_is_the_release_s_own_postgresql(db1):
    release = db1.check_output(". /etc/os-release && echo $VERSION_ID")
    expected = RELEASE_VERSIONS[release]
    assert [(c["version"], c["cluster"]) for c in json.loads(db1.check_output("pg_lsclusters --json"))] == [(expected, "main")]
    # The server answering is that version.
    assert db1.check_output("runuser -u postgres -- psql -XAtc 'SHOW server_version_num'")[:2] == str(expected)


def test_app_user_connects_over_tls(app1, db_ip, secrets):
    assert app_query(app1, db_ip, secrets, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("client_encoding", "UTF8"),
        ("default_transaction_isolation", "read committed"),
        ("TimeZone", "UTC"),
    ],
)
def test_new_sessions_get_the_role_settings(app1, db_ip, secrets, setting, value):
    assert app_query(app1, db_ip, secrets, f"SHOW {setting}") == value


def test_app_user_can_create_tables(app1, db_ip, secrets):
    out = app_query(
        app1,
        db_ip,
        secrets,
        "CREATE TABLE verify_probe (id int); INSERT INTO verify_probe VALUES (7); SELECT id FROM verify_probe; DROP TABLE verify_probe;",
    )
    assert "7" in out.splitlines()


def test_app_user_has_no_administrative_attributes(app1, db_ip, secrets):
    row = app_query(app1, db_ip, secrets, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    assert row == "f|f|f"


def test_app_user_cannot_reach_other_databases(app1, db_ip, secrets):
    result = psql(app1, app_dsn(db_ip, dbname="postgres"), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr or "permission denied" in result.stderr


def test_unencrypted_connections_refused(app1, db_ip, secrets):
    # The remote rules are hostssl: without TLS no rule matches.
    result = psql(app1, app_dsn(db_ip, sslmode="disable"), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr
    assert "no encryption" in result.stderr


def test_wrong_password_refused(app1, db_ip):
    result = psql(app1, app_dsn(db_ip), "not-the-password", "SELECT 1")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_outsider_cannot_connect(client, db_ip, secrets):
    # UFW on db1 drops the packets: the attempt times out instead of reaching
    # PostgreSQL (which would answer with a pg_hba error).
    result = psql(client, app_dsn(db_ip), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "timeout expired" in result.stderr


def test_server_refuses_unlisted_addresses(db1, db_ip, secrets):
    # From db1 itself to its private address: the firewall lets loopback
    # traffic through, and pg_hba has no rule for that address.
    result = psql(db1, app_dsn(db_ip), secrets["app"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr


def test_firewall_opens_the_port_to_the_app_hosts_only(app1, app2, db1):
    rules = sorted(line for line in db1.check_output("ufw show added").splitlines() if "5432" in line)
    expected = sorted(
        f"ufw allow from {private_ip(app)} to any port 5432 proto tcp comment 'PostgreSQL client'" for app in (app1, app2)
    )
    assert rules == expected
    assert "Status: active" in db1.check_output("ufw status")


def admin_dsn(db_ip, dbname):
    return f"host={db_ip} port=5432 dbname={dbname} user=dbadmin sslmode=require connect_timeout=5"


@pytest.mark.parametrize("dbname", ["postgres", "polls"])
def test_admin_reaches_the_databases_it_works_in_from_the_app_hosts(app1, app2, db_ip, secrets, dbname):
    for app in (app1, app2):
        result = psql(app, admin_dsn(db_ip, dbname), secrets["admin"], "SELECT current_user")
        assert result.rc == 0, result.stderr
        assert result.stdout.strip() == "dbadmin"


def test_admin_reaches_no_other_database(app1, db_ip, secrets):
    # Its own database and the app's are all it needs (no `all` rule).
    result = psql(app1, admin_dsn(db_ip, "template1"), secrets["admin"], "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr


def test_admin_rule_names_its_databases_and_the_app_hosts_only(app1, app2, db1):
    hba = db1.check_output("runuser -u postgres -- psql -XAtc 'SHOW hba_file'")
    rules = [line.split() for line in db1.file(hba).content_string.splitlines()]
    admin = sorted((rule[1], rule[3]) for rule in rules if len(rule) > 3 and rule[0] == "hostssl" and rule[2] == "dbadmin")
    # With stack_benchmark (test_80), the bench database too.
    assert admin == sorted(("postgres,polls,bench", f"{private_ip(app)}/32") for app in (app1, app2))


def test_the_database_is_backed_up_to_its_private_bucket(db1):
    # As `make up` has it: WAL archived by pgBackRest, a first full backup in the
    # endpoint's private bucket (the backup scenario restores from such a repository),
    # and an incremental one that site.yml took before the first migrations ran.
    info = db1.check_output("runuser -u postgres -- pgbackrest --stanza=polls --output=json info").replace(" ", "")
    assert '"status":{"code":0' in info and '"type":"full"' in info and '"type":"incr"' in info
    archiver = db1.check_output(
        "runuser -u postgres -- psql -XAtc \"SELECT current_setting('archive_mode'), archived_count > 0 FROM pg_stat_archiver\""
    )
    assert archiver == "on|t"


LIST_DUMPS = """
import boto3, sys
from botocore.config import Config
env = dict(l.split("=", 1) for l in open("/etc/db-dump/credentials.env").read().splitlines() if "=" in l)
s3 = boto3.client("s3", endpoint_url="https://lb-s3:9000", region_name="us-east-1", verify="/etc/ssl/db-dump-ca.pem",
                  aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                  config=Config(s3={"addressing_style": "path"}))
keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="polls-dumps").get("Contents", []))
print(" ".join(keys))
s3.download_file("polls-dumps", keys[-1], "/tmp/latest.dump")
"""


def test_logical_dumps_reach_their_bucket_keep_two_and_restore(app1, db1):
    # The managed-cluster path (roles/db_dump) from lb-app1: three runs, the newest two kept.
    sql = "runuser -u postgres -- psql -XAtd polls -c {}".format
    db1.check_output(sql(shlex.quote("INSERT INTO polls_question (question_text, pub_date) VALUES ('dumped?', now())")))
    for _ in range(3):
        app1.check_output("systemctl start db-dump.service")
        assert app1.check_output("systemctl show -p Result --value db-dump.service") == "success"
        app1.check_output("sleep 1.1")
    keys = app1.check_output(f"python3 -c {shlex.quote(LIST_DUMPS)}").split()
    assert len(keys) == 2 and all(k.startswith("dumps/polls-") and k.endswith(".dump") for k in keys), keys
    # The newest one is a pg_dump archive of the app's tables with their rows.
    listing = app1.check_output("pg_restore --list /tmp/latest.dump")
    assert "TABLE DATA public polls_question" in listing
    rows = app1.check_output("pg_restore --data-only --table=polls_question -f - /tmp/latest.dump | sed -n '/^COPY /,/^\\\\\\./p' | wc -l")
    live = db1.check_output(sql(shlex.quote("SELECT count(*) FROM polls_question")))
    assert int(rows) - 2 == int(live) >= 1
    app1.check_output("rm -f /tmp/latest.dump")
    db1.check_output(sql(shlex.quote("DELETE FROM polls_question WHERE question_text = 'dumped?'")))
