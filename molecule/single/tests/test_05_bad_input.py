"""Bad input fails before any change, with a message naming the variable.

The preflight does not depend on the layout: these runs were made in the
`balancer` scenario before and run here, in the shorter CI lane. That a
normal run of the same plays changes nothing and prints no secret is proven
for every play at once by the scenario's idempotence and check runs
(tests/run_scenarios.py: the recap of every host, and no vault_* value in any
output), so no second run of them is made here.
"""

import json

import pytest

from tests.lib.molecule_helpers import run_playbook

APP_CASES = [
    ({"django_app_allowed_hosts": []}, "django_app_allowed_hosts"),
    ({"vault_django_secret_key": "too-short-key"}, "django_app_secret_key"),
    # A stack_* setting is named as the user set it (playbooks/inputs.yml runs first).
    ({"stack_db_password": ""}, "stack_db_password is empty"),
]


@pytest.mark.parametrize(("extra", "variable"), APP_CASES, ids=[c[1] for c in APP_CASES])
def test_bad_input_fails_before_any_change(extra, variable):
    # The app host, where these inputs are validated (the other hosts' facts
    # come from the cache, as in a user's --limit run).
    result = run_playbook("--limit", "appservers", "-e", json.dumps(extra))
    assert result.returncode != 0
    # ansible-core prints task errors on stderr.
    assert variable in result.stdout + result.stderr
    assert result.recap is not None and set(result.recap.hosts) == {"pool-app1"}, "no app host ran"
    assert all(r.changed == 0 for r in result.recap.hosts.values()), result.recap


# The common and database plays of site.yml only (plus the preflight, tagged
# `always`, which validates every role's input), on the database tier: the
# server and its client.
DB_TAGS = ("--tags", "base,database", "--limit", "dbservers,appservers")


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
def test_the_database_tier_refuses_bad_input_before_any_change(extra_vars, names):
    proc = run_playbook(*DB_TAGS, "-e", json.dumps(extra_vars))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert any(name in output for name in names), output
    assert proc.recap is not None, output[-3000:]
    assert set(proc.recap.hosts) == {"pool-db1", "pool-app1"}
    assert {host: r.changed for host, r in proc.recap.hosts.items()} == dict.fromkeys(proc.recap.hosts, 0)
