"""site.yml refuses bad input before changing anything, and never prints the secrets."""

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import run_playbook  # noqa: E402
from tests.lib.recap import changed_tasks, parse_recap  # noqa: E402

SCENARIO = yaml.safe_load((Path(__file__).resolve().parents[1] / "molecule.yml").read_text())


def ansible_playbook(*extra):
    """Run site.yml against the scenario's hosts with the provisioner's options, as molecule's converge does."""
    options = [f"--{name}={value}" for name, value in SCENARIO["provisioner"].get("options", {}).items()]
    return run_playbook(*options, *extra)


def secrets():
    """The test secrets, as molecule.yml gives them to the inventory."""
    group_vars = SCENARIO["provisioner"]["inventory"]["group_vars"]["all"]
    return [group_vars["vault_stack_db_password"], group_vars["vault_stack_db_admin_password"]]


@pytest.mark.parametrize(
    ("extra_vars", "names"),
    [
        ({"stack_db_password": ""}, ["app_database_password"]),
        ({"stack_db_port": 70000}, ["app_database_port", "postgresql_server_port"]),
        ({"stack_db_sslmode": "sometimes"}, ["app_database_sslmode"]),
    ],
    ids=["empty-password", "port-out-of-range", "unknown-sslmode"],
)
def test_bad_input_fails_before_any_change(extra_vars, names):
    proc = ansible_playbook("-e", json.dumps(extra_vars))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert any(name in output for name in names), output
    recap = parse_recap(proc.stdout)
    assert set(recap) == {"db1", "app1", "outsider"}
    assert {host: r.changed for host, r in recap.items()} == {"db1": 0, "app1": 0, "outsider": 0}


def test_a_normal_run_changes_nothing_and_prints_no_secret():
    proc = ansible_playbook()
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    for secret in secrets():
        assert secret not in output
    recap = parse_recap(proc.stdout)
    assert all(r.changed == 0 and r.failed == 0 for r in recap.values()), changed_tasks(proc.stdout) or proc.stdout
