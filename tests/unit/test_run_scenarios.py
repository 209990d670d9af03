import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("run_scenarios", ROOT / "tests" / "run_scenarios.py")
runner = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(runner)


def test_every_scenario_is_discovered_in_order():
    names = runner.discover()
    on_disk = {p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")}
    assert set(names) == on_disk
    known = [n for n in runner.PREFERRED_ORDER if n in names]
    assert names[: len(known)] == known


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
