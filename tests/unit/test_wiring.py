"""The one wiring contract (issue 18): a value that crosses a role boundary is derived once.

No playbook includes a role publicly to read its values; site.yml's app play
and rolling_update.yml deploy one role sequence; the benchmark's database
comes from the app_database role; no expression is written twice in the
group_vars wiring.
"""

import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
APP_ROLES = ["virtualenv", "static_offload", "django_app", "gunicorn"]


def load(path: Path):
    return yaml.safe_load(path.read_text())


def tasks_of(plays):
    for play in plays:
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            yield from walk(play.get(section) or [])


def walk(tasks):
    for task in tasks:
        yield task
        for section in ("block", "rescue", "always"):
            yield from walk(task.get(section) or [])


def test_no_playbook_includes_a_role_publicly():
    found = [
        str(path.relative_to(ROOT))
        for path in PLAYBOOKS.rglob("*.yml")
        if not path.is_symlink() and re.search(r"^\s*public:\s*(true|yes)\b", path.read_text(), re.MULTILINE)
    ]
    assert found == []


def test_site_and_rolling_update_share_one_app_tier_sequence():
    sequence = [
        task["ansible.builtin.import_role"]["name"].rsplit(".", 1)[-1]
        for task in load(PLAYBOOKS / "tasks/app_tier.yml")
        if "ansible.builtin.import_role" in task
    ]
    # static_offload twice: the whole role, or its checks only (rollback.yml).
    assert [role for index, role in enumerate(sequence) if role not in sequence[:index]] == APP_ROLES
    for playbook in ("app.yml", "rolling_update.yml"):
        text = (PLAYBOOKS / playbook).read_text()
        imports = [task.get("ansible.builtin.import_tasks") for task in tasks_of(load(PLAYBOOKS / playbook))]
        assert imports.count("tasks/app_tier.yml") == 1, playbook
        for role in APP_ROLES:
            assert f"django_stack.deploy.{role}" not in text, (playbook, role)


def test_the_benchmark_database_comes_from_the_app_database_role():
    plays = load(PLAYBOOKS / "benchmark.yml")
    modules = {key for task in tasks_of(plays) for key in task if "." in key}
    assert not any(module.startswith("community.postgresql.") for module in modules), modules
    role = "django_stack.deploy.app_database"
    includes = [task for task in tasks_of(plays) if task.get("ansible.builtin.include_role", {}).get("name") == role]
    assert len(includes) == 1
    assert includes[0]["vars"] == {
        "app_database_name": "{{ stack_bench.name }}",
        "app_database_user": "{{ stack_bench.name }}",
        "app_database_password": "{{ stack_bench.password }}",
    }


def test_no_expression_is_written_twice_in_the_wiring():
    """Handing one value to many roles is the point ("{{ stack_hsts.seconds }}"); deriving it twice is not.

    A read of a vault secret with its empty default is not a derivation."""
    seen = collections.defaultdict(list)

    def collect(value, where):
        if isinstance(value, str) and "{{" in value:
            seen[" ".join(value.split())].append(where)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                collect(item, f"{where}[{index}]")

    for path in sorted((ROOT / "group_vars").rglob("*.yml")):
        for name, value in (load(path) or {}).items():
            collect(value, f"{path.relative_to(ROOT)}:{name}")
    lone = re.compile(r"\{\{ [\w.]+ \}\}|\{\{ vault_\w+ \| default\(''\) \}\}")
    repeated = {expr: where for expr, where in seen.items() if len(where) > 1 and not lone.fullmatch(expr)}
    assert repeated == {}


# --- the wiring, as Ansible resolves it: an override moves every consumer -------------

INVENTORY = """
all:
  vars:
    ansible_connection: local
    stack_domains: [www.example.com]
    vault_static_offload_access_key: AKEY
    vault_static_offload_secret_key: SECRET
  children:
    appservers:
      hosts: {app1: {private_ip: 10.0.0.2}}
      vars: %s
"""

PROBE = """
- hosts: appservers
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg:
          storage: "{{ django_app_static_storage }}"
          static_url: "{{ django_app_static_url }}"
          environment: "{{ django_app_secret_environment }}"
          env_files: "{{ gunicorn_environment_files }}"
          env_file: "{{ django_app_env_file }}"
          webroots: "{{ [certbot_webroot, nginx_acme_webroot, loadbalancer_acme_webroot] }}"
"""


def resolve(tmp_path, app_vars: dict, *args) -> dict:
    """What the app host's roles are handed, with no role loaded (as in preflight or a rollout)."""
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "group_vars").symlink_to(ROOT / "group_vars")
    (playbooks / "probe.yml").write_text(PROBE)
    (tmp_path / "hosts.yml").write_text(INVENTORY % json.dumps(app_vars))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_CALLBACKS_ENABLED": "recap_json",  # not profile_tasks, which prints
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), str(playbooks / "probe.yml"), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["app1"]["msg"]


def test_the_static_settings_reach_django_without_the_static_offload_role(tmp_path):
    space = {
        "static_offload_enabled": True,
        "static_offload_endpoint_url": "https://nyc3.digitaloceanspaces.com",
        "static_offload_region": "nyc3",
        "static_offload_bucket": "polls-static",
        "static_offload_location": "assets",
        "static_offload_custom_domain": "cdn.example.com",
    }
    found = resolve(tmp_path, space)
    assert found["static_url"] == "https://cdn.example.com/assets/"
    options = found["storage"]["OPTIONS"]
    assert (options["bucket_name"], options["region_name"], options["location"]) == ("polls-static", "nyc3", "assets")
    assert options["default_acl"] == "public-read"  # unset: the role's default
    assert found["environment"] == {"AWS_S3_ACCESS_KEY_ID": "AKEY", "AWS_S3_SECRET_ACCESS_KEY": "SECRET"}


def test_without_an_object_store_django_serves_its_own(tmp_path):
    found = resolve(tmp_path, {})
    assert (found["storage"], found["static_url"], found["environment"]) == ({}, "/static/", {})


def test_the_env_file_and_the_acme_webroot_are_one_value_each(tmp_path):
    found = resolve(tmp_path, {}, "-e", "stack_app_name=shop")
    assert found["env_files"] == [found["env_file"]] == ["/etc/shop/shop.env"]
    assert found["webroots"] == ["/var/www/letsencrypt"] * 3
