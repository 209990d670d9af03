"""A restore from a named backup, and retention: with pgbackrest_retention_full
set to 1, a new full backup expires the older ones."""

import json

from conftest import DRILL_PORT, info, psql, restore, run_playbook, stop_drill


def test_a_drill_from_the_first_full_backup_ends_where_it_ended(db):
    first = info(db)["backup"][0]
    assert first["type"] == "full"
    result = restore(f"pgbackrest_restore_set={first['label']}", "pgbackrest_restore_keep_drill=true")
    try:
        assert result.returncode == 0, result.stdout[-3000:]
        # The first full backup was taken at the first converge, before the tests made the app's database.
        exists = "SELECT count(*) FROM pg_database WHERE datname = 'polls'"
        assert psql(db, exists, db="postgres", port=DRILL_PORT) == "0"
        assert psql(db, exists, db="postgres") == "1"
        assert "polls: not in the restored copy" in result.stdout
    finally:
        stop_drill(db)


def test_retention_expires_older_full_backups(db):
    one = json.dumps({"pgbackrest_retention_full": 1})
    try:
        assert run_playbook("--tags", "pgbackrest", "-e", one).returncode == 0
        result = run_playbook(playbook="playbooks/backup.yml")
        assert result.returncode == 0, result.stdout[-3000:]
        kinds = [backup["type"] for backup in info(db)["backup"]]
        assert kinds == ["full"], kinds
    finally:
        assert run_playbook("--tags", "pgbackrest").returncode == 0
