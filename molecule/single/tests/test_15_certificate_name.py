"""The certificate's name is derived once: overriding certbot_cert_name moves certbot and nginx together.

certbot gets a certificate under the new name from pebble, nginx serves that
one; a run without the override brings the site back to the old name's
certificate (which certbot kept). The new name's lineage is deleted after.
"""

import json

from conftest import served_certificate

from tests.lib.molecule_helpers import run_playbook

SITE_CONF = "/etc/nginx/sites-available/polls"


def web_run(**extra):
    result = run_playbook("--tags", "web", "--limit", "appservers", *(["-e", json.dumps(extra)] if extra else []))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def serial(host, path: str) -> str:
    return host.check_output(f"openssl x509 -noout -serial -in {path}")


def test_a_new_certificate_name_moves_certbot_and_nginx_together(web, client):
    try:
        web_run(certbot_cert_name="polls-renamed")
        renamed = "/etc/letsencrypt/live/polls-renamed/fullchain.pem"
        assert web.file(renamed).exists, "certbot wrote no certificate under the new name"
        assert renamed in web.file(SITE_CONF).content_string
        assert served_certificate(client).split("\n")[0] == serial(web, renamed)
    finally:
        web_run()
        web.run("certbot delete --non-interactive --cert-name polls-renamed")
    original = "/etc/letsencrypt/live/polls/fullchain.pem"
    assert original in web.file(SITE_CONF).content_string
    assert served_certificate(client).split("\n")[0] == serial(web, original)
    assert not web.file("/etc/letsencrypt/live/polls-renamed").exists
