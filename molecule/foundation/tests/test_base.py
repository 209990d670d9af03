"""The base role, seen from inside the host (and its firewall from another host)."""

import json

import pytest

from tests.lib.molecule_helpers import get_host, run_playbook

testinfra_hosts = ["ansible://base-host"]

# The comment that marks the rules the base role adds (base_ufw_comment).
MARK = "django-stack base"

PACKAGES = ["python3-pip", "python3-dev", "python3-venv", "libpq-dev", "curl", "postgresql-client", "acl", "jq"]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_installed(host, name):
    assert host.package(name).is_installed


def test_time_zone_is_utc(host):
    assert host.check_output("date +%Z") == "UTC"
    assert host.file("/etc/localtime").linked_to.endswith(("Etc/UTC", "/UTC"))


def test_systemd_booted_cleanly(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.check_output("systemctl list-units --failed --no-legend --plain")
    assert state == "running", failed


def test_ufw_is_active_and_denies_incoming(host):
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    assert "Default: deny (incoming), allow (outgoing)" in status


def test_ufw_allows_only_ssh_http_https_and_the_extra_rule(host):
    rules = host.check_output("ufw show added")
    allowed = sorted(line for line in rules.splitlines() if line.startswith("ufw allow"))
    assert allowed == [
        f"ufw allow 22/tcp comment '{MARK}'",
        f"ufw allow 443/tcp comment '{MARK}'",
        f"ufw allow 80/tcp comment '{MARK}'",
        f"ufw allow from 10.99.0.0/24 to any port 5432 proto tcp comment '{MARK}: postgres from the app subnet'",
    ]


def test_iptables_rules_are_loaded(host):
    # ufw really programmed the kernel: its chains exist and port 443 is allowed.
    chains = host.check_output("iptables -S ufw-user-input")
    assert "--dport 443 -j ACCEPT" in chains
    assert "--dport 8000" not in chains


def _allowed(host):
    return sorted(line for line in host.check_output("ufw show added").splitlines() if line.startswith("ufw allow"))


def test_the_firewall_converges_to_the_inventory(host):
    """A single host switched to the balancer layout (80 and 443 no longer public) with a changed
    extra rule: the old rules go, seen from another host; a rule added by hand stays. Switched back,
    the ports open again."""
    peer = get_host("pg-server")
    address = host.check_output("hostname -I").split()[0]
    probe = f"curl -sS -o /dev/null -w '%{{http_code}}' --connect-timeout 3 http://{address}:443/"
    listener = host.check_output("nohup python3 -m http.server 443 --directory /tmp >/dev/null 2>&1 & echo $!")
    host.check_output("ufw allow 8443/tcp comment 'added by hand'")
    try:
        host.check_output("sleep 1")
        assert peer.run(probe).stdout == "200"
        switched = {
            "base_ufw_allowed_tcp_ports": [22],
            "base_ufw_extra_rules": [{"port": 5432, "from": "10.99.1.0/24", "comment": "postgres from the new subnet"}],
        }
        args = ("--limit", "base-host", "--tags", "base_firewall")
        result = run_playbook(*args, "-e", json.dumps(switched), playbook="molecule/foundation/converge.yml")
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert _allowed(host) == [
            f"ufw allow 22/tcp comment '{MARK}'",
            "ufw allow 8443/tcp comment 'added by hand'",
            f"ufw allow from 10.99.1.0/24 to any port 5432 proto tcp comment '{MARK}: postgres from the new subnet'",
        ]
        refused = peer.run(probe)
        assert refused.rc == 28, (refused.rc, refused.stdout, refused.stderr)  # dropped: the connect timed out

        back = run_playbook(*args, playbook="molecule/foundation/converge.yml")
        assert back.returncode == 0, (back.stdout + back.stderr)[-3000:]
        assert peer.run(probe).stdout == "200"
        assert f"ufw allow from 10.99.0.0/24 to any port 5432 proto tcp comment '{MARK}: postgres from the app subnet'" in _allowed(host)
    finally:
        host.run(f"kill {listener}")
        host.run("ufw delete allow 8443/tcp")
