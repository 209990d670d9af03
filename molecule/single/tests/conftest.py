import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import get_host  # noqa: E402

# The web tier: the site's names (network aliases of pool-app1), pebble's
# issuing root as the client's only CA, the ACME server certbot uses.
DOMAINS = ["polls.pool.test", "www.polls.pool.test"]
SITE = "https://polls.pool.test"
ROOT_CA = "/tmp/pebble-root.pem"
ACME_SERVER = "https://pool-acme:14000/dir"
CERTBOT_ENV = "REQUESTS_CA_BUNDLE=/etc/ssl/pebble-listener.pem"
# pebble's root, fetched once (-k for this one fetch: pebble's management API
# has its own self-signed certificate).
FETCH_ROOT = f"curl -sSfk -o {ROOT_CA} https://pool-acme:15000/roots/0"

SECRETS = {
    "app": "pool-db-pw-Vx83kQwe",
    "admin": "pool-admin-pw-Rt62nBzu",
    "login": "pool-login-pw-Jm47cYsa",
    "console": "pool-console-pw-Hd29pLqo",
    "stats": "pool-stats-pw-Wn58tGxa",
    "bench": "pool-bench-pw-Ke71sFmv",
}


@pytest.fixture(scope="session")
def app1():
    host = get_host("pool-app1")
    # For the tests that ask nginx on the host itself over verified HTTPS.
    host.check_output(FETCH_ROOT)
    return host


@pytest.fixture(scope="session")
def web(app1):
    """The app host as the web tier's tests call it: nginx and certbot run there."""
    return app1


@pytest.fixture(scope="session")
def client():
    host = get_host("pool-client")
    host.check_output(FETCH_ROOT)
    return host


@pytest.fixture(scope="session")
def db1():
    return get_host("pool-db1")


@pytest.fixture(scope="session")
def pgpass(app1, db1):
    """root's ~/.pgpass on both hosts, so no password shows on a command line."""
    lines = "\n".join(
        [
            f"127.0.0.1:6432:pgbouncer:pgbouncer_admin:{SECRETS['console']}",
            f"127.0.0.1:6432:pgbouncer:pgbouncer_stats:{SECRETS['stats']}",
            f"*:6432:polls:polls:{SECRETS['app']}",
            f"*:5432:*:dbadmin:{SECRETS['admin']}",
        ]
    )
    for host in (app1, db1):
        host.run(f"umask 077 && cat > /root/.pgpass <<'EOF'\n{lines}\nEOF")
    return "/root/.pgpass"


def console(host, command: str, user: str = "pgbouncer_admin") -> list[list[str]]:
    """Rows of a PgBouncer console command (SHOW ...), as lists of strings."""
    out = host.check_output(f"psql -h 127.0.0.1 -p 6432 -U {user} -At -F '|' pgbouncer -c {command!r}")
    return [line.split("|") for line in out.splitlines() if line]


def server_sql(db1, query: str) -> str:
    """A query on the PostgreSQL server, as its postgres superuser."""
    return db1.check_output(f"runuser -u postgres -- psql -At -c {query!r}")


def served_certificate(client, *options: str) -> str:
    """The certificate text nginx presents to a client (or '' when the handshake fails)."""
    cmd = (
        f"openssl s_client -connect polls.pool.test:443 -servername polls.pool.test {' '.join(options)} </dev/null 2>/dev/null"
        " | openssl x509 -noout -serial -issuer -ext subjectAltName"
    )
    return client.run(cmd).stdout
