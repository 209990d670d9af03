"""scripts/perf.py (make perf): the order of its steps, its figures and its report, with a stand-in for ansible-playbook."""

import json
from pathlib import Path

import yaml

from tests.lib.loader import load_file

perf = load_file("scripts/perf.py", "perf", register=True)


def recap(changed: int, *tasks: tuple[str, float], plays: list | None = None) -> dict:
    data = {
        "hosts": {"app1": {"ok": 5, "changed": changed}, "db1": {"ok": 3, "changed": 0}},
        "changed_tasks": [],
        "failed_tasks": [],
        "tasks": [{"task": name, "seconds": seconds} for name, seconds in tasks],
    }
    if plays is not None:
        data["plays"] = plays
    return data


def rolling_plays(seconds: float) -> list:
    """The plays of rolling_update.yml as recap_json records them: the deploy play once per batch."""
    return [
        {"play": "Check the inputs once, on the controller", "hosts": ["localhost"], "seconds": 2.0},
        {"play": "Remember the release a rollback returns to", "hosts": ["app1", "app2"], "seconds": 1.5},
        {"play": "Roll the app out, batch by batch", "hosts": ["app1"], "seconds": seconds * 0.5},
        {"play": "Roll the app out, batch by batch", "hosts": ["app2"], "seconds": seconds * 0.25},
    ]


class FakeAnsible:
    """Records the commands; a timed run (site.yml, rolling_update.yml) takes the seconds given for its name and writes its recap."""

    def __init__(self, seconds: dict, fail: str | None = None):
        self.seconds, self.fail, self.now, self.commands = seconds, fail, 0.0, []

    def clock(self) -> float:
        return self.now

    def __call__(self, command: list, env: dict, log: Path) -> int:
        self.commands.append(command)
        log.write_text("PLAY RECAP\n")
        if "DJANGO_STACK_RECAP_FILE" in env:
            name = Path(env["DJANGO_STACK_RECAP_FILE"]).stem.split("-", 1)[1]
            self.now += self.seconds[name]
            if name == self.fail:
                return 2
            tasks = [("base : Install the base packages", self.seconds[name] / 2), ("Gather facts", 3.0)]
            plays = rolling_plays(self.seconds[name]) if name.startswith("rolling") else None
            data = recap(0 if name == "noop" else 40, *tasks, plays=plays)
            Path(env["DJANGO_STACK_RECAP_FILE"]).write_text(json.dumps(data))
        elif self.fail and self.fail in command[-1]:
            return 4
        return 0


def inventories(command: list) -> list:
    return [command[i + 1] for i, arg in enumerate(command) if arg == "-i"]


def playbook_of(command: list) -> str:
    return next(Path(arg).name for arg in command if arg.startswith("playbooks/"))


def test_scale_out_runs_first_and_the_usual_layout_is_left_behind(tmp_path, capsys):
    fake = FakeAnsible({"fresh-4app": 330.0, "fresh": 300.0, "noop": 60.0, "rolling": 80.0, "rolling-back": 40.0})
    assert perf.main(["--report-dir", str(tmp_path)], runner=fake, clock=fake.clock) == 0
    steps = [(inventories(c), playbook_of(c), c[-1]) for c in fake.commands]
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
        # A new release rolled out, then the inventory's own version (no -e) live again.
        (base, "rolling_update.yml", "django_app_version=2"),
        (base, "rolling_update.yml", "playbooks/rolling_update.yml"),
    ]
    assert fake.commands[-2][-2:] == ["-e", "django_app_version=2"]
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


def test_rolling_updates_are_timed_per_batch_of_the_deploy_play(tmp_path, capsys):
    fake = FakeAnsible({"fresh": 300.0, "noop": 60.0, "rolling": 80.0, "rolling-back": 40.0})
    assert perf.main(["--no-scale", "--report-dir", str(tmp_path)], runner=fake, clock=fake.clock) == 0
    runs = json.loads((tmp_path / "perf.json").read_text())["runs"]
    assert runs["rolling"]["seconds"] == 80.0
    # Only the deploy play's starts are batches; preflight and the rollback link are not.
    assert runs["rolling"]["batches"] == [{"hosts": ["app1"], "seconds": 40.0}, {"hosts": ["app2"], "seconds": 20.0}]
    assert runs["rolling-back"]["batches"] == [{"hosts": ["app1"], "seconds": 20.0}, {"hosts": ["app2"], "seconds": 10.0}]
    # site.yml runs have no batches.
    assert runs["fresh"]["batches"] == [] and runs["noop"]["batches"] == []
    out = capsys.readouterr().out
    # Progress, as each step ends.
    assert "step 5/6: rolling_update.yml to version 2\n  1 min 20 s (80 s)" in out
    assert "  batch 1 (app1): 40.0 s\n  batch 2 (app2): 20.0 s\n" in out
    report = (tmp_path / "perf.md").read_text()
    assert "- rolling update to version 2, 2 app hosts, one per batch: 1 min 20 s (80 s)" in report
    assert "## Batches of the deploy play: rolling update to version 2, 2 app hosts, one per batch" in report
    assert "| 1 | app1 | 40.0 |\n| 2 | app2 | 20.0 |" in report
    assert "| 1 | app1 | 20.0 |\n| 2 | app2 | 10.0 |" in report
    assert report in out


def test_no_rolling_leaves_the_rolling_updates_out(tmp_path, capsys):
    fake = FakeAnsible({"fresh": 300.0, "noop": 60.0})
    assert perf.main(["--no-scale", "--no-rolling", "--report-dir", str(tmp_path)], runner=fake, clock=fake.clock) == 0
    assert [playbook_of(c) for c in fake.commands] == ["local_droplets.yml", "local_droplets.yml", "site.yml", "site.yml"]
    assert set(json.loads((tmp_path / "perf.json").read_text())["runs"]) == {"fresh", "noop"}
    out = capsys.readouterr().out
    assert "make perf: 4 steps" in out
    assert "rolling_update.yml" not in out and "rolling update" not in out and "batch" not in out


def test_plan_puts_the_rolling_updates_after_the_noop_rerun():
    labels = [what for _, _, what in perf.plan(scale=False)]
    assert labels == ["absent", "present", "fresh", "noop", "rolling", "rolling-back"]
    assert [what for _, _, what in perf.plan(scale=True, rolling=False)][-2:] == ["fresh", "noop"]
    assert all(inventories == [perf.BASE] for _, inventories, what in perf.plan(True) if what.startswith("rolling"))


def test_a_recap_without_plays_has_no_batches():
    """An older recap (no "plays" key) still reads."""
    run = perf.read_run("rolling", 80.0, [1.0], [1.0], recap(3, ("a", 1.0)), top=5)
    assert run.batches == [] and run.changed == 3


def test_the_deploy_play_is_the_serial_play_of_rolling_update_yml():
    """perf.DEPLOY_PLAY names the play of playbooks/rolling_update.yml that runs once per batch."""
    plays = yaml.safe_load((perf.ROOT / "playbooks" / "rolling_update.yml").read_text())
    serial = [play["name"] for play in plays if "serial" in play]
    assert serial == [perf.DEPLOY_PLAY]


def test_without_scale_out_and_goals_missed(tmp_path, capsys):
    fake = FakeAnsible({"fresh": 400.0, "noop": 120.0, "rolling": 80.0, "rolling-back": 40.0})
    assert perf.main(["--no-scale", "--report-dir", str(tmp_path)], runner=fake, clock=fake.clock) == 0
    assert len(fake.commands) == 6
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
