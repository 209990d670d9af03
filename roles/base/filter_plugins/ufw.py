"""How `ufw show added` prints an allow rule, so that the base role can skip rules UFW already has.

Own code: no module or filter reports UFW's rules in a form a task can compare with.
"""

from __future__ import annotations


def base_ufw_rule_line(rule: dict) -> str:
    """The line of `ufw show added` for one base_ufw_extra_rules item (rule allow)."""
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


class FilterModule:
    def filters(self):
        return {"base_ufw_rule_line": base_ufw_rule_line}
