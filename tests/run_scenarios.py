#!/usr/bin/env python3
"""Run every Molecule scenario, one after another, and report durations.

For each scenario: destroy, create, prepare, converge, idempotence, a
``--check --diff`` run that must report no change (Molecule's own ``check``
action does not assert that), verify, and destroy again (also on failure).

Usage: run_scenarios.py [SCENARIO ...]   (default: every molecule/*/molecule.yml)
Environment:
  MOLECULE_JOBS=N   scenarios run N at a time (default 2); each one's output is
                    kept in .cache/molecule-logs/<scenario>.log and printed as
                    one block when it ends
  MOLECULE_KEEP=1   keep the containers of a failed scenario
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Plain output: no frames around the commands Molecule runs, no colours.
os.environ.setdefault("MOLECULE_COMMAND_BORDERS", "false")
os.environ.setdefault("ANSIBLE_NOCOLOR", "1")
os.environ.setdefault("NO_COLOR", "1")
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.lib.recap import RecapMissing, read_recap, recap_env  # noqa: E402

# Scenarios start in this order when present (the longest first, so that the
# workers finish close together); others follow alphabetically.
PREFERRED_ORDER = ["balancer", "stack", "pgbouncer", "edge", "dbtier", "app", "postgresql_server", "app_database", "base", "virtualenv"]


def discover() -> list[str]:
    names = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
    ordered = [n for n in PREFERRED_ORDER if n in names]
    return ordered + [n for n in names if n not in ordered]


LOGS = ROOT / ".cache" / "molecule-logs"
_PRINT = threading.Lock()


def say(text: str) -> None:
    with _PRINT:
        print(text, flush=True)


def molecule(action: str, scenario: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run one Molecule action; its output is appended to the scenario's log."""
    cmd = ["molecule", action, "-s", scenario, *extra]
    env = {**os.environ, **(env or {})}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, check=False, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"{scenario}.log", "a", encoding="utf-8") as log:
        log.write(f"\n=== {scenario}: {' '.join(cmd)} (exit {proc.returncode})\n{proc.stdout}")
    say(f"--- {scenario}: {action} {'ok' if proc.returncode == 0 else 'FAILED'}")
    return proc


def scenario_secrets(scenario: str) -> list[str]:
    """Values of the vault_* variables a scenario declares: they must never show."""
    config = yaml.safe_load((ROOT / "molecule" / scenario / "molecule.yml").read_text()) or {}
    group_vars = (config.get("provisioner") or {}).get("inventory", {}).get("group_vars", {}) or {}
    found = []
    for variables in group_vars.values():
        for name, value in (variables or {}).items():
            if name.startswith("vault_") and isinstance(value, str) and len(value) >= 8:
                found.append(value)
    return found


def leaked(scenario: str, output: str) -> list[str]:
    return [secret[:4] + "..." for secret in scenario_secrets(scenario) if secret in output]


def check_mode_clean(scenario: str) -> tuple[bool, str]:
    # The recap_json callback writes the structured recap of the run there.
    with tempfile.TemporaryDirectory(prefix="recap-") as scratch:
        recap_file = os.path.join(scratch, "recap.json")
        proc = molecule("converge", scenario, "--", "--check", "--diff", env=recap_env(recap_file))
        shown = leaked(scenario, proc.stdout)
        if shown:
            return False, f"secrets shown in the --check --diff output: {shown}"
        try:
            recap = read_recap(recap_file)
        except RecapMissing as exc:
            return False, f"the --check run (exit {proc.returncode}): {exc}"
    if proc.returncode != 0:
        return False, "the --check run failed"
    hosts = recap.unclean_hosts()
    if hosts:
        tasks = "\n  ".join(recap.changed_tasks + recap.failed_tasks) or "(see the recap)"
        return False, f"--check on converged hosts reports changes on {', '.join(hosts)}:\n  {tasks}"
    return True, ""


def run_scenario(scenario: str) -> tuple[bool, str]:
    molecule("destroy", scenario)
    for action in ("create", "prepare", "converge", "idempotence"):
        proc = molecule(action, scenario)
        shown = leaked(scenario, proc.stdout)
        if shown:
            return False, f"secrets shown in the {action} output: {shown}"
        if proc.returncode != 0:
            return False, f"{action} failed"
    ok, why = check_mode_clean(scenario)
    if not ok:
        return False, why
    if molecule("verify", scenario).returncode != 0:
        return False, "verify failed"
    return True, ""


def one(scenario: str) -> tuple[str, bool, str, float]:
    (LOGS / f"{scenario}.log").unlink(missing_ok=True)
    started = time.monotonic()
    try:
        ok, why = run_scenario(scenario)
    except Exception as exc:  # noqa: BLE001 - report it as a failed scenario
        ok, why = False, f"runner error: {exc!r}"
    if ok or os.environ.get("MOLECULE_KEEP") != "1":
        molecule("destroy", scenario)
    seconds = time.monotonic() - started
    log = (LOGS / f"{scenario}.log").read_text(encoding="utf-8", errors="replace")
    say(f"\n{'=' * 30} {scenario} {'=' * 30}\n{log}\n=== {scenario}: {'PASSED' if ok else 'FAILED: ' + why} in {seconds:.0f} s")
    return scenario, ok, why, seconds


def main(argv: list[str]) -> int:
    scenarios = argv or discover()
    jobs = max(1, int(os.environ.get("MOLECULE_JOBS", "2")))
    wall = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, scenarios))

    print("\nMolecule scenarios")
    print(f"{'scenario':<22} {'result':<8} {'duration':>9}")
    for scenario, ok, why, seconds in results:
        print(f"{scenario:<22} {'passed' if ok else 'FAILED':<8} {seconds:>8.0f}s" + (f"  {why.splitlines()[0]}" if why else ""))
    failed = [r for r in results if not r[1]]
    print(f"{'wall clock':<22} {'':<8} {time.monotonic() - wall:>8.0f}s  ({jobs} at a time)")
    print(f"scenarios: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
