"""One app host stopped: the balancer retries on the other, clients see no failure."""

import time

from conftest import Load


def test_site_keeps_answering_while_an_app_host_is_down(client, app2, balancer):
    load = Load(client, "host-down", seconds=20)
    try:
        time.sleep(3)
        # The whole web tier of app2 goes away: nginx and gunicorn (socket too).
        app2.check_output("systemctl stop nginx gunicorn.socket gunicorn.service")
        time.sleep(12)
    finally:
        app2.check_output("systemctl start gunicorn.socket nginx")
    summary = load.finish()
    assert summary["requests"] >= 50, summary
    assert summary["failures"] == 0, summary
    # Both hosts are back in rotation (fail_timeout is 10 s).
    time.sleep(11)
    log = balancer.run("grep -c 'upstream' /var/log/nginx/error.log").stdout
    assert log.strip() != "0", "the balancer never saw app2 fail (was it really stopped?)"
