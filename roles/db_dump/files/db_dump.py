"""Stream `pg_dump -Fc` of one database into an S3 bucket, then keep the newest N dumps.

Installed by the db_dump role (django-stack); run by db-dump.service.
boto3 does the S3 side (a multipart upload straight from pg_dump's output, so
no copy of the dump lands on the disk). The connection settings come from the
environment (PGHOST, PGDATABASE, ... and ~/.pgpass); the key pair from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (systemd's EnvironmentFile).
A failed pg_dump removes its half-written object and exits non-zero.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys

import boto3
from botocore.config import Config


def dump_key(prefix: str, database: str, when: datetime.datetime) -> str:
    return f"{prefix.strip('/')}/{database}-{when:%Y%m%dT%H%M%SZ}.dump"


def expired(keys: list[str], keep: int) -> list[str]:
    """The keys beyond the newest `keep` (names sort by their UTC timestamp)."""
    return sorted(keys)[:-keep] if len(keys) > keep else []


def client(args: argparse.Namespace):
    return boto3.client(
        "s3",
        endpoint_url=args.endpoint_url,
        region_name=args.region,
        verify=args.ca_file or True,
        config=Config(s3={"addressing_style": args.addressing_style}),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--addressing-style", default="virtual")
    parser.add_argument("--ca-file", default="")
    parser.add_argument("--keep", type=int, required=True)
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be 1 or more")
    s3 = client(args)
    database = os.environ["PGDATABASE"]
    key = dump_key(args.prefix, database, datetime.datetime.now(datetime.UTC))
    dump = subprocess.Popen(["pg_dump", "--format=custom", "--no-password"], stdout=subprocess.PIPE)
    try:
        s3.upload_fileobj(dump.stdout, args.bucket, key)
    finally:
        dump.stdout.close()
        code = dump.wait()
    if code != 0:
        s3.delete_object(Bucket=args.bucket, Key=key)
        print(f"pg_dump failed (exit {code}); removed s3://{args.bucket}/{key}", file=sys.stderr)
        return 1
    size = s3.head_object(Bucket=args.bucket, Key=key)["ContentLength"]
    print(f"dumped {database} to s3://{args.bucket}/{key} ({size} bytes)")
    listing = s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=f"{args.prefix.strip('/')}/{database}-")
    keys = [item["Key"] for page in listing for item in page.get("Contents", [])]
    for old in expired(keys, args.keep):
        s3.delete_object(Bucket=args.bucket, Key=old)
        print(f"expired s3://{args.bucket}/{old}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
