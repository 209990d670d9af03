#!/usr/bin/env python3
"""How long site.yml takes on the local droplets: `make perf`.

In one run, on droplets made afresh (this REMOVES the local droplets first,
as `make down` does, and leaves the usual layout of inventory/local behind):

1. scale-out: the droplets with 4 app hosts (inventory/local plus
   inventory/local-4app), a fresh converge of site.yml, timed; then the
   droplets are removed again (left out with --no-scale);
2. the droplets of inventory/local (2 app hosts), a fresh converge of
   site.yml, then a no-op rerun, both timed;
3. on those droplets, a rolling update (playbooks/rolling_update.yml, one app
   host per batch) to a new release, ROLLING_VERSION, timed; then one back to
   the inventory's own version (that release is still on the hosts), timed
   too, so that the inventory's version is live again (left out with
   --no-rolling).

It prints both site.yml times on the 2-app droplets and their ratio, the
tasks that took longest in each (wall time per task header, from the
recap_json callback of tests/callback_plugins), the ratio of the 4-app to the
2-app fresh converge, each rolling update's time and the time of each batch of
its deploy play (DEPLOY_PLAY, with the batch's hosts; the plays of the same
recap), the forks setting, and the date and machine (cores, load average
before and after each run: the containers share the machine's cores, other
work on it slows every figure). The same goes to reports/perf/perf.md and
perf.json, beside each run's full log and recap.
"""

from __future__ import annotations

import argparse
import configparser
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "inventory/local"
SCALE = "inventory/local-4app"
# The goals of issue 19.
GOAL_NOOP_RATIO = 0.25
GOAL_FRESH_SECONDS = 6 * 60
GOAL_SCALE_RATIO = 1.4
# inventory/local and group_vars set no django_app_version: site.yml deploys
# the django_app role's default, "1", as releases/1 on each app host (behind
# the balancer, releases are on). A version the droplets, made afresh, have no
# release of is a new release: each host gets its code in releases/2, the
# database is backed up and migrated (once, on the first host) before it goes
# live, and its static files are collected once, as in a real rollout (a
# release already there is only made live again, as in the rollout back).
ROLLING_VERSION = "2"
# The play of rolling_update.yml that runs once per batch (serial).
DEPLOY_PLAY = "Roll the app out, batch by batch"
# The steps that run a playbook other than local_droplets.yml: the playbook
# and its extra arguments.
PLAYBOOKS = {
    "fresh-4app": ("site.yml", []),
    "fresh": ("site.yml", []),
    "noop": ("site.yml", []),
    "rolling": ("rolling_update.yml", ["-e", f"django_app_version={ROLLING_VERSION}"]),
    # No -e: the inventory's own version, live again as make up leaves it.
    "rolling-back": ("rolling_update.yml", []),
}


@dataclass
class Run:
    """One timed ansible-playbook run of site.yml."""

    name: str
    seconds: float
    load_before: list[float]
    load_after: list[float]
    task_headers: int = 0
    changed: int = 0
    slowest: list[dict] = field(default_factory=list)
    # A rolling update's batches of DEPLOY_PLAY, in order: {"hosts": [...], "seconds": S}.
    batches: list[dict] = field(default_factory=list)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def forks(config: Path, environ: dict) -> str:
    """The forks Ansible runs with, and where the number comes from."""
    if environ.get("ANSIBLE_FORKS"):
        return f"{environ['ANSIBLE_FORKS']} (ANSIBLE_FORKS)"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    value = parser.get("defaults", "forks", fallback=None)
    return f"{value} ({config.name})" if value else "5 (Ansible's default)"


def slowest_tasks(tasks: list[dict], top: int) -> list[dict]:
    """The top task headers by wall time; a task that ran in several plays counts once per header."""
    return sorted(tasks, key=lambda task: task["seconds"], reverse=True)[:top]


def deploy_batches(plays: list[dict]) -> list[dict]:
    """The batches of a rolling update: each start of DEPLOY_PLAY in the recap's plays, with its hosts and seconds."""
    return [{"hosts": play["hosts"], "seconds": round(play["seconds"], 1)} for play in plays if play["play"] == DEPLOY_PLAY]


def read_run(name: str, seconds: float, load_before, load_after, recap: dict, top: int) -> Run:
    tasks = recap.get("tasks", [])
    changed = sum(host.get("changed", 0) for host in recap.get("hosts", {}).values())
    batches = deploy_batches(recap.get("plays", [])) if name.startswith("rolling") else []
    return Run(name, round(seconds, 1), load_before, load_after, len(tasks), changed, slowest_tasks(tasks, top), batches)


def batch_lines(run: Run) -> list[str]:
    return [f"  batch {number} ({', '.join(batch['hosts'])}): {batch['seconds']:.1f} s" for number, batch in enumerate(run.batches, 1)]


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s ({seconds:.0f} s)"


def summary(runs: dict[str, Run], machine: dict) -> dict:
    """The ratios and the goals they are held against."""
    fresh, noop, scaled = runs.get("fresh"), runs.get("noop"), runs.get("fresh-4app")
    result: dict = {}
    if fresh and noop:
        result["noop_over_fresh"] = round(noop.seconds / fresh.seconds, 3)
        result["noop_goal_met"] = result["noop_over_fresh"] <= GOAL_NOOP_RATIO
    if fresh:
        result["fresh_goal_met"] = fresh.seconds <= GOAL_FRESH_SECONDS
    if fresh and scaled:
        result["4app_over_2app"] = round(scaled.seconds / fresh.seconds, 3)
        result["scale_goal_met"] = result["4app_over_2app"] <= GOAL_SCALE_RATIO
    return result


def render(runs: dict[str, Run], machine: dict, ratios: dict) -> str:
    lines = ["# site.yml on the local droplets (make perf)", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines.append("")
    titles = {
        "fresh-4app": "fresh converge, 4 app hosts (6 + 2 droplets)",
        "fresh": "fresh converge, 2 app hosts (the 6 droplets of inventory/local)",
        "noop": "no-op rerun, 2 app hosts",
        "rolling": f"rolling update to version {ROLLING_VERSION}, 2 app hosts, one per batch",
        "rolling-back": "rolling update back to the inventory's version (its release still on the hosts)",
    }
    for name, run in runs.items():
        lines.append(
            f"- {titles.get(name, name)}: {minutes(run.seconds)}, {run.task_headers} task headers, {run.changed} changed;"
            f" load {' '.join(map(str, run.load_before))} before, {' '.join(map(str, run.load_after))} after"
        )
    lines.append("")
    if "noop_over_fresh" in ratios:
        lines.append(
            f"- no-op / fresh: {ratios['noop_over_fresh']:.2f} (goal <= {GOAL_NOOP_RATIO:.2f}:"
            f" {'met' if ratios['noop_goal_met'] else 'not met'})"
        )
    if "fresh_goal_met" in ratios:
        lines.append(f"- fresh converge <= {GOAL_FRESH_SECONDS // 60} min: {'met' if ratios['fresh_goal_met'] else 'not met'}")
    if "4app_over_2app" in ratios:
        lines.append(
            f"- 4 app hosts / 2 app hosts (fresh): {ratios['4app_over_2app']:.2f}x (goal <= {GOAL_SCALE_RATIO}x:"
            f" {'met' if ratios['scale_goal_met'] else 'not met'})"
        )
    for name, run in runs.items():
        if run.batches:
            lines += ["", f"## Batches of the deploy play: {titles.get(name, name)}", "", "| batch | hosts | s |", "| ---: | --- | ---: |"]
            lines += [
                f"| {number} | {', '.join(batch['hosts'])} | {batch['seconds']:.1f} |" for number, batch in enumerate(run.batches, 1)
            ]
            lines.append(f"\nThe whole rolling update: {minutes(run.seconds)}; its other plays (preflight, ...) take the rest.")
    for name, run in runs.items():
        lines += ["", f"## Slowest tasks: {titles.get(name, name)}", "", "| s | task |", "| ---: | --- |"]
        lines += [f"| {task['seconds']:.1f} | {task['task']} |" for task in run.slowest]
    return "\n".join(lines) + "\n"


def plan(scale: bool, rolling: bool = True) -> list[tuple[str, list[str], str | None]]:
    """The steps in order: (label, inventories, what) with what 'absent', 'present' or a timed run's name (PLAYBOOKS)."""
    both = [BASE, SCALE]
    steps: list[tuple[str, list[str], str | None]] = []
    if scale:
        steps += [
            ("remove the droplets", both, "absent"),
            ("create the droplets with 4 app hosts", both, "present"),
            ("site.yml, fresh, 4 app hosts", both, "fresh-4app"),
        ]
    steps += [
        ("remove the droplets", both, "absent"),
        ("create the droplets of inventory/local", [BASE], "present"),
        ("site.yml, fresh", [BASE], "fresh"),
        ("site.yml, no-op rerun", [BASE], "noop"),
    ]
    if rolling:
        steps += [
            (f"rolling_update.yml to version {ROLLING_VERSION}", [BASE], "rolling"),
            ("rolling_update.yml back to the inventory's version", [BASE], "rolling-back"),
        ]
    return steps


def playbook(inventories: list[str], name: str, *extra: str) -> list[str]:
    command = [str(Path(sys.executable).parent / "ansible-playbook")]
    for inventory in inventories:
        command += ["-i", inventory]
    return [*command, f"playbooks/{name}", *extra]


def execute(command: list[str], env: dict, log: Path) -> int:
    with log.open("w", encoding="utf-8") as handle:
        return subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None, runner=execute, clock=time.monotonic) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-scale", action="store_true", help="leave out the 4-app-host converge")
    parser.add_argument("--no-rolling", action="store_true", help="leave out the two rolling updates")
    parser.add_argument("--top", type=int, default=12, help="how many of the slowest tasks to show per run")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports" / "perf")
    args = parser.parse_args(argv)

    report = args.report_dir
    report.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    machine = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()}, {os.cpu_count()} cores (nproc), {platform.system()} {platform.release()}",
        "load average at the start (1, 5, 15 min)": " ".join(map(str, load_average())),
        "forks": forks(Path(env["ANSIBLE_CONFIG"]), env),
    }
    steps = plan(not args.no_scale, not args.no_rolling)
    print(f"make perf: {len(steps)} steps; the local droplets are removed and made afresh (about 18-33 min)", flush=True)
    runs: dict[str, Run] = {}
    for number, (label, inventories, what) in enumerate(steps, start=1):
        print(f"step {number}/{len(steps)}: {label}", flush=True)
        slug = f"{number:02d}-{what}"
        log = report / f"{slug}.log"
        if what in ("absent", "present"):
            rc = runner(playbook(inventories, "local_droplets.yml", "-e", f"local_droplets_state={what}"), env, log)
            if rc != 0:
                print(f"  failed (rc {rc}); the end of {log}:\n{tail(log)}", file=sys.stderr)
                return 1
            continue
        recap_file = report / f"{slug}.json"
        recap_file.unlink(missing_ok=True)
        before = load_average()
        started = clock()
        name, extra = PLAYBOOKS[what]
        rc = runner(playbook(inventories, name, *extra), {**env, "DJANGO_STACK_RECAP_FILE": str(recap_file)}, log)
        seconds = clock() - started
        if rc != 0:
            print(f"  failed (rc {rc}) after {seconds:.0f} s; the end of {log}:\n{tail(log)}", file=sys.stderr)
            return 1
        recap = json.loads(recap_file.read_text(encoding="utf-8"))
        runs[what] = read_run(what, seconds, before, load_average(), recap, args.top)
        print(f"  {minutes(seconds)}, load {' '.join(map(str, runs[what].load_after))}", flush=True)
        for line in batch_lines(runs[what]):
            print(line, flush=True)
    machine["load average at the end (1, 5, 15 min)"] = " ".join(map(str, load_average()))
    ratios = summary(runs, machine)
    text = render(runs, machine, ratios)
    (report / "perf.md").write_text(text, encoding="utf-8")
    document = {"machine": machine, "runs": {name: asdict(run) for name, run in runs.items()}, "ratios": ratios}
    (report / "perf.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print()
    print(text)
    print(f"Report: {report / 'perf.md'}, {report / 'perf.json'}; logs and recaps beside them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
