#!/usr/bin/env python3
"""Run every Molecule scenario, one after another, and report durations.

For each scenario: destroy, create, prepare, converge, idempotence, a
``--check --diff`` run that must report no change (Molecule's own ``check``
action does not assert that), verify, and destroy again (also on failure).

Usage: run_scenarios.py [SCENARIO ...]   (default: every molecule/*/molecule.yml)
Environment: MOLECULE_KEEP=1 keeps the containers of a failed scenario.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Plain output: no frames around the commands Molecule runs, no colours.
os.environ.setdefault("MOLECULE_COMMAND_BORDERS", "false")
os.environ.setdefault("ANSIBLE_NOCOLOR", "1")
os.environ.setdefault("NO_COLOR", "1")
sys.path.insert(0, str(ROOT))

from tests.lib.recap import changed_hosts, changed_tasks  # noqa: E402

# Scenarios run in this order when present; others follow alphabetically.
PREFERRED_ORDER = ["base", "postgresql_server", "app_database", "virtualenv", "gunicorn", "stack"]


def discover() -> list[str]:
    names = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
    ordered = [n for n in PREFERRED_ORDER if n in names]
    return ordered + [n for n in names if n not in ordered]


def molecule(action: str, scenario: str, *extra: str, capture: bool = False) -> subprocess.CompletedProcess:
    cmd = ["molecule", action, "-s", scenario, *extra]
    print(f"\n=== {scenario}: {' '.join(cmd)}", flush=True)
    if not capture:
        return subprocess.run(cmd, cwd=ROOT, check=False)
    proc = subprocess.run(cmd, cwd=ROOT, check=False, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sys.stdout.write(proc.stdout)
    sys.stdout.flush()
    return proc


def check_mode_clean(scenario: str) -> tuple[bool, str]:
    proc = molecule("converge", scenario, "--", "--check", "--diff", capture=True)
    if proc.returncode != 0:
        return False, "the --check run failed"
    hosts = changed_hosts(proc.stdout)
    if hosts:
        tasks = "\n  ".join(changed_tasks(proc.stdout)) or "(see the recap)"
        return False, f"--check on converged hosts reports changes on {', '.join(hosts)}:\n  {tasks}"
    return True, ""


def run_scenario(scenario: str) -> tuple[bool, str]:
    molecule("destroy", scenario)
    for action in ("create", "prepare", "converge", "idempotence"):
        if molecule(action, scenario).returncode != 0:
            return False, f"{action} failed"
    ok, why = check_mode_clean(scenario)
    if not ok:
        return False, why
    if molecule("verify", scenario).returncode != 0:
        return False, "verify failed"
    return True, ""


def main(argv: list[str]) -> int:
    scenarios = argv or discover()
    results = []
    for scenario in scenarios:
        started = time.monotonic()
        try:
            ok, why = run_scenario(scenario)
        finally:
            if not (os.environ.get("MOLECULE_KEEP") == "1"):
                molecule("destroy", scenario)
        results.append((scenario, ok, why, time.monotonic() - started))
        print(f"=== {scenario}: {'PASSED' if ok else 'FAILED: ' + why} in {results[-1][3]:.0f} s", flush=True)

    print("\nMolecule scenarios")
    print(f"{'scenario':<22} {'result':<8} {'duration':>9}")
    for scenario, ok, why, seconds in results:
        print(f"{scenario:<22} {'passed' if ok else 'FAILED':<8} {seconds:>8.0f}s" + (f"  {why.splitlines()[0]}" if why else ""))
    total = sum(r[3] for r in results)
    failed = [r for r in results if not r[1]]
    print(f"{'total':<22} {'':<8} {total:>8.0f}s")
    print(f"scenarios: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
