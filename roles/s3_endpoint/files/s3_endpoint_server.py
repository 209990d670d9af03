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
"""

import json
import os
import sys

from moto import settings
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.iam.models import iam_backends
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


def main(argv: list[str]) -> None:
    add_key_pair(os.environ["S3_ENDPOINT_ACCESS_KEY"], os.environ["S3_ENDPOINT_SECRET_KEY"])
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize_s3
    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
