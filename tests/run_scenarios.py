#!/usr/bin/env python3
"""Run every Molecule scenario and report how long each action took.

For each scenario: destroy, create, prepare, converge, idempotence (converge
again: no host may change), a ``--check --diff`` converge that must report no
change either (Molecule's own ``check`` action does not assert that), verify,
and destroy again (also on failure).

Idempotence and check mode are judged on the structured recap that the
recap_json callback (tests/callback_plugins) writes to $DJANGO_STACK_RECAP_FILE,
not on the PLAY RECAP text: a host that changed, failed or was unreachable, or
a run that wrote no recap, fails the scenario, naming the changed tasks.
No action's output may show a vault_* value the scenario declares. The
scenarios in VERBOSE_CONVERGE run their first converge with -vvv, where
secrets leak most easily; that output is kept whole in
.cache/molecule-logs/<scenario>.converge-vvv.log (only its tail goes into the
scenario's log).

Scenarios start longest first, by the totals recorded in
.cache/scenario-durations.json (rewritten after every run); scenarios with no
record start before them, in PREFERRED_ORDER.

Platforms: a run is a scenario on a platform (tests/lib/platforms.py):
``balancer`` on the default one (DJANGO_STACK_PLATFORM: make sets it from PLATFORM),
``balancer@trixie`` on Debian 13. With no scenario named, every scenario runs
on the default platform and the ones in platforms.ALSO_ON on their second
platform too; two runs of one scenario never overlap (same containers).

Usage: run_scenarios.py [SCENARIO[@PLATFORM] ...]   (default: see Platforms)
Environment:
  MOLECULE_JOBS=N   scenarios run N at a time (default 2); each one's output is
                    kept in .cache/molecule-logs/<scenario>.log. When a
                    scenario ends, its action times, PLAY RECAPs and test
                    summary are printed (the whole log when it failed)
  MOLECULE_KEEP=1   keep the containers of a failed scenario
  MOLECULE_VERBOSE_CONVERGE=a,b   scenarios whose first converge runs with -vvv
                    (default: VERBOSE_CONVERGE; empty for none)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
# Plain output: no frames around the commands Molecule runs, no colours.
os.environ.setdefault("MOLECULE_COMMAND_BORDERS", "false")
os.environ.setdefault("ANSIBLE_NOCOLOR", "1")
os.environ.setdefault("NO_COLOR", "1")
sys.path.insert(0, str(ROOT))
# molecule (and the ansible-playbook it runs) from the virtualenv of this
# interpreter, also when that virtualenv is not activated.
_BIN = Path(sys.executable).parent
if (_BIN / "molecule").exists() and str(_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import yaml  # noqa: E402

from tests.lib.platforms import Run, runs, scenarios  # noqa: E402
from tests.lib.recap import RECAP_FILE_VARIABLE, RecapMissing, read_recap, recap_env  # noqa: E402

# Scenarios with no recorded duration start in this order when present (the
# longest first, so that the workers finish close together); others follow
# alphabetically.
PREFERRED_ORDER = ["balancer@trixie", "balancer", "single", "backup", "app", "foundation"]
# Scenarios whose first converge runs with -vvv, to prove that no secret shows
# even at that verbosity (MOLECULE_VERBOSE_CONVERGE overrides it).
VERBOSE_CONVERGE = {"balancer"}
# Lines of the -vvv output copied into the scenario's log; the rest stays in
# its own file.
VERBOSE_TAIL = 200
# Lines of the verify output shown for a passed scenario (the test summary).
VERIFY_TAIL = 40

LOGS = ROOT / ".cache" / "molecule-logs"
DURATIONS = ROOT / ".cache" / "scenario-durations.json"
# The columns of the final table, and the actions each one adds up.
COLUMNS = {
    "create": ("create", "prepare"),
    "converge": ("converge",),
    "idempotence": ("idempotence",),
    "check": ("check",),
    "verify": ("verify",),
    "destroy": ("destroy",),
}
HEADINGS = {"create": "create+prep", "idempotence": "idempot."}
_PRINT = threading.Lock()
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def say(text: str) -> None:
    with _PRINT:
        print(text, flush=True)


# --- which scenarios, in which order ------------------------------------------


def load_durations(path: Path | None = None) -> dict[str, float]:
    """The recorded total seconds of each scenario ({} when there is no record)."""
    path = path or DURATIONS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def schedule(names: Iterable[str], durations: dict[str, float]) -> list[str]:
    """Longest first by the recorded durations; unrecorded ones before them, in preferred order."""
    names = list(dict.fromkeys(names))
    rank = {name: i for i, name in enumerate(PREFERRED_ORDER)}

    def place(name: str) -> tuple[int, str]:
        # A scenario on another platform (name@platform) ranks as its scenario.
        return rank.get(name, rank.get(name.partition("@")[0], len(rank))), name

    unknown = sorted((n for n in names if n not in durations), key=place)
    known = sorted((n for n in names if n in durations), key=lambda n: (-durations[n], n))
    return unknown + known


def save_durations(results: Iterable[ScenarioResult], path: Path | None = None) -> None:
    """Record the total of every passed scenario, keeping the others' older records."""
    path = path or DURATIONS
    durations = load_durations(path)
    durations.update({r.name: round(r.seconds, 1) for r in results if r.ok})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(dict(sorted(durations.items())), indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def verbose_scenarios() -> set[str]:
    value = os.environ.get("MOLECULE_VERBOSE_CONVERGE")
    if value is None:
        return set(VERBOSE_CONVERGE)
    return {name.strip() for name in value.split(",") if name.strip()}


# --- secrets -------------------------------------------------------------------


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


def leaked_in_file(scenario: str, path: Path) -> tuple[list[str], int, int]:
    """leaked() over a file read in chunks (for -vvv output); also its size in bytes and lines."""
    secrets = scenario_secrets(scenario)
    overlap = max((len(s) for s in secrets), default=1) - 1
    found: set[str] = set()
    lines = 0
    carry = ""
    with open(path, encoding="utf-8", errors="replace") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count("\n")
            window = carry + chunk
            found.update(s for s in secrets if s in window)
            carry = window[-overlap:] if overlap > 0 else ""
    shown = [s[:4] + "..." for s in secrets if s in found]
    return shown, path.stat().st_size, lines


# --- running one action ---------------------------------------------------------


def call_molecule(args: list[str], env: dict[str, str], output: IO[str]) -> int:
    """Run ``molecule ARGS`` with stdout and stderr going to ``output``; return its exit code."""
    proc = subprocess.run(["molecule", *args], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, check=False)
    return proc.returncode


@dataclass
class Step:
    label: str
    ok: bool
    seconds: float
    recaps: list[str] = field(default_factory=list)
    tail: str = ""


@dataclass
class ScenarioResult:
    name: str
    run: Run | None = None
    ok: bool = False
    why: str = ""
    seconds: float = 0.0
    steps: list[Step] = field(default_factory=list)

    @property
    def scenario(self) -> str:
        """The Molecule scenario (the name without its @platform)."""
        return self.run.scenario if self.run else self.name

    def column(self, column: str) -> float | None:
        """Seconds spent in the actions of a table column (None when none of them ran)."""
        spent = [s.seconds for s in self.steps if s.label in COLUMNS[column]]
        return sum(spent) if spent else None


def log_path(scenario: str) -> Path:
    return LOGS / f"{scenario}.log"


def append_log(scenario: str, text: str) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(log_path(scenario), "a", encoding="utf-8") as log:
        log.write(text if text.endswith("\n") else text + "\n")


def recap_blocks(output: str) -> list[str]:
    """Every PLAY RECAP block (heading and host lines) in an ansible-playbook output."""
    blocks, current = [], None
    for line in _ANSI.sub("", output).splitlines():
        if line.startswith("PLAY RECAP"):
            current = [line]
            blocks.append(current)
        elif current is not None:
            if line.strip():
                current.append(line.rstrip())
            else:
                current = None if len(current) > 1 else current
    return ["\n".join(block) for block in blocks]


@dataclass
class Outcome:
    code: int
    output: str
    shown: list[str]


def run_action(run: ScenarioResult, label: str, args: list[str], extra_env: dict[str, str] | None = None, verbose: bool = False) -> Outcome:
    """Run one Molecule action, log its output and check it for secrets (the verdict is the caller's)."""
    scenario = run.name
    env = {k: v for k, v in os.environ.items() if k != RECAP_FILE_VARIABLE}
    env.update(run.run.env() if run.run else {})
    env.update(extra_env or {})
    LOGS.mkdir(parents=True, exist_ok=True)
    out_file = LOGS / (f"{scenario}.converge-vvv.log" if verbose else f".{scenario}.{label}.out")
    started = time.monotonic()
    with open(out_file, "w", encoding="utf-8") as output:
        code = call_molecule(args, env, output)
    seconds = time.monotonic() - started
    header = f"\n=== {scenario}: molecule {' '.join(args)} (exit {code}, {seconds:.0f} s)\n"
    if verbose:
        shown, size, lines = leaked_in_file(run.scenario, out_file)
        with open(out_file, encoding="utf-8", errors="replace") as handle:
            tail = "".join(_last_lines(handle, VERBOSE_TAIL))
        relative = out_file.relative_to(ROOT) if out_file.is_relative_to(ROOT) else out_file
        note = (
            f"=== {scenario}: the full -vvv output is in {relative}; {size} bytes in {lines} lines checked for "
            f"{len(scenario_secrets(run.scenario))} secret value(s): {'SHOWN ' + str(shown) if shown else 'none shown'}\n"
        )
        omitted = max(0, lines - VERBOSE_TAIL)
        append_log(scenario, header + (f"[... {omitted} lines omitted, last {VERBOSE_TAIL} follow ...]\n" if omitted else "") + tail + note)
        text = tail
    else:
        text = out_file.read_text(encoding="utf-8", errors="replace")
        out_file.unlink()
        shown = leaked(run.scenario, text)
        append_log(scenario, header + text)
    run.steps.append(Step(label=label, ok=code == 0, seconds=seconds, recaps=recap_blocks(text)))
    return Outcome(code=code, output=text, shown=shown)


def _last_lines(handle: IO[str], count: int) -> list[str]:
    return list(deque(handle, maxlen=count))


def finish_step(run: ScenarioResult, ok: bool) -> None:
    step = run.steps[-1]
    step.ok = ok
    line = f"--- {run.name}: {step.label} {'ok' if ok else 'FAILED'} in {step.seconds:.0f} s"
    append_log(run.name, line)
    say(line)


def plain_action(run: ScenarioResult, label: str, *extra: str, verbose: bool = False) -> tuple[bool, str]:
    """An action that passes when it exits 0 and shows no secret."""
    args = [label, "-s", run.scenario, *extra]
    outcome = run_action(run, label, args, verbose=verbose)
    if label == "verify":
        run.steps[-1].tail = "\n".join(outcome.output.splitlines()[-VERIFY_TAIL:])
    where = f"{label} -vvv" if verbose else label
    if outcome.shown:
        finish_step(run, False)
        return False, f"secrets shown in the {where} output: {outcome.shown}"
    finish_step(run, outcome.code == 0)
    return (True, "") if outcome.code == 0 else (False, f"{label} failed")


def recap_action(run: ScenarioResult, label: str, *extra: str) -> tuple[bool, str]:
    """A converge that must leave every host unchanged, judged on the structured recap."""
    recap_file = LOGS / f"{run.name}.{label}.recap.json"
    recap_file.parent.mkdir(parents=True, exist_ok=True)
    recap_file.unlink(missing_ok=True)
    args = ["converge", "-s", run.scenario, *extra]
    outcome = run_action(run, label, args, extra_env=recap_env(recap_file))
    ok, why = recap_verdict(label, outcome, recap_file)
    finish_step(run, ok)
    return ok, why


def recap_verdict(label: str, outcome: Outcome, recap_file: Path) -> tuple[bool, str]:
    what = {"idempotence": "the second converge", "check": "the --check --diff converge"}.get(label, label)
    if outcome.shown:
        return False, f"secrets shown in the {label} output: {outcome.shown}"
    try:
        recap = read_recap(recap_file)
    except RecapMissing as exc:
        return False, f"{label}: {what} (exit {outcome.code}): {exc}"
    unclean = recap.unclean_hosts()
    if outcome.code != 0 and not unclean:
        return False, f"{label}: {what} failed (exit {outcome.code}) although every host is clean in its recap"
    if unclean:
        details = "\n  ".join([*recap.changed_tasks, *(f"FAILED {t}" for t in recap.failed_tasks)]) or "(no task named: see the log)"
        return False, f"{label}: {what} reports changes or failures on {', '.join(unclean)}:\n  {details}"
    return True, ""


# --- one scenario ----------------------------------------------------------------


def run_scenario(run: ScenarioResult) -> tuple[bool, str]:
    plain_action(run, "destroy")
    # Molecule's create runs the scenario's prepare playbook too.
    ok, why = plain_action(run, "create")
    if not ok:
        return False, why
    if run.name in verbose_scenarios():
        ok, why = plain_action(run, "converge", "--", "-vvv", verbose=True)
    else:
        ok, why = plain_action(run, "converge")
    if not ok:
        return False, why
    ok, why = recap_action(run, "idempotence")
    if not ok:
        return False, why
    ok, why = recap_action(run, "check", "--", "--check", "--diff")
    if not ok:
        return False, why
    return plain_action(run, "verify")


def summary(run: ScenarioResult) -> str:
    """What stdout shows of a scenario once it ended: the whole log when it failed."""
    log = log_path(run.name)
    relative = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
    closing = f"=== {run.name}: {'PASSED' if run.ok else 'FAILED: ' + run.why} in {run.seconds:.0f} s (full log: {relative})"
    if not run.ok:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else "(no log)"
        return f"{text}\n{closing}"
    parts = [f"--- {run.name}: {s.label} {'ok' if s.ok else 'FAILED'} in {s.seconds:.0f} s" for s in run.steps]
    for step in run.steps:
        for block in step.recaps:
            parts.append(f"\n[{step.label}] {block}")
        if step.tail:
            parts.append(f"\n[{step.label}] last {VERIFY_TAIL} lines:\n{step.tail}")
    return "\n".join(parts) + f"\n{closing}"


# The final destroy of a scenario runs beside the next scenario instead of
# before it: tearing containers down is mostly waiting on the engine.
CLEANUP = ThreadPoolExecutor(max_workers=4, thread_name_prefix="destroy")


def finish(run: ScenarioResult, started: float, destroy: bool) -> ScenarioResult:
    """Destroy the scenario's containers (unless kept), then report it."""
    if destroy:
        try:
            plain_action(run, "destroy")
        except Exception as exc:  # noqa: BLE001
            append_log(run.name, f"=== {run.name}: destroy raised {exc!r}")
    run.seconds = time.monotonic() - started
    say(f"\n{'=' * 30} {run.name} {'=' * 30}\n{summary(run)}")
    return run


def one(spec: Run):
    """Run one scenario on its platform; returns the future of its (background) destroy and report."""
    scenario = spec.name
    run = ScenarioResult(name=scenario, run=spec)
    log_path(scenario).unlink(missing_ok=True)
    # The tests' own playbook runs (tests/lib/molecule_helpers.log_run).
    (LOGS / f"{scenario}.playbooks.log").unlink(missing_ok=True)
    started = time.monotonic()
    try:
        run.ok, run.why = run_scenario(run)
    except Exception as exc:  # noqa: BLE001 - report it as a failed scenario
        run.ok, run.why = False, f"runner error: {exc!r}"
    return CLEANUP.submit(finish, run, started, run.ok or os.environ.get("MOLECULE_KEEP") != "1")


# --- the report --------------------------------------------------------------------


def table(results: list[ScenarioResult], wall: float, jobs: int) -> str:
    width = 22
    heads = [HEADINGS.get(c, c) for c in COLUMNS]
    lines = [
        "Molecule scenarios (seconds)",
        f"{'scenario':<{width}} {'result':<7}" + "".join(f" {h:>11}" for h in heads) + f" {'total':>7}",
    ]
    for run in results:
        cells = "".join(f" {'-' if run.column(c) is None else format(run.column(c), '.0f'):>11}" for c in COLUMNS)
        row = f"{run.name:<{width}} {'passed' if run.ok else 'FAILED':<7}{cells} {run.seconds:>7.0f}"
        lines.append(row + (f"  {run.why.splitlines()[0]}" if run.why else ""))
    failed = sum(1 for r in results if not r.ok)
    pad = width + 1 + 7 + 12 * len(COLUMNS)
    lines.append(f"{'wall clock':<{pad}} {wall:>7.0f}  ({jobs} at a time)")
    lines.append(f"scenarios: {len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def dispatch(specs: list[Run], jobs: int, start=None) -> list[Future]:
    """Start the runs ``jobs`` at a time in their order, each worker taking the
    first run whose scenario is not going already: two runs of one scenario use
    the same containers, so the second waits until the first is destroyed.
    Returns each run's future (of its report), in the order of ``specs``."""
    start = start or one
    pending = list(specs)
    busy: set[str] = set()
    done: dict[int, Future] = {}
    ready = threading.Condition()

    def release(scenario: str) -> None:
        with ready:
            busy.discard(scenario)
            ready.notify_all()

    def worker() -> None:
        while True:
            with ready:
                while True:
                    if not pending:
                        return
                    spec = next((s for s in pending if s.scenario not in busy), None)
                    if spec is not None:
                        break
                    ready.wait()
                pending.remove(spec)
                busy.add(spec.scenario)
            try:
                future = start(spec)
            except BaseException:
                release(spec.scenario)
                raise
            done[specs.index(spec)] = future
            future.add_done_callback(lambda _f, s=spec.scenario: release(s))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for worker_future in [pool.submit(worker) for _ in range(jobs)]:
            worker_future.result()
    return [done[i] for i in range(len(specs))]


def main(argv: list[str]) -> int:
    try:
        specs = runs(argv or None, known=scenarios(ROOT))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    by_name = {spec.name: spec for spec in specs}
    specs = [by_name[name] for name in schedule(by_name, load_durations())]
    jobs = max(1, int(os.environ.get("MOLECULE_JOBS", "2")))
    shown = [f"{s.name} (state tests only)" if s.state_only else s.name for s in specs]
    say(f"scenarios, in this order, {jobs} at a time: {', '.join(shown)}")
    wall = time.monotonic()
    results = [future.result() for future in dispatch(specs, jobs)]
    save_durations(results)
    print("\n" + table(results, time.monotonic() - wall, jobs))
    return 1 if any(not r.ok for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
