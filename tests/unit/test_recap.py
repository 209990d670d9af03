"""The recap_json callback and its reader, on real (tiny) ansible-playbook runs against localhost."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from types import SimpleNamespace

import pytest
import yaml

from tests.lib.loader import load_file
from tests.lib.recap import HostRecap, Recap, RecapMissing, read_recap, recap_env

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "tests" / "callback_plugins"
BIN = Path(sys.executable).parent

INVENTORY = """\
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
    # Nothing listens on port 1 of the loopback: the host is unreachable at once.
    gone:
      ansible_connection: ssh
      ansible_host: 127.0.0.1
      ansible_port: 1
      ansible_ssh_common_args: -o ConnectTimeout=3 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
"""

ROLE_TASKS = """\
- name: Change from a role
  ansible.builtin.command: "true"
  changed_when: true
"""

PLAYBOOK = """\
- name: Demo
  hosts: all
  gather_facts: false
  roles:
    - demo
  tasks:
    - name: Change nothing
      ansible.builtin.debug:
        msg: hello
    - name: Fail but ignored
      ansible.builtin.command: "false"
      changed_when: false
      ignore_errors: true
    - name: Sleep a second
      ansible.builtin.command: sleep 1
      changed_when: false
    - name: Loop over three
      ansible.builtin.command: "echo {{ item }}"
      changed_when: item == 2
      loop: [1, 2, 3]
    - name: Never run
      ansible.builtin.debug:
        msg: skipped
      when: false
    - name: Fail for real
      ansible.builtin.fail:
        msg: the end
"""

LOCAL_ONLY = """\
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""

TINY = """\
- name: Tiny
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Change once
      ansible.builtin.command: "true"
      changed_when: true
"""


def ansible_env(workdir: Path, config: Path | None = None, **extra: str) -> dict:
    """A clean environment: no inherited ANSIBLE_*/recap settings, only the callback enabled through env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "DJANGO_STACK_", "MOLECULE_"))}
    if config is None:
        config = workdir / "empty.cfg"
        config.touch()
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
        ANSIBLE_ROLES_PATH=str(workdir / "roles"),
        **extra,
    )
    return env


def playbook_cmd(*args: str) -> list[str]:
    return [str(BIN / "ansible-playbook") if (BIN / "ansible-playbook").exists() else shutil.which("ansible-playbook"), *args]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One run of the demo playbook with the callback enabled; yields (process, recap file)."""
    workdir = tmp_path_factory.mktemp("recap")
    (workdir / "inventory.yml").write_text(INVENTORY)
    (workdir / "site.yml").write_text(PLAYBOOK)
    (workdir / "roles" / "demo" / "tasks").mkdir(parents=True)
    (workdir / "roles" / "demo" / "tasks" / "main.yml").write_text(ROLE_TASKS)
    out = workdir / "out" / "recap.json"
    out.parent.mkdir()
    # A stale recap of an earlier run: it must be replaced.
    out.write_text('{"stale": true}')
    env = ansible_env(
        workdir, ANSIBLE_CALLBACK_PLUGINS=str(PLUGINS), ANSIBLE_CALLBACKS_ENABLED="recap_json", **recap_env(out)
    )
    proc = subprocess.run(
        playbook_cmd("-i", "inventory.yml", "site.yml"),
        cwd=workdir, env=env, text=True, capture_output=True, timeout=300, check=False,
    )
    return proc, out


def test_counters_per_host(demo):
    proc, out = demo
    assert proc.returncode != 0, "a task failed and a host was unreachable"
    recap = read_recap(out)
    assert recap.hosts["localhost"] == HostRecap(
        host="localhost", ok=5, changed=2, unreachable=0, failed=1, skipped=1, rescued=0, ignored=1
    ), proc.stdout
    assert recap.hosts["gone"] == HostRecap(host="gone", unreachable=1)


def test_raw_file_keeps_ansible_counter_names(demo):
    _, out = demo
    data = json.loads(out.read_text())
    assert set(data) == {"hosts", "changed_tasks", "failed_tasks", "tasks", "plays"}
    assert set(data["hosts"]["localhost"]) == {"ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored"}


def test_changed_tasks_are_named_with_their_role(demo):
    proc, out = demo
    # The loop is one task: named once, whichever items changed.
    assert read_recap(out).changed_tasks == ["localhost => demo : Change from a role", "localhost => Loop over three"], proc.stdout


def test_every_task_header_is_timed_in_run_order(demo):
    _, out = demo
    tasks = json.loads(out.read_text())["tasks"]
    assert [task["task"] for task in tasks] == [
        "demo : Change from a role", "Change nothing", "Fail but ignored", "Sleep a second", "Loop over three",
        "Never run", "Fail for real",
    ]
    seconds = {task["task"]: task["seconds"] for task in tasks}
    assert 1.0 <= seconds["Sleep a second"] < 30, tasks
    assert all(value >= 0 for value in seconds.values()), tasks


SERIAL_INVENTORY = """\
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  hosts:
    one:
    two:
    three:
"""

SERIAL_PLAYBOOK = """\
- name: One host at a time
  hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello
    - name: Sleep a second on two
      ansible.builtin.command: sleep 1
      changed_when: false
      when: inventory_hostname == 'two'

- name: All at once
  hosts: one,three
  gather_facts: false
  tasks:
    - name: Say hello again
      ansible.builtin.debug:
        msg: hello
"""


def test_demo_play_is_recorded_with_its_hosts(demo):
    _, out = demo
    plays = json.loads(out.read_text())["plays"]
    assert [(play["play"], play["hosts"]) for play in plays] == [("Demo", ["localhost", "gone"])], plays


def test_a_serial_play_has_one_entry_per_batch_with_its_hosts(tmp_path):
    """A real run: three local hosts, serial 1, then a play on two of them."""
    (tmp_path / "inventory.yml").write_text(SERIAL_INVENTORY)
    (tmp_path / "serial.yml").write_text(SERIAL_PLAYBOOK)
    out = tmp_path / "recap.json"
    env = ansible_env(
        tmp_path, ANSIBLE_CALLBACK_PLUGINS=str(PLUGINS), ANSIBLE_CALLBACKS_ENABLED="recap_json", **recap_env(out)
    )
    proc = subprocess.run(
        playbook_cmd("-i", "inventory.yml", "serial.yml"),
        cwd=tmp_path, env=env, text=True, capture_output=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plays = json.loads(out.read_text())["plays"]
    assert [(play["play"], play["hosts"]) for play in plays] == [
        ("One host at a time", ["one"]),
        ("One host at a time", ["two"]),
        ("One host at a time", ["three"]),
        ("All at once", ["one", "three"]),
    ], plays
    # The sleep falls in two's batch, and only there.
    seconds = [play["seconds"] for play in plays]
    assert seconds[1] >= 1.0 and seconds[1] < 60, plays
    assert 0 < seconds[2] < seconds[1], plays
    assert read_recap(out).hosts["two"].ok == 2


def stepped_callback(tmp_path, monkeypatch, name: str, start: float):
    """A recap_json callback writing to tmp_path/recap.json, on a clock the test steps by hand (now[0])."""
    callback_module = load_file("tests/callback_plugins/recap_json.py", name)
    now = [start]
    monkeypatch.setattr(callback_module.time, "monotonic", lambda: now[0])
    callback = callback_module.CallbackModule()
    callback.get_option = lambda option: str(tmp_path / "recap.json")
    return callback, now


def test_a_task_is_timed_from_its_start_to_the_next_start(tmp_path, monkeypatch):
    """The callback's clock, stepped by hand: each header gets its own span, handlers too, the last one up to the recap."""
    callback, now = stepped_callback(tmp_path, monkeypatch, "recap_json_timing", 100.0)
    task = lambda name: SimpleNamespace(get_name=lambda: f" {name} ")  # noqa: E731
    callback.v2_playbook_on_task_start(task("first"), False)
    now[0] += 2.5
    callback.v2_playbook_on_task_start(task("second"), False)
    now[0] += 0.25
    callback.v2_playbook_on_handler_task_start(task("handler"))
    now[0] += 4.0
    stats = SimpleNamespace(processed={}, summarize=lambda host: {})
    callback.v2_playbook_on_stats(stats)
    assert json.loads((tmp_path / "recap.json").read_text())["tasks"] == [
        {"task": "first", "seconds": 2.5}, {"task": "second", "seconds": 0.25}, {"task": "handler", "seconds": 4.0},
    ]


def test_a_play_is_timed_from_its_start_to_the_next_play_start(tmp_path, monkeypatch):
    """The callback's clock, stepped by hand: each play start (each batch) gets its own span, the last one up to the recap."""
    callback, now = stepped_callback(tmp_path, monkeypatch, "recap_json_play_timing", 50.0)
    # Without a variable manager (no inventory to ask) a play lists no hosts.
    play = SimpleNamespace(get_name=lambda: " Roll ", get_variable_manager=lambda: None, hosts=["all"], order=None)
    task = SimpleNamespace(get_name=lambda: "t")
    callback.v2_playbook_on_play_start(play)
    callback.v2_playbook_on_task_start(task, False)
    now[0] += 3.0
    callback.v2_playbook_on_play_start(play)
    now[0] += 1.5
    callback.v2_playbook_on_stats(SimpleNamespace(processed={}, summarize=lambda host: {}))
    data = json.loads((tmp_path / "recap.json").read_text())
    assert data["plays"] == [{"play": "Roll", "hosts": [], "seconds": 3.0}, {"play": "Roll", "hosts": [], "seconds": 1.5}]
    # A task still runs on to the next task or the recap, as profile_tasks counts it.
    assert data["tasks"] == [{"task": "t", "seconds": 4.5}]


def test_failed_and_unreachable_tasks_are_listed_but_not_ignored_ones(demo):
    _, out = demo
    assert read_recap(out).failed_tasks == ["gone => demo : Change from a role (unreachable)", "localhost => Fail for real"]


def test_unclean_hosts(demo):
    _, out = demo
    assert read_recap(out).unclean_hosts() == ["gone", "localhost"]
    clean = Recap(hosts={"a": HostRecap(host="a", ok=3, skipped=2, ignored=1), "b": HostRecap(host="b", changed=1)})
    assert clean.unclean_hosts() == ["b"]
    assert Recap(hosts={"c": HostRecap(host="c", failed=1)}).unclean_hosts() == ["c"]


def test_file_is_replaced_without_leftovers(demo):
    _, out = demo
    assert "stale" not in json.loads(out.read_text())
    assert sorted(p.name for p in out.parent.iterdir()) == ["recap.json"]


def test_human_output_is_still_the_default_callbacks(demo):
    proc, _ = demo
    assert "PLAY RECAP" in proc.stdout
    assert "TASK [demo : Change from a role]" in proc.stdout
    assert "changed: [localhost]" in proc.stdout
    assert "recap_json" not in proc.stdout + proc.stderr, "the callback must not print or fail"


def test_nothing_is_written_when_the_variable_is_unset(tmp_path):
    (tmp_path / "tiny.yml").write_text(TINY)
    (tmp_path / "inventory.yml").write_text(LOCAL_ONLY)
    env = ansible_env(tmp_path, ANSIBLE_CALLBACK_PLUGINS=str(PLUGINS), ANSIBLE_CALLBACKS_ENABLED="recap_json")
    proc = subprocess.run(
        playbook_cmd("-i", "inventory.yml", "tiny.yml"),
        cwd=tmp_path, env=env, text=True, capture_output=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PLAY RECAP" in proc.stdout
    assert "callback" not in proc.stderr.lower(), proc.stderr
    assert not list(tmp_path.rglob("*.json"))


def test_missing_or_empty_recap_raises(tmp_path):
    with pytest.raises(RecapMissing, match="no recap was written: did the run start?"):
        read_recap(tmp_path / "never-written.json")
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(RecapMissing, match="no recap was written"):
        read_recap(tmp_path / "empty.json")


def test_recap_env_names_the_file(tmp_path):
    assert recap_env(tmp_path / "r.json") == {"DJANGO_STACK_RECAP_FILE": str(tmp_path / "r.json")}


def test_run_playbook_attaches_the_recap_with_the_project_config(tmp_path, monkeypatch):
    """The project's ansible.cfg enables the callback; run_playbook reads a fresh recap per run."""
    from tests.lib import molecule_helpers

    (tmp_path / "tiny.yml").write_text(TINY)
    (tmp_path / "inventory.yml").write_text(LOCAL_ONLY)
    for name in [k for k in os.environ if k.startswith(("ANSIBLE_", "DJANGO_STACK_", "MOLECULE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    monkeypatch.setenv("ANSIBLE_LOCAL_TEMP", str(tmp_path / "tmp"))
    monkeypatch.setenv("MOLECULE_INVENTORY_FILE", str(tmp_path / "inventory.yml"))
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    result = molecule_helpers.run_playbook(playbook=str(tmp_path / "tiny.yml"), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.recap is not None, "the project's ansible.cfg does not enable recap_json"
    assert result.recap.hosts["localhost"].changed == 1
    assert result.recap.changed_tasks == ["localhost => Change once"]

    (tmp_path / "broken.yml").write_text("- hosts: localhost\n  tasks: [\n")
    broken = molecule_helpers.run_playbook(playbook=str(tmp_path / "broken.yml"), timeout=300)
    assert broken.returncode != 0
    assert broken.recap is None, "a run that never started has no recap (and no stale one)"


def test_molecule_base_config_enables_the_callback():
    config = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())
    defaults = config["ansible"]["cfg"]["defaults"]
    enabled = [name.strip() for name in defaults["callbacks_enabled"].split(",")]
    assert "recap_json" in enabled and "ansible.posix.profile_tasks" in enabled
    assert defaults["callback_plugins"] == "${MOLECULE_PROJECT_DIRECTORY}/tests/callback_plugins"


def test_reader_ignores_unknown_counters(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"hosts": {"h": {"ok": 2, "failures": 1, "future_counter": 9}}, "changed_tasks": []}))
    recap = read_recap(path)
    assert recap.hosts == {"h": HostRecap(host="h", ok=2, failed=1)}
    assert recap.failed_tasks == []
