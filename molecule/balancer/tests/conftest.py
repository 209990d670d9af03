import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.lib.molecule_helpers import get_host, inventory, run_with_recap  # noqa: E402
from tests.lib.platforms import VERIFY_VARIABLE  # noqa: E402

# On the platform where this scenario runs its state tests only
# (tests/lib/platforms.py sets DJANGO_STACK_VERIFY=state there), the tests
# from test_20 on are left out: they change the stack (a host down, rollouts,
# scale-out and scale-in, the benchmark, restores) and run in full on the
# scenario's other platform.
STATE_TESTS_BELOW = 20


def pytest_collection_modifyitems(config, items):
    if os.environ.get(VERIFY_VARIABLE) != "state":
        return
    keep, drop = [], []
    for item in items:
        number = re.match(r"test_(\d+)_", item.path.name)
        (drop if number and int(number.group(1)) >= STATE_TESTS_BELOW else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

SITE = "https://polls.lb.test"
DOMAIN = "polls.lb.test"
ROOT_CA = "/tmp/pebble-root.pem"
# The S3 endpoint's CA on the app hosts (static_offload_ca_file): root and the app group only.
S3_CA = "/etc/ssl/static-offload/ca.pem"
# The scenario's test secrets, as molecule.yml hands them to the inventory.
VAULT = yaml.safe_load((Path(__file__).resolve().parents[1] / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
SECRETS = {name: value for name, value in VAULT.items() if name.startswith("vault_")}
ADMIN_PASSWORD = SECRETS["vault_django_superuser_password"]
LOAD_CLIENT = "/usr/local/bin/load_client.py"
# The load stream's length: at least 60 s locally; CI may trim it
# (LB_LOAD_SECONDS), and each run prints its failure count either way.
LOAD_SECONDS = float(os.environ.get("LB_LOAD_SECONDS", "60"))
LOAD_RATE = float(os.environ.get("LB_LOAD_RATE", "8"))
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"))
# The app versions the tests roll out, made from the bundled project.
RELEASE_2 = EPHEMERAL / "polls-release-2"
RELEASE_BROKEN = EPHEMERAL / "polls-release-broken"
RELEASE_BAD_MIGRATION = EPHEMERAL / "polls-release-bad-migration"
RELEASE_2_MARK = "Polls (release 2)"
RELEASE_2_MIGRATION = "0002_release2_marker"
# The bundled project's stylesheet, linked by every polls page.
STYLESHEET = Path("polls") / "static" / "polls" / "style.css"


ENV_FILE = "/etc/polls/polls.env"

# The static files' bucket on the S3 endpoint, as the app hosts reach it.
ENDPOINT = "https://lb-s3:9000"
BUCKET = "polls-static"
# The admin stylesheet's link on a page behind the balancer: its hashed name
# on the endpoint (stack_static_hashed_names); group 1 is the URL.
LINKED_CSS = re.compile(rf'href="({re.escape(ENDPOINT)}/{BUCKET}/static/admin/css/base\.[0-9a-f]{{12}}\.css)"')
VENV_PYTHON = "/srv/polls/envs/polls/bin/python"

# Runs on an app host with the app's own key pair (read from its secrets file,
# so that no secret passes through a command line or this test's output).
BOTO = """
import json, os, sys
import boto3
client = boto3.client("s3", endpoint_url=%(endpoint)r, region_name="us-east-1", verify=%(ca)r,
                      aws_access_key_id=os.environ["AWS_S3_ACCESS_KEY_ID"],
                      aws_secret_access_key=os.environ[%(secret_var)r])
action = sys.argv[1]
if action == "cors":
    print(json.dumps(client.get_bucket_cors(Bucket=%(bucket)r)["CORSRules"]))
elif action == "list":
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=%(bucket)r)
    print(json.dumps({o["Key"]: o["LastModified"].isoformat() for p in pages for o in p.get("Contents", [])}))
elif action == "put-cors":
    client.put_bucket_cors(Bucket=%(bucket)r, CORSConfiguration={"CORSRules": json.loads(sys.argv[2])})
elif action == "delete":
    client.delete_object(Bucket=%(bucket)r, Key=sys.argv[2])
"""


def write_file(host, path: str, text: str, mode: str = "0644") -> None:
    """Write text to a file on a host (created private, then given its mode), its directory made when missing."""
    assert "\nEND_OF_FILE\n" not in f"\n{text}\n", "the text holds the heredoc's delimiter"
    host.check_output(f"umask 077 && mkdir -p $(dirname {path}) && cat > {path} <<'END_OF_FILE'\n{text}\nEND_OF_FILE\n"
                      f"chmod {mode} {path}")


def boto(host, action: str, *args: str, secret_var: str = "AWS_S3_SECRET_ACCESS_KEY", extra_env: str = ""):
    code = BOTO % {"endpoint": ENDPOINT, "ca": S3_CA, "bucket": BUCKET, "secret_var": secret_var}
    script = f"/tmp/static-test-{secret_var.lower()}.py"
    write_file(host, script, code)
    sources = ". /etc/polls/polls.env" + (f"; . {extra_env}" if extra_env else "")
    argv = " ".join(shlex.quote(arg) for arg in (action, *args))
    return host.run(f"set -a; {sources}; set +a; {VENV_PYTHON} {script} {argv}")




def secret_key(host) -> str:
    """The SECRET_KEY in an app host's secrets file."""
    match = re.search(r"^DJANGO_SECRET_KEY='([^']+)'$", host.file(ENV_FILE).content_string, re.MULTILINE)
    assert match, "no DJANGO_SECRET_KEY in the secrets file"
    return match.group(1)


@pytest.fixture(scope="session")
def app1():
    return get_host("lb-app1")


@pytest.fixture(scope="session")
def app2():
    return get_host("lb-app2")


@pytest.fixture(scope="session")
def app3():
    return get_host("lb-app3")


@pytest.fixture(scope="session")
def db1():
    return get_host("lb-db")


@pytest.fixture(scope="session")
def s3():
    return get_host("lb-s3")


@pytest.fixture(scope="session")
def balancer():
    return get_host("lb-balancer")


@pytest.fixture(scope="session")
def client():
    host = get_host("lb-client")
    # Pebble's issuing root becomes the client's only CA (-k for this one fetch:
    # pebble's management API has its own self-signed certificate).
    host.check_output(f"curl -sSfk -o {ROOT_CA} https://lb-acme:15000/roots/0")
    source = (ROOT / "tests" / "lib" / "load_client.py").read_text()
    write_file(host, LOAD_CLIENT, source, mode="0755")
    return host


def private_ip(host) -> str:
    return host.check_output("hostname -I").split()[0]


def curl(client, url: str, *args: str) -> str:
    return client.check_output(f"curl -sS --cacert {ROOT_CA} {' '.join(args)} '{url}'")


def health(balancer, app) -> dict:
    """/healthz of one app host, asked the way the balancer reaches it."""
    out = balancer.check_output(f"curl -sS -m 5 http://{private_ip(app)}/healthz")
    return json.loads(out)


def make_release_2() -> Path:
    """The bundled project with a visible change in its index page."""
    if not RELEASE_2.exists():
        shutil.copytree(ROOT / "roles" / "django_app" / "files" / "polls", RELEASE_2)
        index = RELEASE_2 / "polls" / "templates" / "polls" / "index.html"
        index.write_text(index.read_text().replace("<h1>Polls</h1>", f"<h1>{RELEASE_2_MARK}</h1>"))
        # An expand-only migration: release 1 keeps working with the new table.
        (RELEASE_2 / "polls" / "migrations" / f"{RELEASE_2_MIGRATION}.py").write_text(
            "from django.db import migrations\n\n\n"
            "class Migration(migrations.Migration):\n"
            '    dependencies = [("polls", "0001_initial")]\n'
            "    operations = [\n"
            '        migrations.RunSQL("CREATE TABLE polls_release2_marker (id serial PRIMARY KEY)",'
            ' "DROP TABLE polls_release2_marker"),\n'
            "    ]\n"
        )
    return RELEASE_2


def make_broken_release() -> Path:
    """Release 2 whose health check fails (its query is invalid) and whose stylesheet changed."""
    if not RELEASE_BROKEN.exists():
        shutil.copytree(make_release_2(), RELEASE_BROKEN)
        health_py = RELEASE_BROKEN / "mysite" / "health.py"
        health_py.write_text(health_py.read_text().replace('cursor.execute("SELECT 1")', 'cursor.execute("SELECT no_such_column")'))
        style = RELEASE_BROKEN / STYLESHEET
        style.write_text(style.read_text() + "\n/* release 4 */\nh1 { color: #a40; }\n")
    return RELEASE_BROKEN


def page_stylesheet(balancer, app) -> tuple[str, str]:
    """The stylesheet URL that /polls/ of one app host links (asked the way the balancer asks), and its body
    fetched from there with the object store's CA."""
    page = balancer.check_output(
        f"curl -sS -m 10 -H 'Host: {DOMAIN}' -H 'X-Forwarded-Proto: https' http://{private_ip(app)}/polls/"
    )
    match = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert match, page[-2000:]
    url = match.group(1)
    result = app.run(f"curl -sS -m 10 --cacert {S3_CA} -w '\\n%{{http_code}}' '{url}'")
    assert result.rc == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    assert status == "200", (url, status, body[-500:])
    return url, body


def make_bad_migration_release() -> Path:
    """Release 2 plus a migration that fails (PostgreSQL rolls it back): the rollout stops before any switch."""
    if not RELEASE_BAD_MIGRATION.exists():
        shutil.copytree(make_release_2(), RELEASE_BAD_MIGRATION)
        (RELEASE_BAD_MIGRATION / "polls" / "migrations" / "0003_fails.py").write_text(
            "from django.db import migrations\n\n\n"
            "class Migration(migrations.Migration):\n"
            f'    dependencies = [("polls", "{RELEASE_2_MIGRATION}")]\n'
            '    operations = [migrations.RunSQL("SELECT no_such_function()")]\n'
        )
    return RELEASE_BAD_MIGRATION


class Load:
    """The load client running on the client host, in the background."""

    def __init__(self, client, name: str, seconds: float = LOAD_SECONDS, paths=("/healthz", "/polls/")):
        self.client = client
        self.out = f"/tmp/{name}.json"
        self.stop_file = f"/tmp/{name}.stop"
        self.seconds = seconds
        urls = " ".join(f"{SITE}{p}" for p in paths)
        client.run(f"rm -f {self.out} {self.stop_file}")
        client.check_output(
            f"nohup python3 {LOAD_CLIENT} {urls} --cacert {ROOT_CA} --rate {LOAD_RATE} --workers 4"
            f" --min-seconds {seconds} --max-seconds 1500 --stop-file {self.stop_file} --out {self.out}"
            f" > /tmp/{name}.log 2>&1 &"
        )

    def finish(self) -> dict:
        self.client.run(f"touch {self.stop_file}")
        deadline = time.monotonic() + self.seconds + 120
        while time.monotonic() < deadline:
            if self.client.file(self.out).exists:
                summary = json.loads(self.client.file(self.out).content_string)
                print(
                    f"load {self.out}: {summary['requests']} requests in {summary['seconds']} s, "
                    f"{summary['failures']} failed, statuses {summary['statuses']}, errors {summary['errors']}, "
                    f"versions {summary['versions']}"
                )
                return summary
            time.sleep(2)
        raise AssertionError(f"the load client wrote no {self.out}")


def playbook(*args: str, inventories=()) -> subprocess.CompletedProcess:
    """site.yml as a user runs it, with facts cached between runs (ansible.cfg).

    The result carries ``recap``, as run_playbook()'s does.
    """
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CACHE_PLUGIN="jsonfile",
        ANSIBLE_CACHE_PLUGIN_CONNECTION=str(EPHEMERAL / "facts"),
        ANSIBLE_GATHERING="smart",
    )
    cmd = ["ansible-playbook", "-i", inventory()]
    for extra in inventories:
        cmd += ["-i", str(extra)]
    cmd += [str(ROOT / "playbooks" / "site.yml"), *args]
    return run_with_recap(cmd, env, timeout=1500)
