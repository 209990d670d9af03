"""The base role, seen from inside the host."""

import pytest

testinfra_hosts = ["ansible://base-host"]

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
        "ufw allow 22/tcp",
        "ufw allow 443/tcp",
        "ufw allow 80/tcp",
        "ufw allow from 10.99.0.0/24 to any port 5432 proto tcp comment 'postgres from the app subnet'",
    ]


def test_iptables_rules_are_loaded(host):
    # ufw really programmed the kernel: its chains exist and port 443 is allowed.
    chains = host.check_output("iptables -S ufw-user-input")
    assert "--dport 443 -j ACCEPT" in chains
    assert "--dport 8000" not in chains
