"""Restores over the live cluster: refused without the confirmation; after the
data directory is wiped; to the moment before a table was dropped."""

from conftest import cluster, info, now, pgbackrest, psql, restore


def count(db) -> str:
    return psql(db, "SELECT count(*) FROM marks")


def test_in_place_needs_the_confirmation_and_changes_nothing_without_it(db):
    before = psql(db, "SELECT pg_postmaster_start_time()", db="postgres")
    result = restore("pgbackrest_restore_mode=in_place")
    assert result.returncode != 0
    assert "pgbackrest_restore_confirm=bk-db" in result.stdout + result.stderr
    assert psql(db, "SELECT pg_postmaster_start_time()", db="postgres") == before


def test_in_place_restore_brings_a_wiped_cluster_back(db):
    rows = count(db)
    pgbackrest(db, "check")
    server = cluster(db)
    db.check_output(f"systemctl stop postgresql@{server['version']}-{server['cluster']}.service")
    db.check_output(f"find {server['pgdata']} -mindepth 1 -delete")
    result = restore("pgbackrest_restore_mode=in_place", "pgbackrest_restore_confirm=bk-db")
    assert result.returncode == 0, result.stdout[-3000:]
    assert count(db) == rows
    assert psql(db, "SELECT pg_is_in_recovery()") == "f"
    # It archives again (on a new timeline) and takes writes.
    psql(db, "INSERT INTO marks (phase) VALUES ('restored')")
    pgbackrest(db, "check")
    assert info(db)["status"]["code"] == 0


def test_in_place_restore_to_before_a_dropped_table(db):
    rows = count(db)
    noted = now(db)
    psql(db, "DROP TABLE marks")
    pgbackrest(db, "check")
    result = restore("pgbackrest_restore_mode=in_place", "pgbackrest_restore_confirm=bk-db", f"pgbackrest_restore_time={noted}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert count(db) == rows
