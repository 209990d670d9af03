"""A bad nginx directive fails the run and the previous configuration keeps serving."""

import json

from conftest import ROOT_CA, SITE

from tests.lib.molecule_helpers import run_playbook

SITE_FILE = "/etc/nginx/sites-available/polls"


def test_bad_directive_fails_and_the_old_site_keeps_serving(web, client):
    before = web.file(SITE_FILE).content_string
    result = run_playbook("-t", "web", "-e", json.dumps({"nginx_extra_directives": ["bogus_directive on;"]}))
    assert result.returncode != 0, result.stdout
    output = result.stdout + result.stderr  # failures may go to stderr (display_failed_stderr)
    assert "bogus_directive" in output
    assert "still in place" in output
    assert web.file(SITE_FILE).content_string == before
    # No backup copies are left behind.
    assert [f for f in web.check_output("ls /etc/nginx/sites-available").split() if f.startswith("polls")] == ["polls"]
    assert web.run("nginx -t").rc == 0
    code = client.check_output(f"curl -sS --cacert {ROOT_CA} -o /dev/null -w '%{{http_code}}' {SITE}/polls/")
    assert code == "200"
