import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.lib import platforms
from tests.lib.loader import load_file
from tests.lib.platforms import Run

ROOT = Path(__file__).resolve().parents[2]
runner = load_file("tests/run_scenarios.py", register=True)

SECRET = "s3cret-value-1"
CLEAN_RECAP = {
    "hosts": {"demo-host": {"ok": 5, "changed": 0, "unreachable": 0, "failures": 0, "skipped": 2, "rescued": 0, "ignored": 0}},
    "changed_tasks": [],
    "failed_tasks": [],
}
PLAY_RECAP = (
    "PLAY RECAP *****\ndemo-host : ok=5 changed={changed} unreachable=0 failed=0 skipped=2 rescued=0 ignored=0\n\nTASKS RECAP ***\n"
)


def kind(args, env):
    """Which step of the sequence a molecule call is."""
    action = args[0]
    if action != "converge":
        return action
    if "--check" in args:
        return "check"
    if "-vvv" in args:
        return "converge-vvv"
    return "idempotence" if runner.RECAP_FILE_VARIABLE in env else "converge"


class FakeMolecule:
    """Stands in for call_molecule: records the calls, prints and writes recaps as told."""

    def __init__(self):
        self.calls = []
        self.behaviour = {}

    def __call__(self, args, env, output):
        step = kind(args, env)
        recap_file = env.get(runner.RECAP_FILE_VARIABLE)
        self.calls.append((step, list(args), recap_file))
        if step in self.behaviour:
            return self.behaviour[step](args, env, output)
        if step in ("converge", "converge-vvv", "idempotence", "check"):
            output.write(f"TASK [demo : Do it]\nok: [demo-host]\n{PLAY_RECAP.format(changed=0)}")
            if recap_file:
                Path(recap_file).write_text(json.dumps(CLEAN_RECAP))
        elif step == "verify":
            output.write("".join(f"verify line {i}\n" for i in range(100)) + "=== 7 passed in 3.00s ===\n")
        else:
            output.write(f"{step} done\n")
        return 0


@pytest.fixture
def fake(tmp_path, monkeypatch):
    scenario = tmp_path / "molecule" / "demo"
    scenario.mkdir(parents=True)
    (scenario / "molecule.yml").write_text(
        f"provisioner:\n  inventory:\n    group_vars:\n      all:\n        vault_db_password: {SECRET}\n"
    )
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    monkeypatch.setattr(runner, "LOGS", tmp_path / ".cache" / "molecule-logs")
    monkeypatch.setattr(runner, "DURATIONS", tmp_path / ".cache" / "scenario-durations.json")
    monkeypatch.delenv("MOLECULE_VERBOSE_CONVERGE", raising=False)
    monkeypatch.delenv("MOLECULE_KEEP", raising=False)
    molecule = FakeMolecule()
    monkeypatch.setattr(runner, "call_molecule", molecule)
    return molecule


def recap_writer(recap, code=0, text=""):
    def behave(args, env, output):
        output.write(text or PLAY_RECAP.format(changed=1))
        Path(env[runner.RECAP_FILE_VARIABLE]).write_text(json.dumps(recap))
        return code

    return behave


def changed_recap(*tasks):
    recap = json.loads(json.dumps(CLEAN_RECAP))
    recap["hosts"]["demo-host"]["changed"] = len(tasks)
    recap["changed_tasks"] = list(tasks)
    return recap


# --- discovery and order ---------------------------------------------------------


def test_every_scenario_runs_and_balancer_on_trixie_too(monkeypatch):
    monkeypatch.delenv("DJANGO_STACK_PLATFORM", raising=False)
    monkeypatch.delenv("DJANGO_STACK_IMAGE", raising=False)
    specs = platforms.runs()
    on_disk = {p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")}
    assert {s.scenario for s in specs if s.platform == "bookworm"} == on_disk
    assert [s.name for s in specs if s.platform == "trixie"] == ["balancer@trixie"]
    # The whole balancer suite runs on trixie; on bookworm its state tests.
    assert {s.name: s.state_only for s in specs if s.scenario == "balancer"} == {"balancer": True, "balancer@trixie": False}
    assert next(s for s in specs if s.name == "balancer").env()["DJANGO_STACK_VERIFY"] == "state"


def test_a_scenario_named_alone_runs_its_whole_suite(monkeypatch):
    monkeypatch.delenv("DJANGO_STACK_PLATFORM", raising=False)
    assert platforms.runs(["balancer"], known=["balancer"]) == [Run("balancer", "bookworm")]
    assert platforms.runs(["balancer@trixie"], known=["balancer"]) == [Run("balancer", "trixie")]
    assert "DJANGO_STACK_VERIFY" not in Run("balancer", "bookworm").env()


def test_the_default_platform_comes_from_platform(monkeypatch):
    monkeypatch.setenv("DJANGO_STACK_PLATFORM", "trixie")
    monkeypatch.delenv("DJANGO_STACK_IMAGE", raising=False)
    specs = platforms.runs(known=["balancer", "app"])
    assert [(s.name, s.platform, s.state_only) for s in specs] == [("balancer", "trixie", False), ("app", "trixie", False)]
    assert specs[0].env()["DJANGO_STACK_IMAGE"] == "django-stack/debian13-systemd:3"


def test_unknown_platforms_and_scenarios_are_refused(monkeypatch):
    monkeypatch.delenv("DJANGO_STACK_PLATFORM", raising=False)
    with pytest.raises(ValueError, match="unknown platform 'sid'"):
        platforms.runs(["app@sid"], known=["app"])
    with pytest.raises(ValueError, match="no such scenario: nope"):
        platforms.runs(["nope"], known=["app"])


def test_an_image_of_ones_own_per_platform(monkeypatch):
    monkeypatch.delenv("DJANGO_STACK_PLATFORM", raising=False)
    monkeypatch.setenv("DJANGO_STACK_IMAGE", "mine/bookworm:1")
    monkeypatch.setenv("DJANGO_STACK_IMAGE_TRIXIE", "mine/trixie:1")
    assert platforms.image("bookworm") == "mine/bookworm:1"
    assert platforms.image("trixie") == "mine/trixie:1"
    monkeypatch.delenv("DJANGO_STACK_IMAGE_TRIXIE")
    # DJANGO_STACK_IMAGE is the default platform's only.
    assert platforms.image("trixie") == "django-stack/debian13-systemd:3"


def test_the_makefile_learns_the_images_it_needs():
    assert platforms.main(["needed", "app"]) == 0
    assert platforms.main(["image", "sid"]) == 2


def test_two_runs_of_one_scenario_never_overlap_and_the_free_lane_takes_another():
    events = []
    lock = threading.Lock()
    cleanup = ThreadPoolExecutor(max_workers=4)

    def start(spec):
        with lock:
            events.append(("start", spec.name, time.monotonic()))
        time.sleep({"balancer@trixie": 0.3, "balancer": 0.1}.get(spec.name, 0.05))

        def destroy():
            time.sleep(0.05)  # the containers go after the run returned
            with lock:
                events.append(("end", spec.name, time.monotonic()))
            return spec.name

        return cleanup.submit(destroy)

    specs = [Run("balancer", "trixie"), Run("balancer", "bookworm", True), Run("app", "bookworm"), Run("foundation", "bookworm")]
    futures = runner.dispatch(specs, 2, start=start)
    assert [f.result() for f in futures] == ["balancer@trixie", "balancer", "app", "foundation"]
    at = {(kind, name): when for kind, name, when in events}
    # bookworm's balancer starts only once trixie's is destroyed; app and
    # foundation ran in the other lane meanwhile.
    assert at[("start", "balancer")] >= at[("end", "balancer@trixie")]
    assert at[("start", "app")] < at[("end", "balancer@trixie")]
    assert at[("start", "foundation")] < at[("end", "balancer@trixie")]


def test_scenarios_without_a_record_follow_the_preferred_order():
    assert runner.schedule(["zeta", "base", "single", "balancer"], {}) == ["balancer", "single", "base", "zeta"]


def test_recorded_durations_put_the_longest_first_and_unknown_ones_before_them(tmp_path):
    path = tmp_path / "durations.json"
    path.write_text(json.dumps({"base": 30, "stack": 300, "edge": 100, "gone": 999}))
    durations = runner.load_durations(path)
    order = runner.schedule(["base", "edge", "stack", "zeta", "balancer"], durations)
    assert order == ["balancer", "zeta", "stack", "edge", "base"]


def test_a_missing_or_broken_durations_file_means_no_record(tmp_path):
    assert runner.load_durations(tmp_path / "none.json") == {}
    (tmp_path / "bad.json").write_text("{not json")
    assert runner.load_durations(tmp_path / "bad.json") == {}


def test_durations_of_passed_scenarios_are_recorded_and_older_ones_kept(tmp_path):
    path = tmp_path / ".cache" / "durations.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"stack": 300, "edge": 100}))
    results = [
        runner.ScenarioResult(name="edge", ok=True, seconds=120.04),
        runner.ScenarioResult(name="base", ok=True, seconds=40),
        runner.ScenarioResult(name="stack", ok=False, seconds=12),
    ]
    runner.save_durations(results, path)
    assert json.loads(path.read_text()) == {"base": 40, "edge": 120.0, "stack": 300}
    assert sorted(p.name for p in path.parent.iterdir()) == ["durations.json"]


def test_verbose_converge_scenarios_can_be_set_from_the_environment(monkeypatch):
    monkeypatch.delenv("MOLECULE_VERBOSE_CONVERGE", raising=False)
    assert runner.verbose_scenarios() == {"balancer"}
    monkeypatch.setenv("MOLECULE_VERBOSE_CONVERGE", "stack, edge,")
    assert runner.verbose_scenarios() == {"stack", "edge"}
    monkeypatch.setenv("MOLECULE_VERBOSE_CONVERGE", "")
    assert runner.verbose_scenarios() == set()


# --- secrets -----------------------------------------------------------------------


def test_vault_values_of_a_scenario_are_watched(tmp_path, monkeypatch):
    scenario = tmp_path / "molecule" / "demo"
    scenario.mkdir(parents=True)
    (scenario / "molecule.yml").write_text(
        "provisioner:\n  inventory:\n    group_vars:\n      all:\n"
        "        vault_db_password: s3cret-value-1\n        vault_short: abc\n        plain: not-a-secret-x\n"
    )
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    assert runner.scenario_secrets("demo") == ["s3cret-value-1"]
    assert runner.leaked("demo", "ok: password=s3cret-value-1") == ["s3cr..."]
    assert runner.leaked("demo", "nothing to see") == []


def test_a_secret_across_a_chunk_boundary_of_a_large_output_is_found(fake, tmp_path):
    big = tmp_path / "big.log"
    half = len(SECRET) // 2
    big.write_text("x" * ((1 << 20) - half) + SECRET + "\n" + "y\n" * 10)
    shown, size, lines = runner.leaked_in_file("demo", big)
    assert shown == ["s3cr..."]
    assert size == big.stat().st_size and lines == 11
    big.write_text("clean\n" * 3)
    assert runner.leaked_in_file("demo", big) == ([], 18, 3)


def test_a_secret_in_any_action_output_fails_the_scenario(fake):
    def leaky(args, env, output):
        output.write(f"password={SECRET}\n")
        return 0

    fake.behaviour["create"] = leaky
    run = runner.ScenarioResult(name="demo")
    assert runner.run_scenario(run) == (False, "secrets shown in the create output: ['s3cr...']")


# --- idempotence and check mode, from the structured recap -------------------------


def test_a_clean_scenario_passes_with_the_expected_molecule_calls(fake, monkeypatch):
    # A recap file set in the caller's environment must not reach the other actions.
    monkeypatch.setenv(runner.RECAP_FILE_VARIABLE, "/nonexistent/outer.json")
    run = runner.ScenarioResult(name="demo")
    assert runner.run_scenario(run) == (True, "")
    steps = [(step, args, bool(recap)) for step, args, recap in fake.calls]
    assert steps == [
        ("destroy", ["destroy", "-s", "demo"], False),
        ("create", ["create", "-s", "demo"], False),
        ("converge", ["converge", "-s", "demo"], False),
        ("idempotence", ["converge", "-s", "demo"], True),
        ("check", ["converge", "-s", "demo", "--", "--check", "--diff"], True),
        ("verify", ["verify", "-s", "demo"], False),
    ]
    idempotence_file, check_file = fake.calls[3][2], fake.calls[4][2]
    assert idempotence_file != check_file
    assert [s.label for s in run.steps] == ["destroy", "create", "converge", "idempotence", "check", "verify"]
    assert all(s.ok for s in run.steps)


def test_idempotence_fails_naming_the_changed_tasks(fake):
    fake.behaviour["idempotence"] = recap_writer(changed_recap("demo-host => demo : Write config", "demo-host => demo : Restart"))
    run = runner.ScenarioResult(name="demo")
    ok, why = runner.run_scenario(run)
    assert not ok
    assert why.startswith("idempotence: the second converge reports changes or failures on demo-host:")
    assert "demo-host => demo : Write config" in why and "demo-host => demo : Restart" in why
    assert [c[0] for c in fake.calls][-1] == "idempotence", "nothing runs after a failed idempotence"
    assert run.steps[-1].label == "idempotence" and not run.steps[-1].ok


def test_a_change_only_the_text_would_hide_still_fails(fake):
    # The human output says changed=0, the structured recap says otherwise: the recap wins.
    fake.behaviour["idempotence"] = recap_writer(changed_recap("demo-host => demo : Sneaky"), text=PLAY_RECAP.format(changed=0))
    ok, why = runner.run_scenario(runner.ScenarioResult(name="demo"))
    assert not ok and "demo : Sneaky" in why


def test_unreachable_or_failed_hosts_fail_idempotence(fake):
    recap = json.loads(json.dumps(CLEAN_RECAP))
    recap["hosts"]["demo-host"]["unreachable"] = 1
    recap["failed_tasks"] = ["demo-host => Gathering Facts (unreachable)"]
    fake.behaviour["idempotence"] = recap_writer(recap, code=4)
    ok, why = runner.run_scenario(runner.ScenarioResult(name="demo"))
    assert not ok and "FAILED demo-host => Gathering Facts (unreachable)" in why


def test_no_recap_fails_idempotence(fake):
    def silent(args, env, output):
        output.write("ERROR! the playbook could not be parsed\n")
        return 1

    fake.behaviour["idempotence"] = silent
    ok, why = runner.run_scenario(runner.ScenarioResult(name="demo"))
    assert not ok
    assert why.startswith("idempotence: the second converge (exit 1): no recap was written: did the run start?")


def test_a_stale_recap_of_an_earlier_run_is_not_read(fake):
    runner.LOGS.mkdir(parents=True)
    (runner.LOGS / "demo.idempotence.recap.json").write_text(json.dumps(CLEAN_RECAP))
    fake.behaviour["idempotence"] = lambda args, env, output: 0
    ok, why = runner.run_scenario(runner.ScenarioResult(name="demo"))
    assert not ok and "no recap was written" in why


def test_check_mode_changes_fail_the_scenario(fake):
    fake.behaviour["check"] = recap_writer(changed_recap("demo-host => demo : Template"))
    ok, why = runner.run_scenario(runner.ScenarioResult(name="demo"))
    assert not ok
    assert why.startswith("check: the --check --diff converge reports changes or failures on demo-host:")
    assert "demo-host => demo : Template" in why


def test_a_failed_run_with_a_clean_recap_still_fails(fake):
    fake.behaviour["check"] = recap_writer(CLEAN_RECAP, code=2)
    ok, why = runner.run_scenario(runner.ScenarioResult(name="demo"))
    assert not ok and "failed (exit 2)" in why


# --- -vvv converge and what is printed ---------------------------------------------


def vvv_output(lines, secret_at=None):
    def behave(args, env, output):
        for i in range(lines):
            output.write(f"vvv line {i}{' ' + SECRET if i == secret_at else ''}\n")
        output.write(PLAY_RECAP.format(changed=3))
        return 0

    return behave


def test_verbose_converge_keeps_its_output_apart_and_checks_it(fake, monkeypatch):
    monkeypatch.setenv("MOLECULE_VERBOSE_CONVERGE", "demo")
    fake.behaviour["converge-vvv"] = vvv_output(1000)
    run = runner.ScenarioResult(name="demo")
    assert runner.run_scenario(run) == (True, "")
    assert fake.calls[2][1] == ["converge", "-s", "demo", "--", "-vvv"]
    full = runner.LOGS / "demo.converge-vvv.log"
    assert "vvv line 0\n" in full.read_text() and "vvv line 999\n" in full.read_text()
    log = runner.log_path("demo").read_text()
    assert "vvv line 799\n" not in log and "vvv line 999\n" in log
    assert "lines omitted" in log
    size = full.stat().st_size
    assert f"the full -vvv output is in .cache/molecule-logs/demo.converge-vvv.log; {size} bytes in 1004 lines checked" in log
    assert "none shown" in log


def test_a_secret_in_the_verbose_converge_fails_even_outside_the_tail(fake, monkeypatch):
    monkeypatch.setenv("MOLECULE_VERBOSE_CONVERGE", "demo")
    fake.behaviour["converge-vvv"] = vvv_output(1000, secret_at=3)
    run = runner.ScenarioResult(name="demo")
    assert runner.run_scenario(run) == (False, "secrets shown in the converge -vvv output: ['s3cr...']")
    assert SECRET not in runner.log_path("demo").read_text()


def test_a_passed_scenario_prints_action_times_recaps_and_the_test_summary(fake, capsys):
    run = runner.one(Run("demo", "bookworm")).result()
    assert run.ok
    printed = capsys.readouterr().out
    for label in ("destroy", "create", "converge", "idempotence", "check", "verify"):
        assert f"--- demo: {label} ok in 0 s" in printed
    assert printed.count("PLAY RECAP") == 3, "the recap of each of the three converges"
    assert "=== 7 passed in 3.00s ===" in printed
    assert "verify line 60\n" not in printed and "verify line 61\n" in printed
    assert "TASK [demo : Do it]" not in printed, "the whole log is not printed for a passed scenario"
    assert "=== demo: PASSED in 0 s (full log: .cache/molecule-logs/demo.log)" in printed
    assert "TASK [demo : Do it]" in runner.log_path("demo").read_text()


def test_a_failed_scenario_prints_its_whole_log(fake, capsys):
    fake.behaviour["check"] = recap_writer(changed_recap("demo-host => demo : Template"))
    run = runner.one(Run("demo", "bookworm")).result()
    assert not run.ok
    printed = capsys.readouterr().out
    assert "TASK [demo : Do it]" in printed
    assert "=== demo: FAILED: check: the --check --diff converge reports changes" in printed
    assert [c[0] for c in fake.calls][-1] == "destroy"


def test_recap_blocks_are_found_in_an_output():
    text = "x\n" + PLAY_RECAP.format(changed=0) + "more\n" + PLAY_RECAP.format(changed=2) + "\x1b[0;33m\x1b[0m"
    blocks = runner.recap_blocks(text)
    assert len(blocks) == 2
    assert blocks[1].splitlines()[1].startswith("demo-host : ok=5 changed=2")
    assert "TASKS RECAP" not in "".join(blocks)


# --- the final table ---------------------------------------------------------------


def test_the_table_has_a_column_per_action_and_the_closing_line():
    steps = [
        runner.Step(label, True, seconds)
        for label, seconds in [
            ("destroy", 2),
            ("create", 10),
            ("prepare", 5),
            ("converge", 100),
            ("idempotence", 40),
            ("check", 30),
            ("verify", 20),
            ("destroy", 3),
        ]
    ]
    passed = runner.ScenarioResult(name="stack", ok=True, seconds=210, steps=steps)
    failed = runner.ScenarioResult(
        name="base",
        ok=False,
        why="idempotence: changes on h\n  h => t",
        seconds=50,
        steps=[
            runner.Step("destroy", True, 1),
            runner.Step("create", True, 9),
            runner.Step("prepare", True, 4),
            runner.Step("converge", True, 20),
            runner.Step("idempotence", False, 12),
            runner.Step("destroy", True, 2),
        ],
    )
    text = runner.table([passed, failed], wall=230.4, jobs=2)
    lines = text.splitlines()
    assert lines[1].split() == ["scenario", "result", "create+prep", "converge", "idempot.", "check", "verify", "destroy", "total"]
    assert lines[2].split() == ["stack", "passed", "15", "100", "40", "30", "20", "5", "210"]
    assert lines[3].split()[:9] == ["base", "FAILED", "13", "20", "12", "-", "-", "3", "50"]
    assert lines[3].endswith("idempotence: changes on h")
    assert lines[4].split() == ["wall", "clock", "230", "(2", "at", "a", "time)"]
    # The totals line up under the heading.
    assert lines[2].index("210") + 3 == lines[1].index("total") + 5 == lines[4].index("230") + 3
    assert lines[-1] == "scenarios: 1 passed, 1 failed"


def test_main_orders_by_durations_records_them_and_closes_with_the_count(fake, monkeypatch, capsys):
    runner.DURATIONS.parent.mkdir(parents=True, exist_ok=True)
    runner.DURATIONS.write_text(json.dumps({"other": 5}))
    monkeypatch.setenv("MOLECULE_JOBS", "1")
    assert runner.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == "scenarios: 1 passed, 0 failed"
    recorded = json.loads(runner.DURATIONS.read_text())
    assert set(recorded) == {"demo", "other"}
