"""The database tier's plays (tags base,database) refuse bad input before changing anything.

That a normal run of the same plays changes nothing and prints no secret is
proven for every play at once by the scenario's idempotence and check runs
(tests/run_scenarios.py: the recap of every host, and no vault_* value in any
output, -vvv included), so no second run of them is made here.
"""

import json

import pytest
from tests.lib.molecule_helpers import run_playbook

# The common and database plays of site.yml only (plus the preflight, tagged
# `always`, which validates every role's input), on the database tier: the
# server and its clients (the other hosts' facts come from the cache).
TAGS = ("--tags", "base,database", "--limit", "dbservers,appservers")
HOSTS = {"lb-db", "lb-app1", "lb-app2"}


@pytest.mark.parametrize(
    ("extra_vars", "names"),
    [
        # Named as the user set them (playbooks/inputs.yml runs first in preflight).
        ({"stack_db_password": ""}, ["stack_db_password is empty"]),
        ({"stack_db_port": 70000}, ["stack_db_port must be a TCP port number between 1 and 65535, got 70000"]),
        ({"stack_db_sslmode": "sometimes"}, ["stack_db_sslmode must be one of"]),
    ],
    ids=["empty-password", "port-out-of-range", "unknown-sslmode"],
)
def test_bad_input_fails_before_any_change(extra_vars, names):
    proc = run_playbook(*TAGS, "-e", json.dumps(extra_vars))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert any(name in output for name in names), output
    assert proc.recap is not None, output[-3000:]
    assert set(proc.recap.hosts) == HOSTS
    assert {host: r.changed for host, r in proc.recap.hosts.items()} == dict.fromkeys(proc.recap.hosts, 0)

