"""A wrong repository key at run time: the run fails with the store's own
error, PostgreSQL keeps serving and retries archiving, and once the right key
is back nothing written meanwhile is lost."""

import time

from conftest import DRILL_PORT, pgbackrest, psql, restore, run_playbook, stop_drill

WRONG = "wrong-secret-Zx81QmNs4dW2xx"


def failed_archives(db) -> int:
    return int(psql(db, "SELECT failed_count FROM pg_stat_archiver", db="postgres"))


def test_wrong_key_fails_clearly_archiving_waits_and_nothing_is_lost(db):
    result = run_playbook("--tags", "pgbackrest", "-e", f"vault_pgbackrest_repo_secret_key={WRONG}")
    try:
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "SignatureDoesNotMatch" in output and "vault_pgbackrest_repo_secret_key" in output
        assert WRONG not in output
        # The database serves and takes writes while archiving fails and is retried.
        failed = failed_archives(db)
        psql(db, "CREATE TABLE outage (note text); INSERT INTO outage VALUES ('written while the key was wrong')")
        psql(db, "SELECT pg_switch_wal()", db="postgres")
        deadline = time.monotonic() + 60
        while failed_archives(db) <= failed and time.monotonic() < deadline:
            time.sleep(2)
        assert failed_archives(db) > failed
        # A backup meanwhile fails visibly: the unit is failed and the journal says why.
        assert db.run("systemctl start pgbackrest-backup@incr.service").rc != 0
        assert "pgbackrest-backup@incr.service" in db.check_output("systemctl --failed --no-legend")
        assert "SignatureDoesNotMatch" in db.check_output("journalctl -u pgbackrest-backup@incr.service --no-pager -o cat")
    finally:
        fixed = run_playbook("--tags", "pgbackrest")
        assert fixed.returncode == 0, fixed.stdout[-3000:]
        db.check_output("systemctl reset-failed pgbackrest-backup@incr.service")
    pgbackrest(db, "check")
    result = restore("pgbackrest_restore_keep_drill=true")
    try:
        assert result.returncode == 0, result.stdout[-3000:]
        assert psql(db, "SELECT note FROM outage", port=DRILL_PORT) == "written while the key was wrong"
    finally:
        stop_drill(db)
