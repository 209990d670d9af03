"""Restore drills (playbooks/restore.yml's default mode): to a point in time
and to the latest state, into a scratch cluster the tests query themselves;
the repository survives a restart of the S3 endpoint."""

import pytest
from conftest import DRILL_PORT, backup_labels, now, pgbackrest, psql, restore, run_playbook, stop_drill


@pytest.fixture(scope="module")
def history(db):
    """Marker rows before a backup and a noted time, more rows after it."""
    psql(db, "DROP TABLE IF EXISTS marks; DROP TABLE IF EXISTS outage")
    psql(db, "CREATE TABLE marks (id serial PRIMARY KEY, phase text NOT NULL)")
    psql(db, "INSERT INTO marks (phase) SELECT 'before' FROM generate_series(1, 3)")
    result = run_playbook("-e", "backup_type=incr", playbook="playbooks/backup.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    noted = now(db)
    psql(db, "INSERT INTO marks (phase) SELECT 'after' FROM generate_series(1, 2)")
    pgbackrest(db, "check")  # the segment with the later rows reaches the repository
    return noted


def phases(db, port=DRILL_PORT) -> dict:
    rows = psql(db, "SELECT phase, count(*) FROM marks GROUP BY phase ORDER BY phase", port=port)
    return dict(line.split("|") for line in rows.splitlines())


def test_drill_to_a_point_in_time_has_the_earlier_rows_only(db, history):
    result = restore(f"pgbackrest_restore_time={history}", "pgbackrest_restore_keep_drill=true")
    try:
        assert result.returncode == 0, result.stdout[-3000:]
        assert phases(db) == {"before": "3"}
        assert psql(db, "SELECT pg_is_in_recovery()", port=DRILL_PORT) == "f"
    finally:
        stop_drill(db)
    # The live cluster is untouched.
    assert phases(db, port=5432) == {"after": "2", "before": "3"}


def test_drill_to_the_latest_state_has_every_row_and_reports(db, history):
    result = restore("pgbackrest_restore_keep_drill=true")
    try:
        assert result.returncode == 0, result.stdout[-3000:]
        assert phases(db) == {"after": "2", "before": "3"}
        assert "Marker row written before the drill: FOUND" in result.stdout
        assert "polls public.marks: live 5, restored 5" in result.stdout
    finally:
        stop_drill(db)


def test_drill_removes_its_scratch_cluster(db, history):
    result = restore()
    assert result.returncode == 0, result.stdout[-3000:]
    assert not db.file("/var/lib/postgresql/pgbackrest-drill").exists
    assert not db.socket(f"unix:///var/run/postgresql/.s.PGSQL.{DRILL_PORT}").is_listening


def test_backups_survive_a_restart_of_the_endpoint_and_restore(db, s3, history):
    labels = backup_labels(db)
    s3.check_output("systemctl restart s3-endpoint.service")
    assert s3.service("s3-endpoint.service").is_running
    assert backup_labels(db) == labels
    result = restore("pgbackrest_restore_keep_drill=true")
    try:
        assert result.returncode == 0, result.stdout[-3000:]
        assert phases(db) == {"after": "2", "before": "3"}
    finally:
        stop_drill(db)
