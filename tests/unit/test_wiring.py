"""The one wiring contract (issue 18): a value that crosses a role boundary is derived once.

No playbook includes a role publicly to read its values; site.yml's app play
and rolling_update.yml deploy one role sequence; the benchmark's database
comes from the app_database role; no expression is written twice in the
group_vars wiring (nor in the shipped local inventory's group_vars).
"""

import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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

    # The site's wiring and the shipped local inventory's group_vars.
    for path in sorted((ROOT / "group_vars").rglob("*.yml")) + sorted((ROOT / "inventory").rglob("group_vars/**/*.yml")):
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


def run_probe(tmp_path, inventory: str, probe: str, *args) -> tuple[int, dict]:
    """ansible-playbook's exit code and JSON report of `probe` beside the site's group_vars."""
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "group_vars").symlink_to(ROOT / "group_vars")
    (playbooks / "probe.yml").write_text(probe)
    (tmp_path / "hosts.yml").write_text(inventory)
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
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(proc.stdout + proc.stderr) from error


def resolve(tmp_path, app_vars: dict, *args) -> dict:
    """What the app host's roles are handed, with no role loaded (as in preflight or a rollout)."""
    rc, report = run_probe(tmp_path, INVENTORY % json.dumps(app_vars), PROBE, *args)
    assert rc == 0, report
    return report["plays"][0]["tasks"][0]["hosts"]["app1"]["msg"]


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


# --- backups never go to the static files' bucket: one list, handed to both roles -----

BACKUP_INVENTORY = """
all:
  vars:
    ansible_connection: local
    stack_domains: [www.example.com]
    vault_pgbackrest_repo_access_key: BKEY
    vault_pgbackrest_repo_secret_key: BSECRET
    vault_pgbackrest_repo_cipher_passphrase: a-long-enough-passphrase-for-backups
    vault_db_dump_access_key: DKEY
    vault_db_dump_secret_key: DSECRET
    vault_stack_db_password: a-db-password
  children:
    dbservers:
      hosts: {db1: {private_ip: 10.0.0.3}}
      vars:
        pgbackrest_enabled: true
        pgbackrest_repo_endpoint_url: https://fra1.digitaloceanspaces.com
        pgbackrest_repo_bucket: %(bucket)s
        pgbackrest_schedules: {}
    appservers:
      hosts: {app1: {private_ip: 10.0.0.2}, app2: {private_ip: 10.0.0.4}}
      vars:
        static_offload_enabled: %(enabled)s
        static_offload_bucket: polls-static
        db_dump_enabled: true
        db_dump_endpoint_url: https://fra1.digitaloceanspaces.com
        db_dump_bucket: %(bucket)s
"""

# As preflight runs them: pgbackrest's checks on the database host, db_dump's on
# the first app host.
BACKUP_PROBE = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg:
          derived: "{{ stack_backup_forbidden_buckets }}"
          handed: "{{ pgbackrest_forbidden_buckets if 'dbservers' in group_names else db_dump_forbidden_buckets }}"
    - ansible.builtin.include_role:
        name: django_stack.deploy.pgbackrest
        tasks_from: validate
      when: "'dbservers' in group_names"
    - ansible.builtin.include_role:
        name: django_stack.deploy.db_dump
        tasks_from: validate
      when: inventory_hostname == groups['appservers'][0]
"""

BUCKET_CHECK = "Check that the bucket is not the static files' bucket"


def backup_wiring(tmp_path, enabled: str, bucket: str) -> tuple[dict, dict]:
    """Per host: what the roles are handed, and the bucket check's result (None where it did not run)."""
    _, report = run_probe(tmp_path, BACKUP_INVENTORY % {"enabled": enabled, "bucket": bucket}, BACKUP_PROBE)
    tasks = report["plays"][0]["tasks"]
    handed = {host: result["msg"] for host, result in tasks[0]["hosts"].items()}
    checks = {host: result for task in tasks if task["task"]["name"].endswith(" : " + BUCKET_CHECK)
              for host, result in task["hosts"].items()}
    return handed, checks


def test_the_static_bucket_is_refused_by_both_backup_roles_naming_the_setting(tmp_path):
    handed, checks = backup_wiring(tmp_path, "true", "polls-static")
    # One derived list, handed as it is to pgbackrest (db1) and db_dump (app hosts).
    assert handed == {host: {"derived": ["polls-static"], "handed": ["polls-static"]} for host in ("db1", "app1", "app2")}
    assert set(checks) == {"db1", "app1"}
    assert checks["db1"]["failed"] and checks["app1"]["failed"]
    assert checks["db1"]["msg"].startswith(
        "pgbackrest_repo_bucket 'polls-static' is the bucket of the static files (static_offload_bucket 'polls-static'")
    assert checks["app1"]["msg"].startswith(
        "db_dump_bucket 'polls-static' is the bucket of the static files (static_offload_bucket 'polls-static'")


def test_the_static_bucket_is_only_forbidden_while_the_static_files_are_there(tmp_path):
    # "false" as -e or an INI inventory gives it: a string, read as a boolean.
    handed, checks = backup_wiring(tmp_path, '"false"', "polls-static")
    assert handed == {host: {"derived": [], "handed": []} for host in ("db1", "app1", "app2")}
    assert set(checks) == {"db1", "app1"}
    assert not any(result.get("failed") for result in checks.values()), checks


# Each role alone: it reads the list it is handed, never the static_offload role's variables.
ROLE_ALONE = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars: %s
  tasks:
    - ansible.builtin.include_role:
        name: django_stack.deploy.%s
        tasks_from: validate
"""

BACKUP_ROLES = {
    "pgbackrest": {"pgbackrest_enabled": True, "pgbackrest_repo_endpoint_url": "https://s3.example.com",
                   "pgbackrest_repo_access_key": "K", "pgbackrest_repo_secret_key": "S", "pgbackrest_schedules": {},
                   "pgbackrest_repo_cipher_passphrase": "a-long-enough-passphrase-for-backups"},
    "db_dump": {"db_dump_enabled": True, "db_dump_endpoint_url": "https://s3.example.com", "db_dump_db_host": "db",
                "db_dump_db_name": "polls", "db_dump_db_user": "polls", "db_dump_db_password": "pw",
                "db_dump_access_key": "K", "db_dump_secret_key": "S"},
}
BUCKET_VAR = {"pgbackrest": "pgbackrest_repo_bucket", "db_dump": "db_dump_bucket"}


@pytest.mark.parametrize("role", sorted(BACKUP_ROLES))
@pytest.mark.parametrize(
    ("given", "refused"),
    [
        ({"static_offload_enabled": True, "static_offload_bucket": "backups"}, False),  # not handed: not its business
        ({"forbidden_buckets": ["polls-static", "backups"]}, True),
    ],
)
def test_each_backup_role_reads_the_list_it_is_handed(tmp_path, role, given, refused):
    variables = {**BACKUP_ROLES[role], BUCKET_VAR[role]: "backups",
                 **{(f"{role}_{k}" if k == "forbidden_buckets" else k): v for k, v in given.items()}}
    _, report = run_probe(tmp_path, "all:\n  hosts: {localhost: {ansible_connection: local}}\n",
                          ROLE_ALONE % (json.dumps(variables), role))
    checks = [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"] if task["task"]["name"].endswith(" : " + BUCKET_CHECK)]
    assert len(checks) == 1, report
    assert bool(checks[0].get("failed")) is refused, checks[0]
    if refused:
        assert f"{BUCKET_VAR[role]} 'backups' is the bucket of the static files (static_offload_bucket 'backups'" in checks[0]["msg"]


# --- the certificate: overriding certbot_cert_name moves every consumer ---------------
# (molecule/single test_15 proves it on a host: certbot and nginx; here every consumer,
# the balancer's too, in both of certbot's file layouts.)

CERT_INVENTORY = """
all:
  vars:
    ansible_connection: local
    stack_domains: [www.example.com]
  children:
    appservers:
      hosts: {app1: {private_ip: 10.0.0.2}}
    loadbalancers:
      hosts: {lb1: {private_ip: 10.0.0.9}}
"""

CERT_PROBE = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg:
          name: "{{ certbot_cert_name }}"
          nginx: "{{ [nginx_certificate, nginx_certificate_key] if 'appservers' in group_names else none }}"
          balancer: "{{ [loadbalancer_certificate, loadbalancer_certificate_key] }}"
"""


def certificates(tmp_path, *args, group_vars: dict | None = None) -> dict:
    for group, values in (group_vars or {}).items():
        (tmp_path / "group_vars").mkdir(exist_ok=True)
        (tmp_path / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump(values))
    rc, report = run_probe(tmp_path, CERT_INVENTORY, CERT_PROBE, *args)
    assert rc == 0, report
    return {host: result["msg"] for host, result in report["plays"][0]["tasks"][0]["hosts"].items()}


def live(name: str) -> list[str]:
    """Where certbot (certbot_mode acme) writes the certificate named `name`."""
    return [f"/etc/letsencrypt/live/{name}/fullchain.pem", f"/etc/letsencrypt/live/{name}/privkey.pem"]


def test_the_certificate_paths_follow_the_default_name(tmp_path):
    assert certificates(tmp_path) == {
        "app1": {"name": "polls", "nginx": live("polls"), "balancer": live("polls")},
        "lb1": {"name": "polls", "nginx": None, "balancer": live("polls")},
    }


def test_overriding_certbot_cert_name_moves_every_consumer(tmp_path):
    assert certificates(tmp_path, "-e", "certbot_cert_name=shop") == {
        "app1": {"name": "shop", "nginx": live("shop"), "balancer": live("shop")},
        "lb1": {"name": "shop", "nginx": None, "balancer": live("shop")},
    }


def test_a_per_group_override_moves_that_group_only(tmp_path):
    # The balancer holds the certificate behind a balancer: renamed in the inventory's
    # group_vars/loadbalancers.yml, as group_vars/all/main.yml documents.
    found = certificates(tmp_path, group_vars={"loadbalancers": {"certbot_cert_name": "edge"}})
    assert found["lb1"] == {"name": "edge", "nginx": None, "balancer": live("edge")}
    assert found["app1"] == {"name": "polls", "nginx": live("polls"), "balancer": live("polls")}


def test_the_override_moves_the_self_signed_and_provided_files_too(tmp_path):
    # certbot_mode selfsigned (and provided) writes certbot_local_cert_dir/NAME.crt and .key.
    found = certificates(tmp_path, "-e", "certbot_cert_name=shop", "-e", "certbot_mode=selfsigned")
    files = ["/etc/ssl/django-stack/shop.crt", "/etc/ssl/django-stack/shop.key"]
    assert found["app1"] == {"name": "shop", "nginx": files, "balancer": files}
    assert found["lb1"]["balancer"] == files
