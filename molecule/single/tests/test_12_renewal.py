"""Renewal against the ACME server, and a reload (not a restart) of nginx."""

import time

from conftest import ACME_SERVER, CERTBOT_ENV, served_certificate


def test_renewal_timer_is_enabled(web):
    assert web.service("certbot.timer").is_enabled


def test_renewal_keeps_the_configured_server(web):
    conf = web.file("/etc/letsencrypt/renewal/polls.conf").content_string
    assert f"server = {ACME_SERVER}" in conf


def test_renewal_dry_run_succeeds(web):
    result = web.run(f"{CERTBOT_ENV} certbot renew --dry-run --no-random-sleep-on-renew --server {ACME_SERVER}")
    assert result.rc == 0, result.stdout + result.stderr


def test_forced_renewal_is_served_after_a_reload(web, client):
    before = served_certificate(client)
    pid = web.file("/run/nginx.pid").content_string.strip()
    result = web.run(f"{CERTBOT_ENV} certbot renew --force-renewal --no-random-sleep-on-renew --server {ACME_SERVER}")
    assert result.rc == 0, result.stdout + result.stderr
    after = before
    for _ in range(20):  # the reload is asynchronous: poll briefly for the new workers
        after = served_certificate(client)
        if after and after != before:
            break
        time.sleep(0.25)
    assert after.split("\n")[0] != before.split("\n")[0], "the serial did not change"
    assert web.file("/run/nginx.pid").content_string.strip() == pid, "nginx was restarted"
