"""scripts/perf.py (make perf): the order of its steps, its figures and its report, with a stand-in for ansible-playbook."""

import json
from pathlib import Path

from tests.lib.loader import load_file

perf = load_file("scripts/perf.py", "perf", register=True)


def recap(changed: int, *tasks: tuple[str, float]) -> dict:
    return {
        "hosts": {"app1": {"ok": 5, "changed": changed}, "db1": {"ok": 3, "changed": 0}},
        "changed_tasks": [],
        "failed_tasks": [],
        "tasks": [{"task": name, "seconds": seconds} for name, seconds in tasks],
    }


class FakeAnsible:
    """Records the commands; a site.yml run takes the seconds given for its name and writes its recap."""

    def __init__(self, seconds: dict, fail: str | None = None):
        self.seconds, self.fail, self.now, self.commands = seconds, fail, 0.0, []

    def clock(self) -> float:
        return self.now

    def __call__(self, command: list, env: dict, log: Path) -> int:
        self.commands.append(command)
        log.write_text("PLAY RECAP\n")
        if command[-1] == "playbooks/site.yml":
            name = Path(env["DJANGO_STACK_RECAP_FILE"]).stem.split("-", 1)[1]
            self.now += self.seconds[name]
            if name == self.fail:
                return 2
            tasks = [("base : Install the base packages", self.seconds[name] / 2), ("Gather facts", 3.0)]
            Path(env["DJANGO_STACK_RECAP_FILE"]).write_text(json.dumps(recap(0 if name == "noop" else 40, *tasks)))
        elif self.fail and self.fail in command[-1]:
            return 4
        return 0


def inventories(command: list) -> list:
    return [command[i + 1] for i, arg in enumerate(command) if arg == "-i"]


def test_scale_out_runs_first_and_the_usual_layout_is_left_behind(tmp_path, capsys):
    fake = FakeAnsible({"fresh-4app": 330.0, "fresh": 300.0, "noop": 60.0})
    assert perf.main(["--report-dir", str(tmp_path)], runner=fake, clock=fake.clock) == 0
    steps = [(inventories(c), Path(c[-1] if "site" in c[-1] else c[-3]).name, c[-1]) for c in fake.commands]
    both, base = ["inventory/local", "inventory/local-4app"], ["inventory/local"]
    assert steps == [
        (both, "local_droplets.yml", "local_droplets_state=absent"),
        (both, "local_droplets.yml", "local_droplets_state=present"),
        (both, "site.yml", "playbooks/site.yml"),
        # app3 and app4 go with the rest, then the droplets of inventory/local come back.
        (both, "local_droplets.yml", "local_droplets_state=absent"),
        (base, "local_droplets.yml", "local_droplets_state=present"),
        (base, "site.yml", "playbooks/site.yml"),
        (base, "site.yml", "playbooks/site.yml"),
    ]
    data = json.loads((tmp_path / "perf.json").read_text())
    assert data["ratios"] == {
        "noop_over_fresh": 0.2, "noop_goal_met": True, "fresh_goal_met": True, "4app_over_2app": 1.1, "scale_goal_met": True,
    }
    assert data["runs"]["noop"]["changed"] == 0 and data["runs"]["fresh"]["changed"] == 40
    assert data["runs"]["fresh"]["slowest"][0] == {"task": "base : Install the base packages", "seconds": 150.0}
    assert set(data["machine"]) >= {"date", "machine", "forks", "load average at the start (1, 5, 15 min)",
                                   "load average at the end (1, 5, 15 min)"}
    out = capsys.readouterr().out
    assert "no-op / fresh: 0.20 (goal <= 0.25: met)" in out
    assert "4 app hosts / 2 app hosts (fresh): 1.10x (goal <= 1.4x: met)" in out
    assert "fresh converge, 2 app hosts (the 6 droplets of inventory/local): 5 min 00 s (300 s)" in out
    assert "| 150.0 | base : Install the base packages |" in out
    assert (tmp_path / "perf.md").read_text() in out


def test_without_scale_out_and_goals_missed(tmp_path, capsys):
    fake = FakeAnsible({"fresh": 400.0, "noop": 120.0})
    assert perf.main(["--no-scale", "--report-dir", str(tmp_path)], runner=fake, clock=fake.clock) == 0
    assert len(fake.commands) == 4
    ratios = json.loads((tmp_path / "perf.json").read_text())["ratios"]
    assert ratios == {"noop_over_fresh": 0.3, "noop_goal_met": False, "fresh_goal_met": False}
    out = capsys.readouterr().out
    assert "no-op / fresh: 0.30 (goal <= 0.25: not met)" in out
    assert "fresh converge <= 6 min: not met" in out
    assert "4 app hosts" not in out


def test_a_failed_run_stops_the_measurement(tmp_path, capsys):
    fake = FakeAnsible({"fresh-4app": 330.0, "fresh": 300.0, "noop": 60.0}, fail="fresh")
    assert perf.main(["--report-dir", str(tmp_path), "--no-scale"], runner=fake, clock=fake.clock) == 1
    # No no-op run after a failed converge, and no report.
    assert len(fake.commands) == 3
    assert not (tmp_path / "perf.json").exists()
    assert "failed (rc 2) after 300 s" in capsys.readouterr().err


def test_a_droplet_step_that_fails_stops_before_site_yml(tmp_path):
    fake = FakeAnsible({}, fail="present")
    assert perf.main(["--report-dir", str(tmp_path), "--no-scale"], runner=fake, clock=fake.clock) == 1
    assert [c[-1] for c in fake.commands] == ["local_droplets_state=absent", "local_droplets_state=present"]


def test_forks_come_from_the_environment_or_the_config(tmp_path):
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\nforks = 20\n")
    assert perf.forks(config, {}) == "20 (ansible.cfg)"
    assert perf.forks(config, {"ANSIBLE_FORKS": "7"}) == "7 (ANSIBLE_FORKS)"
    config.write_text("[defaults]\ninventory = x\n")
    assert perf.forks(config, {}) == "5 (Ansible's default)"
    # The project's own setting.
    assert perf.forks(perf.ROOT / "ansible.cfg", {}) == "20 (ansible.cfg)"


def test_slowest_tasks_are_the_longest_headers():
    tasks = [{"task": "a", "seconds": 1.0}, {"task": "b", "seconds": 5.0}, {"task": "a", "seconds": 3.0}]
    assert perf.slowest_tasks(tasks, 2) == [{"task": "b", "seconds": 5.0}, {"task": "a", "seconds": 3.0}]
