"""UFW rules as `ufw show added` prints them: the line of a rule the roles want, and
the rules a role added (known by their comment) that its inventory no longer asks for.

Own code: no module or filter lists UFW's rules in a form a task can compare
with. The roles read `ufw show added` once, skip the rules it already lists
(a rule predicted wrongly is only handed to community.general.ufw, which
decides) and delete what ufw_stale_rules returns.
"""

from __future__ import annotations

import re

# Each filter's documentation is beside this file: ufw_rule_line.yml,
# ufw_stale_rules.yml, ufw_base_rules.yml and ufw_unwanted_rules.yml
# (ansible-doc -t filter django_stack.deploy.<filter>).

# How `ufw show added` prints a commented rule open to everyone and one from
# a source (the port may be a range a:b; no protocol shown means any).
_PUBLIC = re.compile(r"ufw allow (?P<port>[0-9]+(?::[0-9]+)?)(?:/(?P<proto>[a-z]+))? comment '(?P<comment>.*)'")
_SOURCED = re.compile(
    r"ufw allow from (?P<source>\S+) to any port (?P<port>[0-9]+(?::[0-9]+)?)(?: proto (?P<proto>[a-z]+))? comment '(?P<comment>.*)'"
)


def _commented_rules(lines, sourced_only: bool = False):
    """Each commented allow rule among `lines` as {line, from, port, proto, comment} (proto None: any)."""
    for line in lines:
        line = str(line).strip()
        match = _SOURCED.fullmatch(line) or (None if sourced_only else _PUBLIC.fullmatch(line))
        if match:
            found = match.groupdict()
            yield {
                "line": line,
                "from": found.get("source") or "any",
                "port": found["port"],
                "proto": found["proto"],
                "comment": found["comment"],
            }


def _delete_args(rule: dict) -> dict:
    """What community.general.ufw needs to delete a parsed rule."""
    return {"from": rule["from"], "port": rule["port"], "proto": rule["proto"] or "any"}


def ufw_rule_line(rule: dict) -> str:
    """The line of `ufw show added` for one allow rule: {port, proto (tcp), from (any), comment}."""
    port = str(rule["port"])
    proto = str(rule.get("proto") or "tcp")
    source = str(rule.get("from") or "any")
    if source == "any":
        line = f"ufw allow {port}" + ("" if proto == "any" else f"/{proto}")
    else:
        line = f"ufw allow from {source} to any port {port}" + ("" if proto == "any" else f" proto {proto}")
    comment = rule.get("comment")
    if comment:
        line += f" comment '{comment}'"
    return line


def ufw_stale_rules(lines, comment: str, sources, port, proto: str = "tcp") -> list[dict]:
    """The rules among `lines` that carry `comment` but not one of `sources`, `port` and `proto`.

    Each one as {from, port, proto}: the arguments community.general.ufw needs
    to delete it. Rules with another comment, or none, are never returned."""
    wanted = {str(source) for source in sources}
    return [
        _delete_args(rule)
        for rule in _commented_rules(lines, sourced_only=True)
        if rule["comment"] == comment and not (rule["from"] in wanted and rule["port"] == str(port) and rule["proto"] == proto)
    ]


def ufw_base_rules(ports, extra_rules, comment: str) -> list[dict]:
    """The base role's allow rules: each public TCP port and each extra rule, normalized.

    Every rule is {port, proto, from, comment} with the role's `comment` (an
    extra rule's own comment follows it after ": "), the mark by which
    ufw_unwanted_rules later knows the rule as the role's own."""
    rules = [{"port": str(port), "proto": "tcp", "from": "any", "comment": comment} for port in ports]
    for extra in extra_rules:
        own = extra.get("comment")
        rules.append(
            {
                "port": str(extra["port"]),
                "proto": str(extra.get("proto") or "tcp"),
                "from": str(extra.get("from") or "any"),
                "comment": f"{comment}: {own}" if own else comment,
            }
        )
    return rules


def ufw_unwanted_rules(lines, comment: str, wanted, keep_ports=()) -> list[dict]:
    """The rules among `lines` marked with `comment` that no rule of `wanted` describes.

    A rule is marked when its comment is `comment` or starts with `comment: `.
    Rules on a port of `keep_ports` (the SSH port the controller uses) are
    never returned, nor are rules without the mark (added by hand or by
    another role). Each as {from, port, proto}, for community.general.ufw's
    delete."""
    wanted_lines = {ufw_rule_line(rule) for rule in wanted}
    kept = {str(port) for port in keep_ports}
    return [
        _delete_args(rule)
        for rule in _commented_rules(lines)
        if rule["line"] not in wanted_lines
        and rule["port"] not in kept
        and (rule["comment"] == comment or rule["comment"].startswith(f"{comment}: "))
    ]


class FilterModule:
    def filters(self):
        return {
            "ufw_rule_line": ufw_rule_line,
            "ufw_stale_rules": ufw_stale_rules,
            "ufw_base_rules": ufw_base_rules,
            "ufw_unwanted_rules": ufw_unwanted_rules,
        }
