"""inventory/digitalocean.yml, run by ansible-inventory against a stand-in for DigitalOcean's API.

The plugin reads `baseurl`; the test copies the example inventory, points it at
an HTTP server on the loopback address that answers GET /v2/droplets the way the
API does (two pages), and checks the groups and addresses the playbooks rely on.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventory" / "digitalocean.yml"
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"


def droplet(name, public, private, tags):
    return {
        "id": abs(hash(name)) % 100000,
        "name": name,
        "region": {"slug": "fra1"},
        "vpc_uuid": "5a4981aa-0000-4000-8000-000000000001",
        "tags": tags,
        "networks": {
            "v4": [
                {"ip_address": public, "type": "public"},
                {"ip_address": private, "type": "private"},
            ]
        },
    }


PAGES = {
    "1": [
        droplet("lb1", "203.0.113.10", "10.110.0.10", ["loadbalancers", "django-stack"]),
        droplet("app1", "203.0.113.11", "10.110.0.11", ["appservers", "django-stack"]),
    ],
    "2": [
        droplet("app2", "203.0.113.12", "10.110.0.12", ["django-stack", "AppServers"]),
        droplet("db1", "203.0.113.20", "10.110.0.20", ["dbservers", "django-stack"]),
        # Another project's droplet in the same account.
        droplet("mail", "203.0.113.30", "10.110.0.30", ["appservers"]),
    ],
}


class FakeApi(BaseHTTPRequestHandler):
    seen_tokens: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        FakeApi.seen_tokens.append(self.headers.get("Authorization", ""))
        page = "2" if "&page=2" in self.path else "1"
        links = {"pages": {"next": f"http://127.0.0.1:{self.server.server_port}/v2/droplets?per_page=2&page=2"}} if page == "1" else {}
        body = json.dumps({"droplets": PAGES[page], "links": links, "meta": {"total": 5}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    if not ANSIBLE_INVENTORY.exists():
        pytest.skip("ansible-inventory is not installed beside this Python")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        work = tmp_path_factory.mktemp("do")
        config = work / "test.digitalocean.yml"
        shutil.copy(EXAMPLE, config)
        with config.open("a") as handle:
            handle.write(f"baseurl: http://127.0.0.1:{server.server_port}/v2\n")
        env = dict(os.environ, DO_API_TOKEN="test-token-not-real", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
        env.pop("ANSIBLE_INVENTORY", None)
        result = subprocess.run(
            [str(ANSIBLE_INVENTORY), "-i", str(config), "--list"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        yield json.loads(result.stdout)
    finally:
        server.shutdown()


def plain(value):
    """A value as ansible-inventory prints it, without its 'unsafe' marker."""
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def hosts(data, group):
    return sorted(data.get(group, {}).get("hosts", []))


def test_groups_come_from_the_droplets_tags(inventory):
    assert hosts(inventory, "loadbalancers") == ["lb1"]
    assert hosts(inventory, "appservers") == ["app1", "app2"]
    assert hosts(inventory, "dbservers") == ["db1"]


def test_droplets_of_other_projects_are_left_out(inventory):
    assert "mail" not in inventory["_meta"]["hostvars"]


def test_ansible_connects_to_the_public_address_and_traffic_uses_the_private_one(inventory):
    app1 = inventory["_meta"]["hostvars"]["app1"]
    assert plain(app1["ansible_host"]) == "203.0.113.11"
    assert plain(app1["private_ip"]) == "10.110.0.11"
    assert plain(app1["ansible_user"]) == "root"


def test_the_token_comes_from_the_environment():
    assert FakeApi.seen_tokens and set(FakeApi.seen_tokens) == {"Bearer test-token-not-real"}
