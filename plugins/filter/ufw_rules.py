"""UFW rules as `ufw show added` prints them: the line of a rule the roles want, and
the rules a role added (known by their comment) that its inventory no longer asks for.

Own code: no module or filter lists UFW's rules in a form a task can compare
with. The roles read `ufw show added` once, skip the rules it already lists
(a rule predicted wrongly is only handed to community.general.ufw, which
decides) and delete what ufw_stale_rules returns.
"""

from __future__ import annotations

import re

# How `ufw show added` prints a rule from one source to one port.
_RULE = re.compile(r"ufw allow from (?P<source>\S+) to any port (?P<port>[0-9]+) proto (?P<proto>[a-z]+) comment '(?P<comment>.*)'")


def ufw_rule_line(rule: dict) -> str:
    """The line of `ufw show added` for one allow rule: {port, proto (tcp), from (any), comment}."""
    port = str(rule["port"])
    proto = str(rule.get("proto") or "tcp")
    source = str(rule.get("from") or "any")
    if source == "any":
        line = f"ufw allow {port}/{proto}"
    else:
        line = f"ufw allow from {source} to any port {port} proto {proto}"
    comment = rule.get("comment")
    if comment:
        line += f" comment '{comment}'"
    return line


def ufw_stale_rules(lines, comment: str, sources, port, proto: str = "tcp") -> list[dict]:
    """The rules among `lines` that carry `comment` but not one of `sources`, `port` and `proto`.

    Each one as {from, port, proto}: the arguments community.general.ufw needs
    to delete it. Rules with another comment, or none, are never returned."""
    wanted = {str(source) for source in sources}
    stale = []
    for line in lines:
        match = _RULE.fullmatch(str(line).strip())
        if not match or match["comment"] != comment:
            continue
        if match["source"] in wanted and match["port"] == str(port) and match["proto"] == proto:
            continue
        stale.append({"from": match["source"], "port": match["port"], "proto": match["proto"]})
    return stale


class FilterModule:
    def filters(self):
        return {"ufw_rule_line": ufw_rule_line, "ufw_stale_rules": ufw_stale_rules}
