import json
import shlex
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import get_host, run_playbook  # noqa: E402

STANZA = "polls"
ENDPOINT = "https://bk-s3:9000"
BUCKET = "polls-backups"
S3_CA = "/etc/pgbackrest/repo-ca.pem"
DRILL_PORT = 5499
# The start of a script run on the endpoint host with its venv's python: `s3`, a
# client with the endpoint's own key pair (what a backup reader with the key sees).
S3_CLIENT = """
import boto3
from botocore.config import Config
env = dict(line.split("=", 1) for line in open("/etc/s3-endpoint/credentials.env").read().splitlines() if "=" in line)
s3 = boto3.client("s3", endpoint_url="https://localhost:9000", region_name="us-east-1",
                  aws_access_key_id=env["S3_ENDPOINT_ACCESS_KEY"], aws_secret_access_key=env["S3_ENDPOINT_SECRET_KEY"],
                  verify="/etc/s3-endpoint/ca.pem", config=Config(s3={"addressing_style": "path"}))
"""


@pytest.fixture(scope="session")
def db():
    """The database host, with the app's database (no app host here creates it)."""
    host = get_host("bk-db")
    if psql(host, "SELECT count(*) FROM pg_database WHERE datname = 'polls'", db="postgres") == "0":
        psql(host, "CREATE DATABASE polls", db="postgres")
    return host


@pytest.fixture(scope="session")
def s3():
    return get_host("bk-s3")


def psql(host, sql: str, db: str = "polls", port: int = 5432) -> str:
    """One value or rows (|-separated) from psql as postgres over the socket."""
    return host.check_output(
        f"runuser -u postgres -- psql -X -q -t -A -v ON_ERROR_STOP=1 -p {port} -d {db} -c {shlex.quote(sql)}"
    ).strip()


def pgbackrest(host, *args: str) -> str:
    return host.check_output(f"runuser -u postgres -- pgbackrest --stanza={STANZA} {' '.join(args)}")


def info(host) -> dict:
    return json.loads(pgbackrest(host, "--output=json", "info"))[0]


def backup_labels(host) -> list[str]:
    return [backup["label"] for backup in info(host)["backup"]]


def now(host) -> str:
    """The database's clock, as a restore target."""
    value = psql(host, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.1)  # later writes are clearly after it
    return value


def restore(*extra: str):
    """playbooks/restore.yml with NAME=VALUE settings (as one JSON -e: times hold spaces)."""
    settings = dict(setting.split("=", 1) for setting in extra)
    return run_playbook("-e", json.dumps(settings), playbook="playbooks/restore.yml")


def cluster(host) -> dict:
    """The cluster on port 5432 as pg_lsclusters sees it (version, pgdata, ...)."""
    return next(c for c in json.loads(host.check_output("pg_lsclusters --json")) if c["port"] == "5432")


def stop_drill(host) -> None:
    version = cluster(host)["version"]
    host.run(f"runuser -u postgres -- /usr/lib/postgresql/{version}/bin/pg_ctl -D /var/lib/postgresql/pgbackrest-drill -m fast stop")
    host.run("rm -rf /var/lib/postgresql/pgbackrest-drill")
