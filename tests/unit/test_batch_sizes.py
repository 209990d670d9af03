"""Batch sizes (rolling_serial, app_serial), checked first in preflight (plugins/action/stack_inputs.py).

The rules are called directly; the batches are compared with ansible-core's own
cutting; two runs of ansible-playbook playbooks/rolling_update.yml against hosts
that cannot be reached prove the refusal comes before any host is contacted.
"""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from ansible.executor.playbook_executor import PlaybookExecutor

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
si = load_file("plugins/action/stack_inputs.py")

TWO = ["app1", "app2"]


# --- the values Ansible's serial would misread ------------------------------------


@pytest.mark.parametrize("name", list(si.SERIALS))
@pytest.mark.parametrize(
    ("value", "shown", "why"),
    [
        (0, "0", "0 or a negative number makes Ansible take every host in one batch"),
        ("0", "'0'", "0 or a negative number makes Ansible take every host in one batch"),
        (-1, "-1", "0 or a negative number makes Ansible take every host in one batch"),
        ("-2", "'-2'", "0 or a negative number makes Ansible take every host in one batch"),
        ("0%", "'0%'", "a percentage below 1% is no batch (Ansible makes it 1 host, or every host when negative)"),
        ("-10%", "'-10%'", "a percentage below 1% is no batch (Ansible makes it 1 host, or every host when negative)"),
        ("150%", "'150%'", "is more than every host"),
        ("abc", "'abc'", "is not a number of hosts or a percentage"),
        ("", "''", "is not a number of hosts or a percentage"),
        ("2.5%", "'2.5%'", "is not a number of hosts or a percentage"),
        (2.5, "2.5", "is not a number of hosts or a percentage"),
        (True, "True", "is not a number of hosts or a percentage"),
        (None, "None", "is not a number of hosts or a percentage"),
        ({"size": 1}, "{'size': 1}", "is not a number of hosts or a percentage"),
        ([1, 0], "0 in [1, 0]", "0 or a negative number makes Ansible take every host in one batch"),
        ([1, "abc"], "'abc' in [1, 'abc']", "is not a number of hosts or a percentage"),
    ],
)
def test_a_misread_batch_size_is_refused_naming_the_variable_and_value(name, value, shown, why):
    found = si.check_serial(name, value)
    assert found == [f"{name} must be {si.SERIAL_USAGE}; got {shown}: {why}"], found


def test_an_empty_list_is_refused():
    assert si.check_serial("rolling_serial", []) == [
        f"rolling_serial must be {si.SERIAL_USAGE}; got [] (Ansible takes every host in one batch)"
    ]


@pytest.mark.parametrize("value", [1, 2, "1", " 3 ", "+2", "1%", "25%", "25 %", "100%", [1, "50%"], [1, 2, "100%"], (1, "25%")])
def test_good_batch_sizes_pass(value):
    assert si.check_serial("rolling_serial", value) == si.check_serial("app_serial", value) == []


# --- batches as Ansible cuts them -----------------------------------------------------


def ansible_batches(value, hosts):
    """ansible-core's own cutting, on a stub inventory and play (serial post-validated to a list)."""
    executor = SimpleNamespace(_inventory=SimpleNamespace(get_hosts=lambda pattern, order=None: list(hosts)))
    serial = [] if value is None else (list(value) if isinstance(value, list) else [value])
    return PlaybookExecutor._get_serialized_batches(executor, SimpleNamespace(hosts="appservers", order=None, serial=serial))


@pytest.mark.parametrize(
    "value",
    [1, 2, 3, "2", "1%", "10%", "25%", "33%", "34%", "50%", "99%", "100%", [1, "50%"], [1, 2, "100%"], ["10%", 3], 0, -1, "0%", [], None],
)
def test_batches_are_cut_as_ansible_cuts_them(value):
    for count in range(1, 13):
        hosts = [f"app{i}" for i in range(1, count + 1)]
        assert si.serial_batches(value, hosts) == ansible_batches(value, hosts), (value, count)


def test_percentages_round_down_with_at_least_one_host():
    assert si.serial_batches("25%", TWO) == [["app1"], ["app2"]]
    assert si.serial_batches("50%", ["a", "b", "c"]) == [["a"], ["b"], ["c"]]
    assert si.serial_batches("67%", ["a", "b", "c"]) == [["a", "b"], ["c"]]
    assert si.serial_batches([1, "50%"], ["a", "b", "c", "d", "e"]) == [["a"], ["b", "c"], ["d", "e"]]


# --- at least one app host in rotation behind a balancer -------------------------------


@pytest.mark.parametrize(("value", "batch"), [(2, "app1, app2"), ("100%", "app1, app2"), (3, "app1, app2"), ("5", "app1, app2")])
def test_a_batch_of_every_app_host_is_refused(value, batch):
    found = si.check_rotation("rolling_serial", value, TWO, TWO)
    assert len(found) == 1, found
    assert found[0].startswith(f"rolling_serial {value!r} would take {batch} out of rotation at once (batch 1): every app host")
    assert "every request would fail (502)" in found[0] and "-e rolling_serial=1" in found[0]


def test_a_later_batch_of_a_list_is_refused_too():
    hosts = ["app1", "app2", "app3"]
    # The hosts of the earlier batches are back in rotation.
    assert si.check_rotation("rolling_serial", [1, "50%"], hosts, hosts) == []
    assert si.check_rotation("rolling_serial", [1, 2], hosts, hosts) == []
    # Unless they were drained before (stack_drained): then batch 2 takes the last two.
    found = si.check_rotation("rolling_serial", [1, 2], ["app0", *hosts[:2]], hosts[:2], drained=["app0"])
    assert found and found[0].startswith("rolling_serial [1, 2] would take app1, app2 out of rotation at once (batch 2)")


@pytest.mark.parametrize("value", [1, "25%", "50%", [1, "50%"]])
def test_one_host_of_two_at_a_time_passes(value):
    assert si.check_rotation("rolling_serial", value, TWO, TWO) == []


def test_hosts_already_drained_count_as_out_of_rotation():
    hosts = ["app1", "app2", "app3"]
    found = si.check_rotation("rolling_serial", 2, hosts, ["app1", "app2"], drained=["app3"])
    assert found[0].startswith("rolling_serial 2 would take app1, app2 out of rotation at once (batch 1)")
    assert "(stack_drained: app3)" in found[0]
    # The drained host first: its batch takes only app1 of the two out.
    assert si.check_rotation("rolling_serial", 2, ["app3", "app1", "app2"], ["app1", "app2"], drained=["app3"]) == []
    assert si.check_rotation("rolling_serial", 1, hosts, ["app1", "app2"], drained=["app3"]) == []
    found = si.check_rotation("rolling_serial", 1, TWO, ["app1"], drained=["app2"])
    assert found[0].startswith("rolling_serial 1 would take app1 out of rotation at once (batch 1)")
    assert si.check_rotation("rolling_serial", 1, TWO, [], drained=TWO)[0].startswith(
        "rolling_serial: no app host is in rotation behind the balancer (stack_drained: app1, app2)"
    )


def test_the_default_with_a_single_app_host_behind_a_balancer_is_refused_as_the_default():
    found = si.check_rotation("rolling_serial", 1, ["app1"], ["app1"], given=False)
    assert found[0].startswith("rolling_serial 1 (the default) would take app1 out of rotation at once")


def test_hosts_outside_the_limit_stay_in_rotation():
    # --limit app1,app2 of three: a batch of both still leaves app3 serving.
    assert si.check_rotation("rolling_serial", 2, TWO, ["app1", "app2", "app3"]) == []


def test_check_batches_applies_the_rules_that_fit():
    # No balancer: any well-formed size, also every host at once.
    assert si.check_batches({"rolling_serial": 2}, [], "rolling_serial", TWO, None) == []
    # Not a rollout (site.yml): the syntax only, of both variables.
    assert si.check_batches({"rolling_serial": 2, "app_serial": "100%"}, [], None, TWO, TWO) == []
    assert si.check_batches({"app_serial": 0}, [], None, TWO, TWO)[0].startswith("app_serial must be")
    # app_serial never drains: every host at once is its default.
    assert si.check_batches({"app_serial": "100%"}, [], "rolling_serial", TWO, TWO) == []
    assert si.check_batches({}, [], "rolling_serial", TWO, TWO) == []
    assert si.check_batches({"rolling_serial": "100%"}, [], "rolling_serial", TWO, TWO)[0].startswith("rolling_serial '100%' would take")
    # A bad value is reported once, for its syntax.
    assert len(si.check_batches({"rolling_serial": 0}, [], "rolling_serial", TWO, TWO)) == 1


@pytest.mark.parametrize("name", list(si.SERIALS))
def test_a_batch_size_in_the_inventory_is_refused_as_ignored(name):
    found = si.check_batches({}, [name], "rolling_serial", TWO, TWO)
    assert found[0] == (
        f"{name} is set in the inventory, but a play's serial reads extra vars only: Ansible would ignore it and use "
        f"{si.SERIALS[name]!r}. Pass it with -e {name}=VALUE instead"
    )


# --- the wiring, end to end: refused before any host is contacted ------------------------

# ssh to a closed local port: a host that was contacted would be UNREACHABLE.
INVENTORY = """
all:
  vars:
    ansible_connection: ssh
    ansible_host: 127.0.0.1
    ansible_port: 9
    ansible_ssh_args: -o ConnectTimeout=2
    ansible_python_interpreter: {python}
    stack_domains: [www.example.com]
{extra}
  children:
    dbservers: {{hosts: {{db1: {{private_ip: 10.0.0.1}}}}}}
    appservers: {{hosts: {{app1: {{private_ip: 10.0.0.2}}, app2: {{private_ip: 10.0.0.3}}}}}}
    loadbalancers: {{hosts: {{lb1: {{private_ip: 10.0.0.4}}}}}}
"""


def run(tmp_path, playbook, *args, inventory_vars=""):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY.format(python=sys.executable, extra=inventory_vars))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(ROOT / "playbooks" / playbook), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("playbook", "args", "inventory_vars", "expected"),
    [
        (
            "rolling_update.yml",
            ["-e", "rolling_serial=2"],
            "",
            "rolling_serial '2' would take app1, app2 out of rotation at once (batch 1)",
        ),
        (
            "rolling_update.yml",
            ["-e", '{"stack_drained": ["app2"]}'],
            "",
            "rolling_serial 1 (the default) would take app1 out of rotation at once (batch 1): every app host in rotation "
            "behind the balancer (stack_drained: app2)",
        ),
        (
            "rolling_update.yml",
            [],
            "    rolling_serial: 2",
            "rolling_serial is set in the inventory, but a play's serial reads extra vars only",
        ),
        ("rollback.yml", ["-e", "rolling_serial=0"], "", f"rolling_serial must be {si.SERIAL_USAGE}; got '0': 0 or a negative"),
        ("preflight.yml", ["-e", '{"app_serial": "abc"}'], "", f"app_serial must be {si.SERIAL_USAGE}; got 'abc'"),
    ],
    ids=["rolling-every-host", "rolling-drained", "rolling-in-inventory", "rollback-zero", "preflight-app-serial"],
)
def test_a_bad_batch_size_is_refused_before_any_host_is_contacted(tmp_path, playbook, args, inventory_vars, expected):
    rc, output = run(tmp_path, playbook, *args, inventory_vars=inventory_vars)
    assert rc != 0 and expected in output, output
    # No fact gathering, no drain, no previous release read (rollback.yml), nobody unreachable.
    assert "UNREACHABLE" not in output and "Gather facts" not in output, output
    assert "out of rotation on every balancer" not in output and "previous release" not in output, output


def first_play(playbook: str) -> dict:
    return yaml.safe_load((ROOT / "playbooks" / playbook).read_text())[0]


def test_the_check_is_the_first_play_of_every_playbook_with_batches():
    # site.yml (app_serial) starts with preflight.yml, which starts with inputs.yml (as the runs above show).
    assert first_play("site.yml")["ansible.builtin.import_playbook"] == "preflight.yml"
    assert first_play("preflight.yml")["ansible.builtin.import_playbook"] == "inputs.yml"
    # A rollout's preflight also validates only the tiers it changes (a rollback imports rolling_update.yml).
    rollout = {"stack_inputs_rollout": "rolling_serial", "stack_preflight_hosts": "appservers:loadbalancers"}
    for playbook, imported, variables in [
        ("rolling_update.yml", "preflight.yml", rollout),
        ("rollback.yml", "inputs.yml", {"stack_inputs_rollout": "rolling_serial"}),
    ]:
        play = first_play(playbook)
        assert play["ansible.builtin.import_playbook"] == imported and play["vars"] == variables
    task = yaml.safe_load((ROOT / "playbooks" / "inputs.yml").read_text())[0]["tasks"][0]
    assert task["django_stack.deploy.stack_inputs"] == {"rollout": "{{ stack_inputs_rollout | default(omit) }}"}


@pytest.mark.parametrize(
    ("args", "checked_on"),
    # One host of two at a time; two at a time of the one host in --limit (app2 keeps serving).
    [(["-e", "rolling_serial=50%"], "db1"), (["-e", "rolling_serial=2", "--limit", "app1"], "app1")],
    ids=["half", "limited"],
)
def test_a_batch_that_leaves_a_host_in_rotation_passes_the_check(tmp_path, args, checked_on):
    rc, output = run(tmp_path, "rolling_update.yml", *args)
    # The check passes; the next step (facts) then finds the hosts unreachable.
    assert "refused before any change" not in output, output
    assert f"ok: [{checked_on}]" in output and "UNREACHABLE" in output and rc != 0
