"""One apt run per host: stack_role_packages (group_vars/all/main.yml) against the roles' own apt tasks.

base installs the packages of the host's other roles in its one apt run, and
each role skips its apt task for the packages base_packages_present names. If
a role installed a package the list lacks, its task would run as before (no
harm, but the round trip is back); if the skip condition named other packages
than the task installs, a package could be skipped and never installed. Both
are checked here, the list as Ansible renders it for each layout.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# The apt tasks that base's run may stand in for, by the group whose hosts run them.
ROLE_TASKS = {
    "appservers": ["roles/virtualenv/tasks/create.yml", "roles/app_database/tasks/packages.yml", "roles/nginx/tasks/install.yml"],
    "pgbouncer_hosts": ["roles/pgbouncer/tasks/packages.yml"],
    "loadbalancers": ["roles/nginx/tasks/install.yml", "roles/certbot/tasks/acme.yml"],
    "objectstores": ["roles/s3_endpoint/tasks/install.yml", "roles/s3_endpoint/tasks/proxy.yml"],
    "acme": ["roles/acme_server/tasks/main.yml"],
}
SKIP = re.compile(r"^not \((\w+) is subset\(base_packages_present \| default\(\[\]\)\)\)$")
NAME = re.compile(r"^\{\{ (\w+) \}\}$")


def apt_tasks(path: str) -> list[dict]:
    tasks = yaml.safe_load((ROOT / path).read_text())
    return [task for task in tasks if "ansible.builtin.apt" in task]


def role_vars(path: str) -> dict:
    role = Path(path).parts[1]
    return yaml.safe_load((ROOT / "roles" / role / "vars" / "main.yml").read_text()) or {}


def skipped_var(task: dict) -> str | None:
    when = task.get("when")
    match = SKIP.match(when.strip()) if isinstance(when, str) else None
    return match.group(1) if match else None


def installed(path: str, task: dict) -> list[str]:
    """The packages the task installs: the role variable its name: points at, read from the role's vars."""
    match = NAME.match(str(task["ansible.builtin.apt"]["name"]))
    assert match, f"{path}: {task['name']} names its packages outside the role's vars"
    return list(role_vars(path)[match.group(1)])


def every_skippable_task():
    for path in sorted({p for paths in ROLE_TASKS.values() for p in paths} | {"roles/certbot/tasks/selfsigned.yml"}):
        for task in apt_tasks(path):
            yield path, task


def test_each_skip_names_exactly_what_its_task_installs():
    """One list per apt task, in the role's vars: the task installs it and its skip reads the same variable."""
    seen = 0
    for path, task in every_skippable_task():
        var = skipped_var(task)
        assert var is not None, f"{path}: {task['name']} has no base_packages_present skip"
        assert task["ansible.builtin.apt"]["name"] == "{{ " + var + " }}", f"{path}: {task['name']}"
        assert installed(path, task), f"{path}: {var} is empty"
        seen += 1
    assert seen == 9


INVENTORIES = {
    "balancer": """\
all:
  vars: {ansible_connection: local}
  children:
    dbservers: {hosts: {db1: {}}}
    appservers: {hosts: {app1: {}, app2: {}}}
    loadbalancers: {hosts: {lb1: {}}}
    objectstores: {hosts: {s3: {}}}
    acme: {hosts: {acme1: {}}}
""",
    "single": """\
all:
  vars: {ansible_connection: local}
  children:
    dbservers: {hosts: {db1: {}}}
    appservers: {hosts: {app1: {}}}
""",
}


def rendered(tmp_path: Path, layout: str) -> dict:
    (tmp_path / "hosts.yml").write_text(INVENTORIES[layout])
    (tmp_path / "empty.cfg").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(tmp_path / "empty.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
    )
    proc = subprocess.run(
        [str(BIN / "ansible"), "all", "-i", str(tmp_path / "hosts.yml"), "--playbook-dir", str(ROOT / "playbooks"),
         "-m", "ansible.builtin.debug", "-a", "var=stack_role_packages"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    hosts = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]
    return {host: result["stack_role_packages"] for host, result in hosts.items()}


@pytest.mark.skipif(not (BIN / "ansible").exists(), reason="ansible is not installed beside this Python")
def test_base_installs_every_package_of_the_balancer_layouts_roles(tmp_path):
    packages = rendered(tmp_path, "balancer")
    hosts = {"appservers": ["app1", "app2"], "pgbouncer_hosts": ["app1", "app2"], "loadbalancers": ["lb1"],
             "objectstores": ["s3"], "acme": ["acme1"]}
    for group, paths in ROLE_TASKS.items():
        for path in paths:
            for task in apt_tasks(path):
                for host in hosts[group]:
                    assert set(installed(path, task)) <= set(packages[host]), f"{host}: {path} {task['name']}"
    # The server's packages stay with its role (the cluster's creation settings come first).
    assert packages["db1"] == []
    # Behind the balancer the app hosts get no certificate, so no certbot.
    assert "certbot" not in packages["app1"] and "certbot" in packages["lb1"]


@pytest.mark.skipif(not (BIN / "ansible").exists(), reason="ansible is not installed beside this Python")
def test_the_single_app_host_gets_certbot_too(tmp_path):
    packages = rendered(tmp_path, "single")
    for path in ROLE_TASKS["appservers"] + ROLE_TASKS["pgbouncer_hosts"] + ["roles/certbot/tasks/acme.yml"]:
        for task in apt_tasks(path):
            assert set(installed(path, task)) <= set(packages["app1"]), f"{path} {task['name']}"
