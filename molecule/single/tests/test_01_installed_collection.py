"""The collection as a user installs it, against the converged hosts: `django_stack.deploy.site --check --diff`.

The tarball is built from the checkout and installed offline into an empty
collections path under tmp. The run starts from a directory that holds only a
copy of the scenario's inventory (with its group_vars and host_vars), with an
ansible.cfg that keeps the scenario's connection and callback settings but
none of the checkout's paths (no roles_path, no plugin paths, no .collections
link): roles, modules, filters and the playbooks' group_vars can only come
from the installed collection. On converged hosts nothing may change.
"""

import os
import re
import shutil
from pathlib import Path

from tests.lib.collection import BIN, FQCN, GALAXY, build_and_install, run, user_env
from tests.lib.recap import read_recap, recap_env

# The checkout's own paths in Molecule's generated ansible.cfg.
CHECKOUT_PATHS = re.compile(r"^(roles_path|collections_path|collections_paths|library|filter_plugins|action_plugins)\s*=.*$", re.M)


def test_site_from_the_installed_collection_changes_nothing_on_converged_hosts(tmp_path):
    ephemeral = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    collections = tmp_path / "collections"
    config = tmp_path / "ansible.cfg"
    config.write_text(CHECKOUT_PATHS.sub("", (ephemeral / "ansible.cfg").read_text()))
    env = user_env(tmp_path, config, collections) | {"ANSIBLE_ROLES_PATH": str(tmp_path / "no-roles")}
    # What the scenario's group_vars read: its files, and the extra CA the hosts trust.
    env |= {name: os.environ[name] for name in ("MOLECULE_EPHEMERAL_DIRECTORY", "DJANGO_STACK_EXTRA_CA_FILE") if name in os.environ}
    build_and_install(tmp_path, env, collections)
    user = tmp_path / "user"
    shutil.copytree(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent, user / "inventory")
    installed = collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    assert (installed / "playbooks" / "site.yml").is_file()

    recap_file = tmp_path / "recap.json"
    result = run([BIN / "ansible-playbook", "-i", "inventory/ansible_inventory.yml", f"{FQCN}.site", "--check", "--diff"],
                 env | recap_env(recap_file), cwd=user, check=False, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"TASK [{FQCN}.django_app : " in result.stdout
    recap = read_recap(recap_file)
    assert recap.hosts and recap.unclean_hosts() == [], recap.changed_tasks
