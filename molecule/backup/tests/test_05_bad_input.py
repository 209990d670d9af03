"""Bad backup settings are refused before pgBackRest changes anything, naming
the variable the user set and the value given."""

import json

import pytest
from conftest import BUCKET, S3_CA, S3_CLIENT, psql, run_playbook

PUBLISH_INDEX = S3_CLIENT + """
s3.put_object_acl(Bucket="%s", Key="pgbackrest/backup/polls/backup.info", ACL="%s")
"""


def state(db) -> tuple[str, str, str]:
    """What a refused run must leave as it was: the configuration, the endpoint's CA and the server's start."""
    return (
        db.check_output("sha256sum /etc/pgbackrest/pgbackrest.conf"),
        db.check_output(f"sha256sum {S3_CA}"),
        psql(db, "SELECT pg_postmaster_start_time()", db="postgres"),
    )


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"vault_pgbackrest_repo_cipher_passphrase": ""}, "vault_pgbackrest_repo_cipher_passphrase"),
        ({"vault_pgbackrest_repo_cipher_passphrase": "too-short"}, "(9 characters given)"),
        ({"vault_pgbackrest_repo_access_key": ""}, "vault_pgbackrest_repo_access_key"),
        ({"pgbackrest_retention_full": 0}, "pgbackrest_retention_full (got 0)"),
        ({"pgbackrest_repo_endpoint_url": "http://bk-s3:9000"}, "pgbackrest_repo_endpoint_url must be https://HOST[:PORT] with no path (got 'http://bk-s3:9000')"),
        ({"pgbackrest_repo_endpoint_url": "https://bk-s3:9999"}, "pgbackrest_repo_endpoint_url 'https://bk-s3:9999' did not answer"),
        ({"pgbackrest_schedules": {"full": "every sunday"}}, "pgbackrest_schedules.full is not a systemd calendar expression"),
        # The role's own check; the site wiring fills the list with the app hosts' static_offload_bucket.
        ({"pgbackrest_forbidden_buckets": [BUCKET]}, f"pgbackrest_repo_bucket '{BUCKET}' is the bucket of the static files"),
    ],
    ids=["no-passphrase", "short-passphrase", "no-key", "retention-0", "plain-http", "unreachable", "bad-calendar", "static-bucket"],
)
def test_bad_setting_is_refused_before_any_change(db, settings, named):
    before = state(db)
    result = run_playbook("--tags", "pgbackrest", "-e", json.dumps(settings))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert named in output, output[-3000:]
    assert state(db) == before


def test_a_bucket_that_serves_its_content_to_anyone_is_refused(db, s3):
    before = state(db)
    s3.check_output(f"/opt/s3-endpoint/venv/bin/python -c '{PUBLISH_INDEX % (BUCKET, 'public-read')}'")
    try:
        result = run_playbook("--tags", "pgbackrest")
        assert result.returncode != 0
        expected = f"pgbackrest_repo_bucket '{BUCKET}' answers anonymous requests (the repository index is public)"
        assert expected in result.stdout + result.stderr
        assert state(db) == before
    finally:
        s3.check_output(f"/opt/s3-endpoint/venv/bin/python -c '{PUBLISH_INDEX % (BUCKET, 'private')}'")
    assert run_playbook("--tags", "pgbackrest").returncode == 0


def test_a_ca_the_endpoint_does_not_match_is_refused_and_the_working_one_kept(db):
    """The probe checks a new CA on a scratch copy: refused, it must not replace the CA the WAL archiving uses."""
    other_ca = db.check_output("cat /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt")
    before = state(db)
    result = run_playbook("--tags", "pgbackrest", "-e", json.dumps({"pgbackrest_repo_ca_certificate": other_ca}))
    assert result.returncode != 0
    assert "did not answer" in result.stdout + result.stderr and "over verified TLS" in result.stdout + result.stderr
    assert state(db) == before
