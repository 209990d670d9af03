"""What site.yml leaves on the database host: WAL archiving into a private,
encrypted repository on the S3 endpoint, a first full backup, the timers."""

from conftest import BUCKET, ENDPOINT, S3_CA, S3_CLIENT, info, psql

READ_OBJECT = S3_CLIENT + """
import sys
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sys.argv[1], Prefix="pgbackrest/").get("Contents", [])]
print(len(keys))
print(s3.get_object(Bucket=sys.argv[1], Key="pgbackrest/backup/polls/backup.info")["Body"].read()[:8])
"""


def test_postgresql_archives_wal_with_pgbackrest(db):
    assert psql(db, "SHOW archive_mode") == "on"
    assert psql(db, "SHOW archive_command") == "pgbackrest --stanza=polls archive-push %p"
    # Something was archived and nothing failed since the last success.
    archived, failed_after = psql(
        db, "SELECT archived_count > 0, coalesce(last_failed_time < last_archived_time, true) FROM pg_stat_archiver"
    ).split("|")
    assert archived == "t" and failed_after == "t"


def test_the_first_full_backup_is_in_the_repository(db):
    stanza = info(db)
    assert stanza["status"]["code"] == 0, stanza["status"]
    assert stanza["cipher"] == "aes-256-cbc"
    assert "full" in [backup["type"] for backup in stanza["backup"]]


def test_configuration_holds_secrets_for_root_and_postgres_only(db):
    config = db.file("/etc/pgbackrest/pgbackrest.conf")
    assert (config.user, config.group, config.mode) == ("root", "postgres", 0o640)
    assert db.file("/etc/pgbackrest").mode == 0o750
    assert "repo1-cipher-pass=" in config.content_string
    assert "repo1-storage-verify-tls=y" in config.content_string


def test_repository_is_encrypted_at_rest(s3):
    # Read with the key pair, on the endpoint itself: OpenSSL's envelope, not pgBackRest's plain INI text.
    count, head = s3.check_output(f"/opt/s3-endpoint/venv/bin/python -c '{READ_OBJECT}' {BUCKET}").splitlines()
    assert int(count) > 3
    assert head == "b'Salted__'"


def test_bucket_refuses_anonymous_reads_and_listing(db):
    for path in [f"/{BUCKET}/", f"/{BUCKET}/pgbackrest/backup/polls/backup.info", f"/{BUCKET}/pgbackrest/archive/polls/archive.info"]:
        status = db.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {S3_CA} {ENDPOINT}{path}")
        assert status == "403", path


def test_endpoint_refuses_its_management_api_to_clients(db):
    status = db.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {S3_CA} {ENDPOINT}/moto-api/recorder/download-recording")
    assert status == "403"


def test_timers_are_enabled_and_the_backup_service_runs(db):
    for kind in ["full", "diff"]:
        timer = db.service(f"pgbackrest-backup-{kind}.timer")
        assert timer.is_enabled and timer.is_running
    before = len(info(db)["backup"])
    db.check_output("systemctl start pgbackrest-backup@diff.service")
    assert db.check_output("systemctl show -p Result --value pgbackrest-backup@diff.service") == "success"
    backups = info(db)["backup"]
    assert len(backups) == before + 1 and backups[-1]["type"] == "diff"
    assert "pgbackrest-backup" not in db.check_output("systemctl --failed --no-legend")
