"""One app host down: the balancer retries idempotent requests on the other, and never replays a POST."""

import re
import time
import uuid

from conftest import ROOT_CA, SITE, Load, private_ip

ERROR_LOG = "/var/log/nginx/error.log"


def log_size(host, path: str) -> int:
    return int(host.check_output(f"stat -c %s {path}"))


def log_since(host, path: str, offset: int) -> str:
    """What was appended to a log after ``offset`` bytes (this test's lines only)."""
    return host.check_output(f"tail -c +{offset + 1} {path}")


def test_site_keeps_answering_while_an_app_host_is_down(client, app2, balancer):
    offset = log_size(balancer, ERROR_LOG)
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
    # The balancer saw app2 fail during this test (connection refused on its
    # address), so the stream really ran against one host down.
    errors = log_since(balancer, ERROR_LOG, offset)
    app2_ip = private_ip(app2)
    refused = [line for line in errors.splitlines() if "upstream" in line and f"{app2_ip}:80" in line]
    assert refused, f"the balancer never saw app2 fail (was it really stopped?):\n{errors[-2000:]}"
    # Both hosts are back in rotation (fail_timeout is 10 s).
    time.sleep(11)


def send(client, method: str, marker: str) -> str:
    """One request through the balancer; returns the status the client got."""
    data = "--data-urlencode choice=1" if method == "POST" else ""
    return client.check_output(
        f"curl -sS --cacert {ROOT_CA} -o /dev/null -w '%{{http_code}}' -X {method} {data} '{SITE}/polls/1/vote/?retry={marker}'"
    )


def hits(app, marker: str) -> list[str]:
    """The (method, status) pairs an app host's nginx logged for one marker."""
    log = app.run(f"grep 'retry={marker}' /var/log/nginx/access.log").stdout
    return re.findall(r'"(GET|POST) [^"]*" (\d{3})', log)


def land_on_app2(client, app2, method: str) -> tuple[str, str]:
    """Send requests until one reaches app2 (round robin alternates); returns its marker and the client's status."""
    for _ in range(8):
        marker = uuid.uuid4().hex
        status = send(client, method, marker)
        if hits(app2, marker):
            return marker, status
        time.sleep(0.2)
    raise AssertionError(f"no {method} reached app2")


def test_a_failing_backend_gets_a_get_retried_but_a_post_not_replayed(client, app1, app2, balancer):
    # app2's nginx stays up but its app is gone: it answers 502 after the
    # request was sent, the case where a retry could run a POST twice.
    app2.check_output("systemctl stop gunicorn.socket gunicorn.service")
    try:
        marker, status = land_on_app2(client, app2, "POST")
        assert hits(app2, marker) == [("POST", "502")]
        assert hits(app1, marker) == [], "the POST was replayed on app1"
        assert status == "502", status
        # After fail_timeout app2 is tried again: a GET that lands on it is
        # passed on to app1 and the client gets app1's answer.
        time.sleep(11)
        marker, status = land_on_app2(client, app2, "GET")
        assert hits(app2, marker) == [("GET", "502")]
        assert [method for method, _ in hits(app1, marker)] == ["GET"], "the GET was not retried on app1"
        assert status == hits(app1, marker)[0][1] and status != "502", status
    finally:
        app2.check_output("systemctl start gunicorn.socket")
    time.sleep(11)
