"""The collection as a user installs it: built, installed offline outside the checkout, used by FQCN.

`ansible-galaxy collection build` makes the tarball, which is installed with
--offline --no-deps into an empty collections path under tmp. Everything then
runs from an empty directory that holds only an inventory, with an empty
ansible.cfg (nothing of the checkout's: no roles_path, no .collections link)
and ANSIBLE_COLLECTIONS_PATH = the tmp path plus the `ansible` package's
bundled collections (the dependencies galaxy.yml declares):

- ansible-doc documents every module and every filter of the checkout's
  plugins/ by FQCN, with DOCUMENTATION, EXAMPLES and RETURN, from the
  installed copy;
- `ansible-playbook --syntax-check django_stack.deploy.site` (and
  rolling_update, rollback) loads the playbooks, their roles and the roles'
  modules from the installed collection;
- `django_stack.deploy.inputs` runs (its action plugin on the controller, no
  host is contacted) and sees the playbooks' group_vars (a symlink in the
  collection to its group_vars/): stack_behind_balancer is derived there;
- the tarball holds what a user needs and none of the virtualenv, caches,
  local state, tests or secrets.
"""

from __future__ import annotations

import ast
import json
import sys
import tarfile
from pathlib import Path

import pytest

from tests.lib.collection import BIN, FQCN, GALAXY, ROOT, build_and_install, run, user_env

INVENTORY = """\
all:
  children:
    appservers:
      hosts:
        app1:
        app2:
    dbservers:
      hosts:
        db1:
    loadbalancers:
      hosts:
        lb1:
  vars:
    ansible_connection: local
    stack_domains: [www.example.com]
"""


def modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


def filters() -> list[str]:
    """Every filter name the plugins/filter files register (read from their source, nothing imported)."""
    names = []
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == "filters":
                returned = next(n.value for n in ast.walk(node) if isinstance(n, ast.Return))
                names += [key.value for key in returned.keys]
    return sorted(names)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(tarball, env, user directory): the collection installed under tmp, and how a user runs it."""
    tmp = tmp_path_factory.mktemp("collection")
    collections = tmp / "collections"
    user = tmp / "user"
    user.mkdir()
    (user / "inventory.yml").write_text(INVENTORY)
    empty_cfg = tmp / "ansible.cfg"
    empty_cfg.write_text("")
    env = user_env(tmp, empty_cfg, collections) | {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
    tarball = build_and_install(tmp, env, collections)
    assert sorted(p.name for p in user.iterdir()) == ["inventory.yml"]
    return tarball, env, user, collections


def doc(installed, kind: str, names: list[str]) -> dict:
    _, env, user, collections = installed
    proc = run([BIN / "ansible-doc", "-t", kind, "--json", *[f"{FQCN}.{name}" for name in names]], env, user)
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(f"{FQCN}.{name}" for name in names), proc.stderr
    for name, entry in docs.items():
        assert entry.get("doc"), f"{name}: no DOCUMENTATION"
        assert entry["doc"].get("short_description") and entry["doc"].get("description"), name
        assert entry.get("examples"), f"{name}: no EXAMPLES"
        assert entry.get("return"), f"{name}: no RETURN"
        # Read from the installed copy, not from the checkout.
        assert entry["doc"]["filename"].startswith(str(collections)), entry["doc"]["filename"]
    return docs


def test_the_plugins_are_there():
    # The lists the documentation tests go through (a new plugin joins them by itself).
    assert {"bench_report", "django_superuser", "static_offload_bucket", "stack_inputs"} <= set(modules())
    assert {"python_literal", "pgbouncer_pool_sizes", "ufw_rule_line", "django_app_tree_digest"} <= set(filters())


def test_every_module_is_documented_by_fqcn(installed):
    doc(installed, "module", modules())


def test_every_filter_is_documented_by_fqcn(installed):
    docs = doc(installed, "filter", filters())
    for name, entry in docs.items():
        assert "_input" in entry["doc"].get("options", {}), f"{name}: its input is not documented"
        assert "_value" in entry["return"], name


def test_the_playbooks_load_by_fqcn_from_the_installed_collection(installed):
    _, env, user, collections = installed
    playbooks = [f"{FQCN}.{name}" for name in ("site", "rolling_update", "rollback")]
    proc = run([BIN / "ansible-playbook", "--syntax-check", "-i", "inventory.yml", *playbooks], env, user)
    installed_playbooks = collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"] / "playbooks"
    for name in ("site", "rolling_update", "rollback"):
        assert f"playbook: {installed_playbooks / name}.yml" in proc.stdout, proc.stdout
    # Groups the tiny inventory leaves out are fine; nothing else may be warned about.
    warnings = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if "[WARNING]" in line and "Could not match supplied host pattern" not in line
    ]
    assert not warnings, proc.stdout + proc.stderr


def test_the_playbooks_group_vars_come_with_the_collection(installed):
    _, env, user, _ = installed
    inputs = [BIN / "ansible-playbook", "-i", "inventory.yml", f"{FQCN}.inputs", "-e", "stack_inputs_rollout=rolling_serial"]
    # One app host in a batch of one: fine.
    run([*inputs, "-e", "rolling_serial=1"], env, user)
    # Every app host at once behind the balancer is refused: stack_behind_balancer is derived in the
    # collection's group_vars/all/balancer.yml (through the playbooks/group_vars symlink); without
    # them the action plugin would see no balancer and let it pass.
    refused = run([*inputs, "-e", "rolling_serial=100%"], env, user, check=False)
    assert refused.returncode != 0, refused.stdout
    assert "would take app1, app2 out of rotation at once" in refused.stdout, refused.stdout


def test_the_tarball_holds_what_a_user_needs_and_nothing_else(installed):
    tarball = installed[0]
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
    names = set(members)
    for needed in (
        "MANIFEST.json",
        "README.md",
        "meta/runtime.yml",
        "playbooks/site.yml",
        "group_vars/all/main.yml",
        "roles/django_app/tasks/main.yml",
        "plugins/modules/bench_report.py",
        "plugins/filter/python_literal.yml",
        "inventory/production.example.yml",
        "docs/configuration.md",
    ):
        assert needed in names, needed
    # The playbooks' group_vars: a relative link inside the collection, kept as a link.
    link = members["playbooks/group_vars"]
    assert link.issym() and link.linkname == "../group_vars"
    banned_parts = {
        ".venv",
        ".cache",
        ".local",
        ".collections",
        ".git",
        "molecule",
        "tests",
        "reports",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".ci",
        ".config",
    }
    for name in names:
        parts = set(Path(name).parts)
        assert not parts & banned_parts, name
        assert not name.endswith((".pyc", "secrets.yml", "vault.yml", ".retry", ".tar.gz")), name
    assert not any(name.startswith(("inventory/local", "playbooks/local_")) for name in names)
