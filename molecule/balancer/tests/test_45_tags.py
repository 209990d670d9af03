"""Tags select a tier (and change nothing on a converged stack); site.yml never switches releases behind a balancer.

(`--tags balancer` on every host, which must run the balancer's play alone and change only what it is asked to, is
test_60's drain run.)

First, a backend setting that passes the role's validation but that nginx rejects: the balancer's files are put back
as they were, so the tagged run after it (the next test) changes nothing.
"""

import json

from conftest import SITE, curl

from tests.lib.molecule_helpers import run_playbook

BACKENDS = "/etc/nginx/loadbalancer/polls"


def test_backend_lines_that_nginx_rejects_are_taken_back(client, balancer):
    files = f"cd {BACKENDS} && ls -A && md5sum *.conf && stat -c '%U %G %a %n' *.conf"
    before = balancer.check_output(files)
    # A count the role's validation lets through (an int >= 0) but nginx cannot
    # read (it overflows nginx's integers).
    too_many = 99999999999999999999
    # The balancer alone: preflight and the play on the one host it concerns.
    result = run_playbook("--tags", "balancer", "--limit", "loadbalancers", "-e", json.dumps({"loadbalancer_max_fails": too_many}))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-4000:]
    assert "nginx rejected the new backend lines" in output, output[-4000:]
    assert f'invalid parameter "max_fails={too_many}"' in output, output[-4000:]
    # The same files, owners and modes, and no backup copy left beside them.
    assert balancer.check_output(files) == before
    assert balancer.run("nginx -t").rc == 0
    # A reload (what a drain or a renewal does) works, and the site answers.
    assert balancer.run("systemctl reload nginx").rc == 0
    # A connection that an old worker accepts while the reload retires it is closed
    # with an HTTP/2 GOAWAY (curl: "Error in the HTTP2 framing layer"); browsers
    # retry such a request, and so does this check, a few times.
    retry = "--retry 4 --retry-delay 1 --retry-all-errors"
    assert curl(client, f"{SITE}/polls/", retry, "-o /dev/null", "-w '%{http_code}'") == "200"


def test_tag_web_in_check_mode_reports_no_change():
    # The web tier's two kinds of host: an app host's nginx and the balancer
    # (the scenario's check run covers every host in check mode).
    result = run_playbook("--tags", "web", "--check", "--diff", "--limit", "lb-app1,loadbalancers")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "TASK [django_stack.deploy.nginx : Render the site" in result.stdout
    assert "TASK [django_stack.deploy.django_app : Write the deployment settings]" not in result.stdout
    assert result.recap.unclean_hosts() == [], result.recap.changed_tasks


def test_site_yml_does_not_switch_the_release_behind_the_balancer(app1, app2):
    # The hosts run release 2 (rolling update, rollback); without
    # django_app_version in the inventory site.yml would move every host back
    # to release 1 at once. It stops, naming the variable, and changes nothing
    # (the app hosts only: the other tiers do not take part in the refusal).
    result = run_playbook("--tags", "app", "--limit", "appservers")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-4000:]
    assert "but django_app_version is 1" in output, output[-4000:]
    assert "rolling_update.yml" in output
    recap = result.recap.hosts
    assert {r.host for r in recap.values() if r.failed} == {"lb-app1", "lb-app2"}, recap
    assert all(r.changed == 0 for r in recap.values()), recap
    for app in (app1, app2):
        assert app.check_output("readlink /srv/polls/app") == "/srv/polls/releases/2"
