"""An S3-compatible endpoint for tests: moto's server with one key pair enforced.

Installed by the s3_endpoint role (django-stack); managed by Ansible.

moto accepts any credentials unless its IAM checks are on, and with them on it
knows only keys it generated itself. This launcher creates one IAM user holding
the key pair given in S3_ENDPOINT_ACCESS_KEY / S3_ENDPOINT_SECRET_KEY, allows
it every S3 action, and turns the checks on, so that a wrong key or secret is
refused as Spaces would refuse it. Requests that carry no signature at all are
let through only where S3 serves anonymous clients: reads of objects (moto
then applies the object's ACL: public-read answers, private gets 403) and CORS
preflights (OPTIONS, which browsers never sign). Any other anonymous request
gets 403.

moto keeps everything in memory. With S3_ENDPOINT_STATE naming a file, the
launcher saves every bucket (objects, ACLs, CORS rules, unfinished multipart
uploads) to it when the service stops, and loads it again when it starts, so
that a restart keeps what the store holds (the backups' repository must
survive one). A kill without SIGTERM loses what changed since the last start.
S3_ENDPOINT_BUCKETS (comma-separated) names private buckets that exist from
the start.
"""

import json
import os
import pickle  # moto's S3 objects define their own pickling; the file is the service's own
import sys

from moto import settings
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.iam.models import iam_backends
from moto.s3.models import s3_backends
from moto.server import main as moto_main

USER = "s3-endpoint"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def add_key_pair(access_key: str, secret_key: str) -> None:
    backend = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_user(region_name="us-east-1", user_name=USER)
    backend.put_user_policy(USER, "s3-all", json.dumps(POLICY))
    key = backend.create_access_key(USER)
    key.access_key_id = access_key
    key.secret_access_key = secret_key


def is_anonymous(response) -> bool:
    query = response.uri.partition("?")[2]
    return "Authorization" not in response.headers and "Signature=" not in query


_authorize_s3 = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action


def authorize_s3(self, bucket_name=None, key_name=None):
    if is_anonymous(self):
        if self.method == "OPTIONS" or (key_name and self.method in ("GET", "HEAD")):
            return None
        raise AccessDeniedError("anonymous", f"s3:{self.method}")
    return _authorize_s3(self, bucket_name=bucket_name, key_name=key_name)


def create_buckets(names: list[str]) -> None:
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for name in names:
        if name not in backend.buckets:
            backend.create_bucket(name, "us-east-1")


def load_state(path: str) -> int:
    """Put the buckets saved by save_state() back; how many there were."""
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as state:
        buckets = pickle.load(state)  # noqa: S301 (written by this service only, in its private state directory)
    s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.update(buckets)
    return len(buckets)


def save_state(path: str) -> None:
    """Write every bucket to `path`, atomically (a new file renamed over the old one)."""
    new = f"{path}.new"
    with open(new, "wb") as state:
        pickle.dump(s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets, state)
        state.flush()
        os.fsync(state.fileno())
    os.replace(new, path)


def main(argv: list[str]) -> None:
    add_key_pair(os.environ["S3_ENDPOINT_ACCESS_KEY"], os.environ["S3_ENDPOINT_SECRET_KEY"])
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize_s3
    state = os.environ.get("S3_ENDPOINT_STATE", "")
    if state:
        print(f"loaded {load_state(state)} bucket(s) from {state}", flush=True)
    # buckets named now are created only if the saved state lacks them
    create_buckets([name for name in os.environ.get("S3_ENDPOINT_BUCKETS", "").split(",") if name])
    try:
        moto_main(argv)  # returns (SystemExit) on SIGTERM or SIGINT
    finally:
        if state:
            save_state(state)
            print(f"saved the buckets to {state}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
