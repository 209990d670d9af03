"""The balancer holds the certificate, terminates TLS and spreads requests over both app hosts."""

import re
import uuid

from conftest import ADMIN_PASSWORD, DOMAIN, LINKED_CSS, S3_CA, SITE, Load, curl, private_ip, write_file

from tests.lib.molecule_helpers import UnixClient


def test_https_through_the_balancer_with_pebbles_certificate(client):
    assert curl(client, f"{SITE}/polls/", "-o /dev/null", "-w '%{http_code}'") == "200"
    assert curl(client, "https://www.polls.lb.test/polls/", "-o /dev/null", "-w '%{http_code}'") == "200"
    text = client.check_output(
        "openssl s_client -connect polls.lb.test:443 -servername polls.lb.test </dev/null 2>/dev/null | openssl x509 -noout -issuer"
    )
    assert "Pebble Intermediate" in text


def test_http_redirects_to_https_on_the_balancer(client):
    out = curl(client, "http://polls.lb.test/polls/", "-o /dev/null", "-w '%{http_code} %{redirect_url}'")
    assert out == "301 https://polls.lb.test/polls/"


def test_hsts_once_with_the_chosen_flags(client, app1):
    # molecule.yml sets stack_hsts_include_subdomains: the balancer sends it,
    # once, and Django's settings (whose header is hidden) say the same.
    headers = curl(client, f"{SITE}/polls/", "-o /dev/null", "-D -").lower().splitlines()
    values = [line.split(":", 1)[1].strip() for line in headers if line.startswith("strict-transport-security:")]
    assert values == ["max-age=63072000; includesubdomains"], headers
    settings = app1.file("/etc/polls/django_stack_settings.py").content_string
    assert "SECURE_HSTS_INCLUDE_SUBDOMAINS = True" in settings
    assert "SECURE_HSTS_SECONDS = 63072000" in settings


def test_the_certificate_lives_on_the_balancer_only(balancer, app1, app2):
    assert balancer.file("/etc/letsencrypt/live/polls/fullchain.pem").exists
    for app in (app1, app2):
        assert not app.file("/etc/letsencrypt/live/polls").exists
        assert app.run("ss -Htln 'sport = :443'").stdout.strip() == ""


def test_requests_reach_both_app_hosts(client, app1, app2):
    marker = uuid.uuid4().hex
    for i in range(12):
        curl(client, f"{SITE}/polls/?spread={marker}-{i}", "-o /dev/null")
    seen = {}
    for name, app in (("app1", app1), ("app2", app2)):
        log = app.check_output(f"grep -c 'spread={marker}' /var/log/nginx/access.log || true")
        seen[name] = int(log.strip() or 0)
    assert seen["app1"] > 0 and seen["app2"] > 0, seen
    assert seen["app1"] + seen["app2"] == 12, seen


def test_app_hosts_log_the_clients_address(client, app1, app2):
    marker = uuid.uuid4().hex
    for i in range(4):
        curl(client, f"{SITE}/polls/?who={marker}-{i}", "-o /dev/null")
    lines = "".join(app.run(f"grep 'who={marker}' /var/log/nginx/access.log").stdout for app in (app1, app2))
    addresses = {line.split()[0] for line in lines.splitlines()}
    assert addresses == {private_ip(client)}, lines


def test_app_hosts_listen_on_their_private_address_only(app1):
    listening = app1.check_output("ss -Htln 'sport = :80'")
    assert f"{private_ip(app1)}:80" in listening
    assert "0.0.0.0:80" not in listening and "*:80" not in listening


def test_app_hosts_refuse_http_from_anyone_but_the_balancer(client, app1):
    # UFW drops it: no answer at all within the time limit.
    result = client.run(f"curl -sS -m 3 -o /dev/null -w '%{{http_code}}' http://{private_ip(app1)}/polls/")
    assert result.rc != 0


def test_forwarded_proto_is_believed_from_the_balancer_only(app1):
    # From the app host itself (not the balancer) a forged X-Forwarded-Proto is
    # ignored: Django sees plain HTTP and redirects to HTTPS.
    ip = private_ip(app1)
    out = app1.check_output(
        f"curl -sS -o /dev/null -w '%{{http_code}} %{{redirect_url}}' -H 'Host: polls.lb.test' -H 'X-Forwarded-Proto: https' http://{ip}/polls/"
    )
    assert out == "301 https://polls.lb.test/polls/"
    # The health check answers over plain HTTP for any Host (balancers probe by address).
    assert app1.check_output(f"curl -sS -o /dev/null -w '%{{http_code}}' http://{ip}/healthz") == "200"


def test_balancer_retries_idempotent_requests_only(balancer):
    conf = balancer.file("/etc/nginx/sites-available/polls-balancer").content_string
    assert re.search(r"proxy_next_upstream error timeout http_502 http_503 http_504;", conf)
    assert "non_idempotent" not in conf
    for name in ("lb-app1", "lb-app2"):
        line = balancer.file(f"/etc/nginx/loadbalancer/polls/{name}.conf").content_string
        assert re.search(r"^server [0-9.]+:80 max_fails=1 fail_timeout=10s;$", line, re.MULTILINE), line


def question(app1, tag):
    out = app1.check_output(
        'polls-manage shell -c "import datetime; from django.utils import timezone; from polls.models import Question\n'
        f"q = Question.objects.create(question_text='Spread {tag}?', pub_date=timezone.now() - datetime.timedelta(hours=1))\n"
        "c = q.choice_set.create(choice_text='Yes'); print(q.id, c.id)\""
    )
    return (int(x) for x in out.split()[-2:])


def test_a_vote_on_one_host_is_seen_on_the_other(app1, app2):
    tag = uuid.uuid4().hex[:8]
    qid, cid = question(app1, tag)
    voter = UnixClient(app1, jar="/tmp/lb-vote.txt")
    status, _, body = voter.request(f"/polls/{qid}/")
    assert status == 200
    status, _, _ = voter.request(
        f"/polls/{qid}/vote/",
        data={"csrfmiddlewaretoken": voter.csrf_token(body), "choice": cid},
        headers={"Referer": f"https://localhost/polls/{qid}/"},
    )
    assert status == 302
    status, _, body = UnixClient(app2, jar="/tmp/lb-results.txt").request(f"/polls/{qid}/results/")
    assert status == 200
    assert re.search(r"Yes -- 1 vote\b", body), body


def test_an_admin_session_made_on_one_host_is_valid_on_the_other(app1, app2):
    login = UnixClient(app1, jar="/tmp/lb-admin.txt")
    status, _, body = login.request("/admin/login/?next=/admin/")
    assert status == 200
    status, head, _ = login.request(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": login.csrf_token(body), "username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"},
        headers={"Referer": "https://localhost/admin/login/"},
    )
    assert status == 302, head
    session = re.search(r"sessionid=([^;\s]+)", head).group(1)
    other = UnixClient(app2, jar="/tmp/lb-admin2.txt")
    status, _, body = other.request("/admin/", headers={"Cookie": f"sessionid={session}"})
    assert status == 200
    assert "Site administration" in body
    # Without the cookie app2 sends the visitor to the login page.
    assert other.request("/admin/")[0] == 302


def test_django_deploy_checks_pass(app1):
    result = app1.run("polls-manage check --deploy --fail-level WARNING")
    assert result.rc == 0, result.stdout + result.stderr


def test_static_files_come_from_the_object_store(client, app1):
    # The page, through the balancer, links the admin CSS on the endpoint; the
    # client fetches it there with the endpoint's CA, and the bucket's CORS
    # rules answer the site's origin only.
    # Behind a balancer under its hashed name (stack_static_hashed_names).
    page = curl(client, f"{SITE}/admin/login/")
    match = LINKED_CSS.search(page)
    assert match, page[:2000]
    css = match.group(1)
    assert 'href="/static/' not in page
    ca = app1.file(S3_CA).content_string
    write_file(client, "/tmp/s3-ca.pem", ca)
    preflight = "-X OPTIONS -o /dev/null -D - -H 'Access-Control-Request-Method: GET'"
    allowed = client.check_output(f"curl -sS --cacert /tmp/s3-ca.pem {preflight} -H 'Origin: {SITE}' '{css}'").lower()
    assert allowed.startswith("http/1.1 200") and f"access-control-allow-origin: {SITE}" in allowed, allowed
    other = client.check_output(f"curl -sS --cacert /tmp/s3-ca.pem {preflight} -H 'Origin: https://evil.example' '{css}'")
    assert "access-control-allow-origin" not in other.lower(), other
    body = client.check_output(f"curl -sS --cacert /tmp/s3-ca.pem -w '\\n%{{http_code}}' '{css}'")
    assert body.endswith("\n200") and "{" in body


def test_other_names_get_no_answer_from_the_balancer(client, balancer):
    # An address or a name that is not the site's (here `localhost`, which
    # Django's ALLOWED_HOSTS holds for requests made on the app host itself):
    # nginx closes the connection (444): no status line comes back. curl calls
    # that an "empty reply" (exit 52); over TLS, the curl of Debian 13
    # (OpenSSL 3.5) reports the close as an unexpected EOF (exit 56).
    ip = private_ip(balancer)
    for scheme, closed in (("http", {52}), ("https", {52, 56})):
        result = client.run(f"curl -sS -k --http1.1 -o /dev/null -w '%{{http_code}}' -H 'Host: localhost' {scheme}://{ip}/polls/")
        assert result.rc in closed and result.stdout == "000", (scheme, result.rc, result.stdout, result.stderr)
    assert curl(client, f"{SITE}/polls/", "-o /dev/null", "-w '%{http_code}'") == "200"


def test_app_hosts_answer_the_sites_names_and_probes_only(balancer, app1):
    ip = private_ip(app1)
    other = balancer.run(f"curl -sS -o /dev/null -H 'Host: localhost' http://{ip}/polls/")
    assert other.rc == 52, (other.rc, other.stderr)
    # The health check answers whatever the Host (balancers probe by address).
    assert balancer.check_output(f"curl -sS -o /dev/null -w '%{{http_code}}' -H 'Host: localhost' http://{ip}/healthz") == "200"
    site = f"curl -sS -o /dev/null -w '%{{http_code}}' -H 'Host: {DOMAIN}' -H 'X-Forwarded-Proto: https' http://{ip}/polls/"
    assert balancer.check_output(site) == "200"


def test_a_forced_renewal_reloads_the_balancer_without_a_failed_request(balancer, client):
    """certbot renew --force-renewal against pebble, as the timer would renew: the deploy hook reloads nginx."""
    assert balancer.service("certbot.timer").is_running
    serial = "openssl s_client -connect polls.lb.test:443 -servername polls.lb.test </dev/null 2>/dev/null | openssl x509 -noout -serial"
    before = client.check_output(serial)
    pid = balancer.file("/run/nginx.pid").content_string.strip()
    load = Load(client, "renewal", seconds=15)
    renewal = balancer.run(
        "REQUESTS_CA_BUNDLE=/etc/ssl/pebble-listener.pem certbot renew --force-renewal --no-random-sleep-on-renew"
        " --server https://lb-acme:14000/dir"
    )
    summary = load.finish()
    assert renewal.rc == 0, renewal.stdout + renewal.stderr
    assert client.check_output(serial) != before, "the balancer still serves the old certificate"
    assert balancer.file("/run/nginx.pid").content_string.strip() == pid, "nginx was restarted, not reloaded"
    assert summary["requests"] > 0
    assert summary["failures"] == 0, summary
