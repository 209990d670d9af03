"""`make secrets`: playbooks/local_secrets.yml writes the local droplets' demo
secrets with the ansible.builtin.password lookup, run as the Makefile runs it
(ansible-playbook -i <inventory>) against inventories in a temporary directory.
"""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "local_secrets.yml"
SPECS = yaml.safe_load(PLAYBOOK.read_text())[0]["vars"]["local_secrets_names"]
PASSWORD = re.compile(r"[A-Za-z0-9]{32}")
# The local S3 endpoint's key pair, within what the s3_endpoint role accepts
# (an access key of 16-128 letters and digits, a secret key of at least 20
# characters with no quote, backslash or space), as on Spaces and AWS.
ACCESS_KEY = re.compile(r"[A-Z0-9]{20}")
SECRET_KEY = re.compile(r"[A-Za-z0-9]{40}")


def make_secrets(inventory: Path) -> str:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def assert_valid(values: dict, names) -> None:
    for name in names:
        pattern = {"vault_static_offload_access_key": ACCESS_KEY, "vault_static_offload_secret_key": SECRET_KEY}.get(name, PASSWORD)
        assert pattern.fullmatch(values[name]), f"{name}: {values[name]!r} is not {pattern.pattern}"


def test_every_name_has_its_alphabet():
    assert set(SPECS) == {
        "vault_stack_db_password", "vault_stack_db_admin_password", "vault_django_superuser_password",
        "vault_pgbouncer_admin_password", "vault_pgbouncer_stats_password", "vault_stack_bench_password",
        "vault_pgbackrest_repo_cipher_passphrase", "vault_static_offload_access_key", "vault_static_offload_secret_key",
    }
    assert SPECS["vault_static_offload_access_key"] == {"length": 20, "chars": ["ascii_uppercase", "digits"]}


def test_a_new_file_is_private_complete_and_kept_on_the_next_run(tmp_path):
    inventory = tmp_path / "inv"
    inventory.mkdir()
    make_secrets(inventory)
    target = inventory / "group_vars" / "all" / "secrets.yml"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    first = yaml.safe_load(text)
    assert set(first) == set(SPECS)
    assert_valid(first, SPECS)
    assert len(set(first.values())) == len(first)
    # A second run changes nothing: the same secrets, byte for byte.
    assert "changed=0" in make_secrets(inventory)
    assert target.read_text() == text


def test_existing_values_are_kept_missing_names_added_and_a_loose_file_made_private(tmp_path):
    inventory = tmp_path / "inv"
    target = inventory / "group_vars" / "all" / "secrets.yml"
    target.parent.mkdir(parents=True)
    # Hand-written, with a comment, odd spacing and no final newline.
    kept = '---\n# mine\nvault_stack_db_password: "kept-value"\nvault_static_offload_secret_key:   "kept-key"'
    target.write_text(kept)
    target.chmod(0o644)
    out = make_secrets(inventory)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    assert text.startswith(kept + "\n")
    values = yaml.safe_load(text)
    assert values["vault_stack_db_password"] == "kept-value"
    assert values["vault_static_offload_secret_key"] == "kept-key"
    assert set(values) == set(SPECS)
    added = set(SPECS) - {"vault_stack_db_password", "vault_static_offload_secret_key"}
    assert_valid(values, added)
    assert "demo secrets added to" in out and "vault_static_offload_access_key" in out


def test_an_inventory_that_is_not_a_directory_gets_nothing(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts: {}\n")
    assert "is not an inventory directory; no demo secrets written" in make_secrets(inventory)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hosts.yml"]
