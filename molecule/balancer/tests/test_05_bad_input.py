"""Bad input fails before any change, with a message naming the variable."""

import json

import pytest

from tests.lib.molecule_helpers import run_playbook

CASES = [
    ({"django_app_allowed_hosts": []}, "django_app_allowed_hosts"),
    ({"vault_django_secret_key": "too-short-key"}, "django_app_secret_key"),
    # A stack_* setting is named as the user set it (playbooks/inputs.yml runs first).
    ({"stack_db_password": ""}, "stack_db_password is empty"),
]


@pytest.mark.parametrize(("extra", "variable"), CASES, ids=[c[1] for c in CASES])
def test_bad_input_fails_before_any_change(extra, variable):
    # The app hosts, where these inputs are validated (the other hosts' facts
    # come from the cache, as in a user's --limit run).
    result = run_playbook("--limit", "appservers", "-e", json.dumps(extra))
    assert result.returncode != 0
    # ansible-core prints task errors on stderr.
    assert variable in result.stdout + result.stderr
    assert result.recap is not None and set(result.recap.hosts) == {"lb-app1", "lb-app2"}, "no app host ran"
    assert all(r.changed == 0 for r in result.recap.hosts.values()), result.recap
