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
        ({"port": 53, "proto": "any", "comment": "dns"}, "ufw allow 53 comment 'dns'"),
        ({"port": "6000:6010", "from": "10.0.0.0/8", "proto": "any"}, "ufw allow from 10.0.0.0/8 to any port 6000:6010"),
    ],
)
def test_rule_lines_match_ufw_show_added(rule, line):
    assert ufw.ufw_rule_line(rule) == line


def test_every_filter_is_registered():
    assert set(ufw.FilterModule().filters()) == {"ufw_rule_line", "ufw_stale_rules", "ufw_base_rules", "ufw_unwanted_rules"}


MARK = "django-stack base"


def test_base_rules_are_normalized_and_marked():
    extra = [{"port": 5432, "from": "10.99.0.0/24", "comment": "postgres"}, {"port": "53", "proto": "udp"}]
    assert ufw.ufw_base_rules([22, 443], extra, MARK) == [
        {"port": "22", "proto": "tcp", "from": "any", "comment": MARK},
        {"port": "443", "proto": "tcp", "from": "any", "comment": MARK},
        {"port": "5432", "proto": "tcp", "from": "10.99.0.0/24", "comment": f"{MARK}: postgres"},
        {"port": "53", "proto": "udp", "from": "any", "comment": MARK},
    ]


# A single host switched to the balancer layout: 80 and 443 are no longer asked for.
SHOWN = [
    "Added user rules (see 'ufw status' for running firewall):",
    f"ufw allow 22/tcp comment '{MARK}'",
    f"ufw allow 80/tcp comment '{MARK}'",
    f"ufw allow 443/tcp comment '{MARK}'",
    f"ufw allow from 10.99.0.0/24 to any port 5432 proto tcp comment '{MARK}: postgres'",
    f"ufw allow 6000:6010 comment '{MARK}'",
    "ufw allow 8080/tcp",
    "ufw allow 8443/tcp comment 'added by hand'",
    "ufw allow from 10.0.0.5 to any port 80 proto tcp comment 'HTTP from the load balancer'",
]


def test_what_the_lists_still_ask_for_is_kept():
    wanted = ufw.ufw_base_rules([22, 80, 443], [{"port": 5432, "from": "10.99.0.0/24", "comment": "postgres"},
                                                {"port": "6000:6010", "proto": "any"}], MARK)
    assert ufw.ufw_unwanted_rules(SHOWN, MARK, wanted) == []


def test_marked_rules_no_longer_asked_for_are_unwanted():
    wanted = ufw.ufw_base_rules([22], [], MARK)
    assert ufw.ufw_unwanted_rules(SHOWN, MARK, wanted) == [
        {"from": "any", "port": "80", "proto": "tcp"},
        {"from": "any", "port": "443", "proto": "tcp"},
        {"from": "10.99.0.0/24", "port": "5432", "proto": "tcp"},
        {"from": "any", "port": "6000:6010", "proto": "any"},
    ]


def test_a_changed_extra_rule_replaces_the_old_one():
    wanted = ufw.ufw_base_rules([22, 80, 443], [{"port": 5432, "from": "10.99.1.0/24", "comment": "postgres"},
                                                {"port": "6000:6010", "proto": "any"}], MARK)
    assert ufw.ufw_unwanted_rules(SHOWN, MARK, wanted) == [{"from": "10.99.0.0/24", "port": "5432", "proto": "tcp"}]


def test_the_ssh_port_and_unmarked_rules_are_never_unwanted():
    assert ufw.ufw_unwanted_rules(SHOWN, MARK, [], keep_ports=[22]) == [
        {"from": "any", "port": "80", "proto": "tcp"},
        {"from": "any", "port": "443", "proto": "tcp"},
        {"from": "10.99.0.0/24", "port": "5432", "proto": "tcp"},
        {"from": "any", "port": "6000:6010", "proto": "any"},
    ]
    # A comment that only starts like the mark is someone else's.
    assert ufw.ufw_unwanted_rules([f"ufw allow 81/tcp comment '{MARK}x'"], MARK, []) == []
