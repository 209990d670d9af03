import stat

import yaml

from tests.lib.loader import load_file

local_secrets = load_file("scripts/local_secrets.py")


def test_secrets_are_written_once_and_private(tmp_path):
    inventory = tmp_path / "inv"
    inventory.mkdir()
    assert local_secrets.main([str(inventory)]) == 0
    target = inventory / "group_vars" / "all" / "secrets.yml"
    first = yaml.safe_load(target.read_text())
    assert set(first) == set(local_secrets.NAMES) | set(local_secrets.KEY_NAMES)
    assert all(len(value) >= 20 for value in first.values())
    assert first["vault_static_offload_access_key"].isalnum() and first["vault_static_offload_access_key"].isupper()
    assert len(first["vault_static_offload_secret_key"]) == 40
    assert len(set(first.values())) == len(first)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # A second run keeps the same secrets.
    assert local_secrets.main([str(inventory)]) == 0
    assert yaml.safe_load(target.read_text()) == first


def test_not_a_directory_writes_nothing(tmp_path):
    assert local_secrets.main([str(tmp_path / "missing")]) == 0
    assert not (tmp_path / "missing").exists()


def test_names_added_later_are_appended_and_old_ones_kept(tmp_path, capsys):
    inventory = tmp_path / "inv"
    target = inventory / "group_vars" / "all" / "secrets.yml"
    target.parent.mkdir(parents=True)
    target.write_text('---\nvault_stack_db_password: "kept-value"\n')
    # A file left world-readable (by hand, or by an older version): the script
    # must make it private before it adds secrets to it.
    target.chmod(0o644)
    assert local_secrets.main([str(inventory)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "tightened to 0600" in capsys.readouterr().out
    values = yaml.safe_load(target.read_text())
    assert values["vault_stack_db_password"] == "kept-value"
    assert set(values) == set(local_secrets.NAMES) | set(local_secrets.KEY_NAMES)
