import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import get_host  # noqa: E402

DOMAINS = ["polls.edge.test", "www.polls.edge.test"]
SITE = "https://polls.edge.test"
ROOT_CA = "/tmp/pebble-root.pem"
ACME_SERVER = "https://edge-acme:14000/dir"
CERTBOT_ENV = "REQUESTS_CA_BUNDLE=/etc/ssl/pebble-listener.pem"


@pytest.fixture(scope="session")
def web():
    return get_host("edge-web")


@pytest.fixture(scope="session")
def client():
    host = get_host("edge-client")
    # Pebble's issuing root becomes the client's only CA (-k for this one fetch:
    # pebble's management API has its own self-signed certificate).
    host.check_output(f"curl -sSfk -o {ROOT_CA} https://edge-acme:15000/roots/0")
    return host


def served_certificate(client, *options: str) -> str:
    """The certificate text nginx presents to a client (or '' when the handshake fails)."""
    cmd = (
        f"openssl s_client -connect polls.edge.test:443 -servername polls.edge.test {' '.join(options)} </dev/null 2>/dev/null"
        " | openssl x509 -noout -serial -issuer -ext subjectAltName"
    )
    return client.run(cmd).stdout
