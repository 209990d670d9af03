"""The site as a browser sees it: redirects, a trusted certificate, modern TLS only."""

import re

import pytest
from conftest import DOMAINS, ROOT_CA, SECRETS, SITE, served_certificate


def curl(client, url: str, *args: str) -> str:
    return client.check_output(f"curl -sS --cacert {ROOT_CA} {' '.join(args)} {url}")


def test_http_redirects_to_https(client):
    out = curl(client, "http://polls.pool.test/polls/", "-o /dev/null", "-w '%{http_code} %{redirect_url}'")
    assert out == "301 https://polls.pool.test/polls/"


def test_acme_webroot_is_served_over_http(client):
    code = curl(client, "http://polls.pool.test/.well-known/acme-challenge/none", "-o /dev/null", "-w '%{http_code}'")
    assert code == "404"


def test_https_answers_with_a_certificate_pebble_issued(client):
    assert curl(client, f"{SITE}/polls/", "-o /dev/null", "-w '%{http_code}'") == "200"
    assert curl(client, "https://www.polls.pool.test/polls/", "-o /dev/null", "-w '%{http_code}'") == "200"


def test_certificate_names_and_issuer(client):
    text = served_certificate(client)
    assert sorted(re.findall(r"DNS:([^,\s]+)", text)) == sorted(DOMAINS)
    assert "Pebble Intermediate" in text


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_tls_is_refused(client, version):
    # SECLEVEL=0: the client would offer them; the refusal is the server's.
    cmd = f"openssl s_client -connect polls.pool.test:443 -servername polls.pool.test {version} -cipher 'DEFAULT@SECLEVEL=0' </dev/null"
    assert client.run(cmd).rc != 0


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_modern_tls_is_accepted(client, version):
    cmd = (
        f"openssl s_client -connect polls.pool.test:443 -servername polls.pool.test {version}"
        f" -CAfile {ROOT_CA} -verify_return_error </dev/null"
    )
    assert client.run(cmd).rc == 0


@pytest.mark.parametrize("path", ["/polls/", "/static/admin/css/base.css"])
def test_hsts_header_once(client, path):
    headers = curl(client, f"{SITE}{path}", "-o /dev/null", "-D -").lower()
    assert headers.count("strict-transport-security:") == 1, headers
    # The default: two years, no includeSubDomains, no preload.
    values = [line.split(":", 1)[1].strip() for line in headers.splitlines() if line.startswith("strict-transport-security:")]
    assert values == ["max-age=63072000"], headers


@pytest.mark.parametrize(
    "url",
    [
        f"{SITE}/polls/",  # proxied to gunicorn
        f"{SITE}/static/admin/css/base.css",  # a file nginx serves itself
        f"{SITE}/static/no-such-file.css",  # nginx's own error page
        "http://polls.pool.test/polls/",  # the redirect to HTTPS
    ],
)
def test_server_header_names_no_version(client, url):
    headers = curl(client, url, "-o /dev/null", "-D -").lower()
    servers = [line.split(":", 1)[1].strip() for line in headers.splitlines() if line.startswith("server:")]
    assert servers == ["nginx"], headers


def test_static_files_are_served_by_nginx_with_a_long_cache(client):
    headers = curl(client, f"{SITE}/static/admin/css/base.css", "-o /dev/null", "-D -").lower()
    assert headers.startswith("http/2 200") or headers.startswith("http/1.1 200"), headers
    assert "cache-control: max-age=2592000" in headers
    assert "cache-control: public" in headers


def test_admin_login_over_https_with_secure_cookies(client):
    jar = "/tmp/web-cookies.txt"
    client.run(f"rm -f {jar}")
    base = f"-b {jar} -c {jar} -o /tmp/web-body.html -D - -w '\\n%{{http_code}}'"
    headers = curl(client, f"'{SITE}/admin/login/?next=/admin/'", base)
    assert headers.strip().endswith("200")
    assert re.search(r"set-cookie: csrftoken=[^\n]*; secure", headers, re.IGNORECASE), headers
    body = client.file("/tmp/web-body.html").content_string
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    headers = curl(
        client,
        f"'{SITE}/admin/login/?next=/admin/'",
        base,
        f"-H 'Referer: {SITE}/admin/login/'",
        f"--data-urlencode csrfmiddlewaretoken={token}",
        "--data-urlencode username=admin",
        f"--data-urlencode password={SECRETS['login']}",
        "--data-urlencode next=/admin/",
    )
    assert headers.strip().endswith("302"), headers
    assert re.search(r"^location: /admin/\s*$", headers, re.IGNORECASE | re.MULTILINE), headers
    assert re.search(r"set-cookie: sessionid=[^\n]*; secure", headers, re.IGNORECASE), headers
    assert curl(client, f"{SITE}/admin/", base).strip().endswith("200")
    assert "Site administration" in client.file("/tmp/web-body.html").content_string


def test_django_deploy_checks_pass(web):
    result = web.run("polls-manage check --deploy --fail-level WARNING")
    assert result.rc == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_other_names_get_no_answer(client):
    # Not one of the site's names (here `localhost`, which Django's
    # ALLOWED_HOSTS holds for requests made on the host itself): nginx closes
    # the connection (444: curl's "empty reply", exit 52), over HTTP and HTTPS.
    for scheme in ("http", "https"):
        result = client.run(f"curl -sS -k --http1.1 -o /dev/null -H 'Host: localhost' {scheme}://polls.pool.test/polls/")
        assert result.rc == 52, (scheme, result.rc, result.stderr)
