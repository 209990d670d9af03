"""The base role's prediction of `ufw show added` lines (a rule it predicts wrongly is only re-checked by the ufw module)."""


import pytest

from tests.lib.loader import load_file

base_ufw = load_file("roles/base/filter_plugins/ufw.py", "base_ufw")


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
    assert base_ufw.base_ufw_rule_line(rule) == line


def test_the_filter_is_registered_under_the_role_prefix():
    assert set(base_ufw.FilterModule().filters()) == {"base_ufw_rule_line"}
