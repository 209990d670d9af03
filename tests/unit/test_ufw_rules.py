"""plugins/filter/ufw_rules.py: the `ufw show added` line of a wanted rule, and which of a role's rules the inventory no longer asks for."""

import pytest

from tests.lib.loader import load_file

ufw = load_file("plugins/filter/ufw_rules.py")

ADDED = [
    "Added user rules (see 'ufw status' for running firewall):",
    "ufw allow 22/tcp",
    "ufw allow from 10.0.0.5 to any port 5432 proto tcp comment 'PostgreSQL client'",
    "ufw allow from 10.0.0.6 to any port 5432 proto tcp comment 'PostgreSQL client'",
    "ufw allow from 10.0.0.7 to any port 5432 proto tcp comment 'PostgreSQL client'",
    "ufw allow from 10.0.0.9 to any port 5432 proto tcp comment 'postgres from the admin VPN'",
    "ufw allow from 10.0.0.5 to any port 80 proto tcp comment 'HTTP from the load balancer'",
]


def test_the_listed_sources_are_kept():
    assert ufw.ufw_stale_rules(ADDED, "PostgreSQL client", ["10.0.0.5", "10.0.0.6", "10.0.0.7"], 5432) == []


def test_a_source_no_longer_listed_is_stale():
    assert ufw.ufw_stale_rules(ADDED, "PostgreSQL client", ["10.0.0.5", "10.0.0.6"], "5432") == [
        {"from": "10.0.0.7", "port": "5432", "proto": "tcp"}
    ]


def test_a_changed_port_makes_every_old_rule_stale():
    stale = ufw.ufw_stale_rules(ADDED, "PostgreSQL client", ["10.0.0.5", "10.0.0.6", "10.0.0.7"], 6543)
    assert [rule["from"] for rule in stale] == ["10.0.0.5", "10.0.0.6", "10.0.0.7"]


def test_rules_of_others_or_without_comment_are_never_touched():
    # The user's own rule on the same port, the base role's public port, the nginx role's rule.
    assert ufw.ufw_stale_rules(ADDED, "PostgreSQL client", [], 5432) == [
        {"from": f"10.0.0.{n}", "port": "5432", "proto": "tcp"} for n in (5, 6, 7)
    ]
    assert ufw.ufw_stale_rules(ADDED, "HTTP from the load balancer", [], 80) == [{"from": "10.0.0.5", "port": "80", "proto": "tcp"}]
    assert ufw.ufw_stale_rules([], "PostgreSQL client", [], 5432) == []


def test_cidr_and_ipv6_sources():
    lines = [
        "ufw allow from 198.51.100.0/24 to any port 5432 proto tcp comment 'PostgreSQL client'",
        "ufw allow from 2001:db8::10 to any port 5432 proto tcp comment 'PostgreSQL client'",
    ]
    assert ufw.ufw_stale_rules(lines, "PostgreSQL client", ["198.51.100.0/24", "2001:db8::10"], 5432) == []
    assert ufw.ufw_stale_rules(lines, "PostgreSQL client", ["198.51.100.0/24"], 5432) == [
        {"from": "2001:db8::10", "port": "5432", "proto": "tcp"}
    ]


@pytest.mark.parametrize(
    ("rule", "line"),
    [
        ({"port": 22}, "ufw allow 22/tcp"),
        ({"port": "53", "proto": "udp"}, "ufw allow 53/udp"),
        ({"port": 9000, "comment": "S3 endpoint"}, "ufw allow 9000/tcp comment 'S3 endpoint'"),
        (
            {"port": 5432, "from": "10.99.0.0/24", "comment": "postgres from the app subnet"},
            "ufw allow from 10.99.0.0/24 to any port 5432 proto tcp comment 'postgres from the app subnet'",
        ),
        ({"port": 6432, "from": "172.18.0.4", "proto": "tcp"}, "ufw allow from 172.18.0.4 to any port 6432 proto tcp"),
        ({"port": 80, "from": "any"}, "ufw allow 80/tcp"),
    ],
)
def test_rule_lines_match_ufw_show_added(rule, line):
    assert ufw.ufw_rule_line(rule) == line


def test_both_filters_are_registered():
    assert set(ufw.FilterModule().filters()) == {"ufw_rule_line", "ufw_stale_rules"}
