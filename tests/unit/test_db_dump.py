"""roles/db_dump/files/db_dump.py: names, retention, and a failed pg_dump leaves no object."""

import datetime
import io

import pytest

from tests.lib.loader import load_file

db_dump = load_file("roles/db_dump/files/db_dump.py")

ARGS = ["--endpoint-url", "https://s3.test", "--region", "r", "--bucket", "b", "--prefix", "dumps/", "--keep", "2"]


def test_keys_sort_by_their_utc_time():
    when = datetime.datetime(2026, 12, 4, 21, 5, 9, tzinfo=datetime.UTC)
    assert db_dump.dump_key("/dumps/", "polls", when) == "dumps/polls-20261204T210509Z.dump"


def test_only_the_newest_are_kept():
    keys = [f"dumps/polls-2026120{day}T000000Z.dump" for day in (3, 1, 4, 2)]
    assert db_dump.expired(keys, 2) == ["dumps/polls-20261201T000000Z.dump", "dumps/polls-20261202T000000Z.dump"]
    assert db_dump.expired(keys, 4) == []


class FakeS3:
    def __init__(self, existing):
        self.objects = dict.fromkeys(existing, b"old")

    def upload_fileobj(self, stream, bucket, key):
        self.objects[key] = stream.read()

    def delete_object(self, Bucket, Key):  # noqa: N803 (boto3's names)
        del self.objects[Key]

    def head_object(self, Bucket, Key):  # noqa: N803
        return {"ContentLength": len(self.objects[Key])}

    def get_paginator(self, name):
        s3 = self

        class Pages:
            def paginate(self, Bucket, Prefix):  # noqa: N803
                return [{"Contents": [{"Key": k} for k in s3.objects if k.startswith(Prefix)]}]

        return Pages()


class FakeDump:
    def __init__(self, data, code):
        self.stdout = io.BytesIO(data)
        self.code = code

    def wait(self):
        return self.code


@pytest.fixture
def fake(monkeypatch):
    s3 = FakeS3(["dumps/polls-20261201T000000Z.dump", "dumps/polls-20261202T000000Z.dump", "dumps/other-20260101T000000Z.dump"])
    monkeypatch.setenv("PGDATABASE", "polls")
    monkeypatch.setattr(db_dump, "client", lambda args: s3)
    return s3, monkeypatch


def test_a_dump_is_uploaded_and_the_oldest_expire(fake):
    s3, monkeypatch = fake
    monkeypatch.setattr(db_dump.subprocess, "Popen", lambda argv, stdout: FakeDump(b"PGDMP...", 0))
    assert db_dump.main(ARGS) == 0
    polls = sorted(k for k in s3.objects if k.startswith("dumps/polls-"))
    assert len(polls) == 2 and polls[0] == "dumps/polls-20261202T000000Z.dump"
    assert s3.objects[polls[1]] == b"PGDMP..."
    assert "dumps/other-20260101T000000Z.dump" in s3.objects  # another database's dumps are left alone


def test_a_failed_dump_removes_its_object_and_expires_nothing(fake):
    s3, monkeypatch = fake
    before = dict(s3.objects)
    monkeypatch.setattr(db_dump.subprocess, "Popen", lambda argv, stdout: FakeDump(b"PGDMP partial", 1))
    assert db_dump.main(ARGS) == 1
    assert s3.objects == before


def test_keep_must_be_positive(fake):
    with pytest.raises(SystemExit):
        db_dump.main(ARGS[:-1] + ["0"])
