import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import get_host  # noqa: E402

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
    return get_host("pool-app1")


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
