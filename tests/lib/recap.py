"""Parse the PLAY RECAP of an ansible-playbook run.

Molecule's own ``check`` action runs the converge playbook with ``--check`` but
never asserts that nothing would change. The scenario runner uses this parser
to make "a --check run on converged hosts reports no change" a real test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Molecule may frame the output of the commands it runs with a border.
_BORDER = re.compile(r"^\s*[\u2502|]\s?", re.MULTILINE)
_RECAP_LINE = re.compile(r"^(?P<host>\S+)\s*:\s*(?P<fields>(?:\w+=\d+\s*)+)$")


def _clean(output: str) -> str:
    return _BORDER.sub("", _ANSI.sub("", output))


@dataclass(frozen=True)
class HostRecap:
    host: str
    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failed: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


def parse_recap(output: str) -> dict[str, HostRecap]:
    """Return the per-host counters of the last PLAY RECAP in ``output``."""
    text = _clean(output)
    marker = text.rfind("PLAY RECAP")
    if marker < 0:
        raise ValueError("no PLAY RECAP in the output")
    hosts: dict[str, HostRecap] = {}
    for line in text[marker:].splitlines()[1:]:
        line = line.strip()
        if not line:
            continue
        match = _RECAP_LINE.match(line)
        if not match:
            # The profile_tasks callback prints its table after the recap.
            break
        fields = dict(item.split("=") for item in match.group("fields").split())
        counters = {k: int(v) for k, v in fields.items() if k in HostRecap.__dataclass_fields__}
        hosts[match.group("host")] = HostRecap(host=match.group("host"), **counters)
    if not hosts:
        raise ValueError("PLAY RECAP lists no host")
    return hosts


def changed_hosts(output: str) -> list[str]:
    """Hosts that reported a change or a failure (both break a clean check run)."""
    return sorted(
        name
        for name, recap in parse_recap(output).items()
        if recap.changed or recap.failed or recap.unreachable
    )


_CHANGED_TASK = re.compile(r"^changed: \[(?P<host>[^\]]+)\]")


def changed_tasks(output: str) -> list[str]:
    """``host => task`` for every task that reported ``changed``."""
    text = _clean(output)
    task = ""
    found = []
    for line in text.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK [") : line.rfind("]")]
        else:
            match = _CHANGED_TASK.match(line)
            if match:
                found.append(f"{match.group('host')} => {task}")
    return found
