"""A role checks its input once per run: itself when used alone, or not again after preflight.yml did.

Each role's tasks/main.yml includes its checks (tasks/validate.yml) unless the fact <role>_validated is true,
and the checks end by setting it. These runs use the virtualenv role on localhost with --tags always, so
that only the checks can run: nothing is created.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/tasks/validate.yml"))
CHECK = "TASK [django_stack.deploy.virtualenv : Check that the virtualenv path is absolute]"

ALONE = """
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: django_stack.deploy.virtualenv
      vars: {{virtualenv_path: "{path}"}}
"""

AFTER_PREFLIGHT = """
- hosts: localhost
  connection: local
  gather_facts: false
  # As in preflight.yml, whose play has this tag.
  tags: [always]
  vars: {{virtualenv_path: "{path}"}}
  tasks:
    - name: Check the role's input, as playbooks/preflight.yml does
      ansible.builtin.include_role:
        name: django_stack.deploy.virtualenv
        tasks_from: validate
    - name: Use the role
      ansible.builtin.include_role:
        name: django_stack.deploy.virtualenv
"""


def play(tmp_path, text: str) -> tuple[int, str]:
    playbook = tmp_path / "play.yml"
    playbook.write_text(text)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "--tags", "always", str(playbook)]
    cmd += ["-e", f"ansible_python_interpreter={sys.executable}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_a_role_used_alone_checks_its_input(tmp_path):
    rc, output = play(tmp_path, ALONE.format(path="relative/env"))
    assert rc != 0, output
    assert "virtualenv_path must be an absolute path, got 'relative/env'" in output, output


def test_a_role_used_alone_with_good_input_checks_once(tmp_path):
    rc, output = play(tmp_path, ALONE.format(path="/srv/env"))
    assert rc == 0, output
    assert output.count(CHECK) == 1, output


def test_the_role_does_not_repeat_the_checks_made_in_this_run(tmp_path):
    rc, output = play(tmp_path, AFTER_PREFLIGHT.format(path="/srv/env"))
    assert rc == 0, output
    assert output.count(CHECK) == 1, output


def test_a_bad_input_fails_at_the_first_check(tmp_path):
    rc, output = play(tmp_path, AFTER_PREFLIGHT.format(path="relative/env"))
    assert rc != 0, output
    assert "virtualenv_path must be an absolute path, got 'relative/env'" in output, output
    assert "Use the role" not in output, output


@pytest.mark.parametrize("role", ROLES)
def test_every_role_skips_only_the_checks_it_has_made(role):
    # The guard in main.yml and the fact that validate.yml sets name the same variable.
    main = yaml.safe_load((ROOT / "roles" / role / "tasks" / "main.yml").read_text())
    first = main[0]
    assert first["ansible.builtin.include_tasks"]["file"] == "validate.yml"
    assert first["when"] == f"not {role}_validated | default(false)"
    assert "always" in first["tags"] and "always" in first["ansible.builtin.include_tasks"]["apply"]["tags"]
    last = yaml.safe_load((ROOT / "roles" / role / "tasks" / "validate.yml").read_text())[-1]
    assert last["ansible.builtin.set_fact"] == {f"{role}_validated": True}
    # The fact is never cached: the next run checks again.
    assert "cacheable" not in last["ansible.builtin.set_fact"]
