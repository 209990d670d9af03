"""Preflight finds a django_app_git_version the repository lacks (roles/django_app/tasks/validate.yml).

The role's validate entry point runs on the controller (a local connection)
against a bare repository made here, as it does on an app host that has git.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = """
- name: Validate the django_app role
  hosts: all
  gather_facts: false
  tasks:
    - name: Validate django_app
      ansible.builtin.include_role:
        name: django_stack.deploy.django_app
        tasks_from: validate
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("git")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    src = base / "src"
    subprocess.run([*git, "init", "-q", "-b", "main", str(src)], check=True)
    (src / "manage.py").write_text("")
    subprocess.run([*git, "-C", str(src), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(src), "commit", "-q", "-m", "release 1"], check=True)
    subprocess.run([*git, "-C", str(src), "tag", "v1"], check=True)
    subprocess.run([*git, "clone", "-q", "--bare", str(src), str(base / "repo.git")], check=True)
    return base


def validate(repo: Path, version: str):
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "django_app_allowed_hosts": ["www.example.com"],
        "django_app_db_host": "127.0.0.1",
        "django_app_db_password": "a-db-password-of-some-length",
        "django_app_source": "git",
        "django_app_git_repo": f"file://{repo / 'repo.git'}",
        "django_app_git_version": version,
    }
    # A host with the bundled app beside it: the git tasks are skipped there.
    bundled = {**host, "django_app_source": "bundled"}
    (repo / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"app1": host, "app2": bundled}}}))
    (repo / "validate.yml").write_text(PLAYBOOK)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(repo / "hosts.yml"), str(repo / "validate.yml")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_a_tag_that_exists_passes(repo):
    rc, output = validate(repo, "v1")
    assert rc == 0, output
    assert "List the repository's branches and tags" in output
    assert re.search(r"^app2 +: ok=[1-9][0-9]* +changed=0 +unreachable=0 +failed=0", output, re.M), output


def test_a_version_the_repository_lacks_stops_the_run(repo):
    rc, output = validate(repo, "v9")
    assert rc != 0
    assert "django_app_git_version v9 is no branch or tag of django_app_git_repo" in output
    assert "fatal: [app2" not in output
