"""Read the recap that the ``recap_json`` callback writes at the end of a run.

The callback (tests/callback_plugins/recap_json.py, enabled in ansible.cfg and
in the Molecule base config) writes the per-host counters and the names of the
changed and failed tasks to the file named by ``DJANGO_STACK_RECAP_FILE``.
Reading that file, rather than the human PLAY RECAP text, keeps idempotence and
check-mode assertions working whatever the stdout callback prints.

Usage::

    env = {**os.environ, **recap_env(path)}
    subprocess.run(["ansible-playbook", ...], env=env)
    recap = read_recap(path)
    assert not recap.unclean_hosts(), recap.changed_tasks
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

# The variable the callback reads the file name from.
RECAP_FILE_VARIABLE = "DJANGO_STACK_RECAP_FILE"


class RecapMissing(RuntimeError):
    """The run wrote no recap (it did not start, or ended before its recap)."""


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


@dataclass
class Recap:
    hosts: dict[str, HostRecap] = field(default_factory=dict)
    changed_tasks: list[str] = field(default_factory=list)
    failed_tasks: list[str] = field(default_factory=list)

    def unclean_hosts(self) -> list[str]:
        """Hosts that changed, failed or were unreachable (any breaks an idempotence or check run)."""
        return sorted(name for name, host in self.hosts.items() if host.changed or host.failed or host.unreachable)


def recap_env(path: str | os.PathLike) -> dict[str, str]:
    """The environment variables that make a run write its recap to ``path``."""
    return {RECAP_FILE_VARIABLE: str(path)}


def read_recap(path: str | os.PathLike) -> Recap:
    """The recap the callback wrote to ``path``; RecapMissing when there is none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if not text.strip():
        raise RecapMissing(
            f"no recap was written: did the run start? ({path} is missing or empty; "
            f"is the recap_json callback enabled and {RECAP_FILE_VARIABLE} passed on?)"
        )
    data = json.loads(text)
    hosts = {}
    for name, counters in (data.get("hosts") or {}).items():
        counters = dict(counters)
        # The callback keeps Ansible's name for the failure counter.
        counters["failed"] = counters.pop("failures", counters.get("failed", 0))
        known = {key: int(value) for key, value in counters.items() if key in HostRecap.__dataclass_fields__ and key != "host"}
        hosts[name] = HostRecap(host=name, **known)
    return Recap(hosts=hosts, changed_tasks=list(data.get("changed_tasks") or []), failed_tasks=list(data.get("failed_tasks") or []))
