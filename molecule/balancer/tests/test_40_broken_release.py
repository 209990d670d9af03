"""A failing release stops the rollout at the first host; rollback.yml returns to the release live before it.

First a release whose migration fails (release 3: no host switches, the
first host stays out of rotation), and a rollback: back to release 2, the
release live when the rollout started. "The previous release" (app.previous,
what rollback.yml read before the rollout recorded its target) is release 1
on both hosts then, two releases back. Then a release whose health check
fails (release 4: it goes live on the first host only), and a rollback that
brings both hosts back to release 2 again: on app1 it leaves the broken
release, on app2 it changes nothing.
"""

import json

from conftest import (
    LOAD_SECONDS,
    RELEASE_2_MARK,
    SITE,
    STYLESHEET,
    Load,
    curl,
    health,
    make_bad_migration_release,
    make_broken_release,
    make_release_2,
    page_stylesheet,
    private_ip,
)

from tests.lib.molecule_helpers import run_playbook


def test_a_rollout_whose_migration_fails_switches_no_host(client, balancer, app1, app2):
    load = Load(client, "bad-migration", seconds=min(30.0, LOAD_SECONDS))
    extra = {"django_app_version": "3", "django_app_bundled_source": str(make_bad_migration_release())}
    result = run_playbook("-e", json.dumps(extra), playbook="playbooks/rolling_update.yml")
    summary = load.finish()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-4000:]
    assert "no_such_function" in output, output[-4000:]
    assert summary["failures"] == 0, summary
    assert set(summary["versions"]) == {"2"}, summary
    for app in (app1, app2):
        assert app.check_output("readlink /srv/polls/app") == "/srv/polls/releases/2"
        # Recorded before the first batch: the release live when the rollout started.
        assert app.check_output("readlink /srv/polls/app.rollback") == "/srv/polls/releases/2"
        # What a rollback to "the previous release" would pick: two releases back.
        assert app.check_output("readlink /srv/polls/app.previous") == "/srv/polls/releases/1"
    # The host the failing migration ran on stays out of rotation.
    assert " down;" in balancer.file("/etc/nginx/loadbalancer/polls/lb-app1.conf").content_string


def roll_back_to_release_2(client, balancer, apps, name: str) -> None:
    """rollback.yml under the load stream: every host on release 2 and in rotation, 0 failed requests."""
    load = Load(client, name, seconds=min(30.0, LOAD_SECONDS))
    result = run_playbook(playbook="playbooks/rollback.yml")
    summary = load.finish()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert summary["failures"] == 0, summary
    assert set(summary["versions"]) == {"2"}, summary
    for app in apps:
        assert app.check_output("readlink /srv/polls/app") == "/srv/polls/releases/2"
        assert health(balancer, app)["version"] == "2"
    for host in ("lb-app1", "lb-app2"):
        assert " down;" not in balancer.file(f"/etc/nginx/loadbalancer/polls/{host}.conf").content_string


def test_rollback_after_a_failed_migration_returns_to_the_release_live_before(client, balancer, app1, app2):
    roll_back_to_release_2(client, balancer, (app1, app2), "rollback-3")


def test_broken_release_stops_at_the_first_host(client, balancer, app1, app2):
    load = Load(client, "broken", seconds=min(30.0, LOAD_SECONDS))
    extra = {"django_app_version": "4", "django_app_bundled_source": str(make_broken_release())}
    result = run_playbook("-e", json.dumps(extra), "-e", "rolling_health_retries=5", playbook="playbooks/rolling_update.yml")
    summary = load.finish()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-4000:]
    assert "Wait until /healthz answers 200" in output
    assert summary["failures"] == 0, summary
    assert set(summary["versions"]) == {"2"}, summary
    # app1 got release 4 and stays out of rotation; app2 was never touched.
    assert app1.check_output("readlink /srv/polls/app") == "/srv/polls/releases/4"
    assert " down;" in balancer.file("/etc/nginx/loadbalancer/polls/lb-app1.conf").content_string
    assert app2.check_output("readlink /srv/polls/app") == "/srv/polls/releases/2"
    assert " down;" not in balancer.file("/etc/nginx/loadbalancer/polls/lb-app2.conf").content_string
    assert health(balancer, app2)["version"] == "2"
    app1_health = f"http://{private_ip(app1)}/healthz"
    assert balancer.check_output(f"curl -sS -o /dev/null -w '%{{http_code}}' {app1_health}") == "503"
    # Recorded when this rollout started: the release then live on each host.
    for app in (app1, app2):
        assert app.check_output("readlink /srv/polls/app.rollback") == "/srv/polls/releases/2"
    assert app2.check_output("readlink /srv/polls/app.previous") == "/srv/polls/releases/1"


def test_hosts_on_two_releases_each_load_their_own_stylesheet(balancer, app1, app2):
    # The rollout above stopped half-way: app1 serves release 4, whose
    # stylesheet changed, and app2 still serves release 2. With hashed names
    # and a manifest per release both files are in the bucket at once; with
    # one name, release 4's collect would have replaced the CSS app2 links.
    url_4, css_4 = page_stylesheet(balancer, app1)
    url_2, css_2 = page_stylesheet(balancer, app2)
    assert url_4 != url_2
    assert css_4 == (make_broken_release() / STYLESHEET).read_text()
    assert css_2 == (make_release_2() / STYLESHEET).read_text()


def test_rollback_returns_every_host_to_the_release_live_before(client, balancer, app1, app2):
    roll_back_to_release_2(client, balancer, (app1, app2), "rollback-2")
    assert RELEASE_2_MARK in curl(client, f"{SITE}/polls/")
    # Release 2's stylesheet, unchanged by release 4's collect, on every host.
    for app in (app1, app2):
        assert page_stylesheet(balancer, app)[1] == (make_release_2() / STYLESHEET).read_text()
