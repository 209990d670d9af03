"""The S3 test endpoint (lb-s3, the static files' bucket) under its sandbox drop-in."""

from tests.lib.molecule_helpers import systemd_exposure

# The unit's own four settings: 8.3 ("EXPOSED"); with the role's sandbox
# drop-in: 1.2.
S3_ENDPOINT_MAX_EXPOSURE = 1.5

# A signed bucket and object write, then an anonymous read of the public
# object, all over TLS: moto works inside the sandbox. The key pair is read on
# the host (root-only file), so it never shows in a command line or a log.
ROUND_TRIP = """
import ssl, urllib.request
import boto3
from botocore.config import Config
env = dict(line.split("=", 1) for line in open("/etc/s3-endpoint/credentials.env").read().splitlines()
           if "=" in line and not line.startswith("#"))
s3 = boto3.client("s3", endpoint_url="https://localhost:9000", region_name="us-east-1",
                  verify="/etc/s3-endpoint/ca.pem", config=Config(s3={"addressing_style": "path"}),
                  aws_access_key_id=env["S3_ENDPOINT_ACCESS_KEY"], aws_secret_access_key=env["S3_ENDPOINT_SECRET_KEY"])
s3.create_bucket(Bucket="sandbox-check")  # beside the app's bucket, not in it
s3.put_object(Bucket="sandbox-check", Key="hello.txt", Body=b"sandboxed", ACL="public-read")
context = ssl.create_default_context(cafile="/etc/s3-endpoint/ca.pem")
print(urllib.request.urlopen("https://localhost:9000/sandbox-check/hello.txt", context=context).read().decode())
"""


def test_s3_endpoint_is_sandboxed(s3):
    assert systemd_exposure(s3, "s3-endpoint.service") <= S3_ENDPOINT_MAX_EXPOSURE
    assert s3.file("/etc/systemd/system/s3-endpoint.service.d/sandbox.conf").exists


def test_s3_endpoint_serves_inside_the_sandbox(s3):
    out = s3.check_output("/opt/s3-endpoint/venv/bin/python -c %s", ROUND_TRIP)
    assert out.strip() == "sandboxed"
