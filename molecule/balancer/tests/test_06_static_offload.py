"""Static files on the S3-compatible endpoint (tutorial step 7): django-storages, CORS, the bucket.

The endpoint (lb-s3) runs moto's server under systemd with TLS from its own
CA and accepts only the scenario's key pair.
"""

import json

import pytest
from conftest import BUCKET, DOMAIN, ENDPOINT, LINKED_CSS, ROOT_CA, S3_CA, SITE, boto

from tests.lib.molecule_helpers import UnixClient, run_playbook

CA = S3_CA
OBJECT_URL = f"{ENDPOINT}/{BUCKET}/static/admin/css/base.css"


def curl(host, *args: str) -> str:
    return host.check_output("curl -sS --cacert " + CA + " " + " ".join(args))


def test_endpoint_runs_sandboxed_with_its_key_pair_private(s3):
    service = s3.service("s3-endpoint.service")
    assert service.is_running and service.is_enabled
    assert s3.check_output("systemctl show -p User --value s3-endpoint.service") == "s3-endpoint"
    credentials = s3.file("/etc/s3-endpoint/credentials.env")
    assert (credentials.user, credentials.group, credentials.mode) == ("root", "root", 0o600)
    assert s3.socket("tcp://0.0.0.0:9000").is_listening


def test_the_endpoints_ca_is_trusted_by_the_app_only(app1, app2):
    for app in (app1, app2):
        ca = app.file(CA)
        assert (ca.user, ca.group, ca.mode) == ("root", "polls", 0o640)
        directory = app.file(CA.rsplit("/", 1)[0])
        assert (directory.user, directory.group, directory.mode) == ("root", "polls", 0o750)
        assert not app.file("/etc/ssl/certs/static-offload-ca.pem").exists
    # The host's other programs do not trust the endpoint's CA (curl: 60,
    # the peer's certificate could not be verified); given the CA, they do.
    refused = app1.run(f"curl -sS -o /dev/null {ENDPOINT}/")
    assert refused.rc == 60, (refused.rc, refused.stderr)
    assert app1.run(f"curl -sS -o /dev/null --cacert {CA} {ENDPOINT}/").rc == 0


def test_bucket_holds_collectstatic_output(app1):
    result = boto(app1, "list")
    assert result.rc == 0, result.stderr
    keys = json.loads(result.stdout)
    assert "static/admin/css/base.css" in keys
    assert "static/polls/style.css" in keys
    assert len([k for k in keys if k.startswith("static/admin/")]) > 50


def test_anonymous_get_of_a_public_url_is_cached_for_a_day(app2):
    headers = curl(app2, "-o /dev/null -D -", OBJECT_URL).lower()
    assert headers.startswith("http/1.1 200")
    assert "cache-control: max-age=86400" in headers


def test_listing_the_bucket_anonymously_is_refused(app2):
    assert curl(app2, "-o /dev/null -w '%{http_code}'", f"{ENDPOINT}/{BUCKET}/") == "403"


@pytest.mark.parametrize(("origin", "allowed"), [(SITE, True), ("https://www.polls.lb.test", True), ("https://evil.example", False)])
def test_cors_preflight_allows_only_the_site(app1, origin, allowed):
    out = curl(
        app1, "-X OPTIONS -o /dev/null -D -", f"-H 'Origin: {origin}'", "-H 'Access-Control-Request-Method: GET'", OBJECT_URL
    ).lower()
    if allowed:
        assert out.startswith("http/1.1 200")
        assert f"access-control-allow-origin: {origin}" in out
    else:
        assert "access-control-allow-origin" not in out


def test_bucket_cors_rules_are_the_configured_ones(app1):
    result = boto(app1, "cors")
    assert result.rc == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"AllowedOrigins": [SITE, "https://www.polls.lb.test"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 600}
    ]


def test_endpoint_refuses_a_wrong_secret(app1):
    app1.run("printf 'WRONG_SECRET=not-the-secret-key-at-all-000000\\n' > /tmp/wrong.env")
    result = boto(app1, "list", secret_var="WRONG_SECRET", extra_env="/tmp/wrong.env")
    assert result.rc != 0
    assert "SignatureDoesNotMatch" in result.stderr


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_admin_css_links_point_at_the_endpoint(name, request):
    status, _, body = UnixClient(request.getfixturevalue(name), server=DOMAIN).request("/admin/login/")
    assert status == 200
    assert LINKED_CSS.search(body), body[:2000]
    assert 'href="/static/' not in body


def test_nginx_serves_no_static_files_itself(client, app1):
    # The /static/ location is gone: through the balancer the request reaches
    # Django, which has no such page.
    status, _, _ = UnixClient(client, https=ROOT_CA, server=DOMAIN, resolve=None).request("/static/admin/css/base.css")
    assert status == 404
    assert not app1.file("/srv/polls/static/admin").exists


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_keys_are_only_in_the_secrets_file(name, request):
    host = request.getfixturevalue(name)
    env = host.file("/etc/polls/polls.env")
    assert (env.user, env.group, env.mode) == ("root", "polls", 0o640)
    assert "AWS_S3_ACCESS_KEY_ID=" in env.content_string
    assert "AWS_S3_SECRET_ACCESS_KEY=" in env.content_string
    settings = host.file("/etc/polls/django_stack_settings.py").content_string
    assert "storages.backends.s3.S3Storage" in settings
    assert "AWS_S3_SECRET_ACCESS_KEY" not in settings


def test_a_second_run_uploads_nothing(app1):
    """The bucket's digest of the collected files says the release is there: no collectstatic, not even
    for a file deleted by hand (`polls-manage collectstatic` or django_app_collectstatic_force puts it back;
    the app scenario runs the latter)."""
    before = json.loads(boto(app1, "list").stdout)
    assert "static/.django-stack-collected" in before
    assert boto(app1, "delete", "static/polls/style.css").rc == 0
    del before["static/polls/style.css"]
    result = run_playbook("--tags", "static_offload,django_app_manage", "--limit", "appservers")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.recap is not None and result.recap.hosts
    assert result.recap.unclean_hosts() == [], result.recap.changed_tasks
    assert json.loads(boto(app1, "list").stdout) == before

    app1.check_output("polls-manage collectstatic --noinput")
    assert "static/polls/style.css" in json.loads(boto(app1, "list").stdout)
    assert curl(app1, "-o /dev/null -w '%{http_code}'", f"{ENDPOINT}/{BUCKET}/static/polls/style.css") == "200"


def test_wrong_credentials_fail_clearly_and_the_site_keeps_its_static_files(app1):
    wrong = "Wr0ngSecretForTheTest-kT5vB8nM2qX7zL4p"
    result = run_playbook("--tags", "static_offload", "--limit", "appservers", "-e", json.dumps({"static_offload_secret_key": wrong}))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "refused the credentials" in output
    assert "vault_static_offload_secret_key" in output
    assert wrong not in output
    assert result.recap is not None
    assert all(r.changed == 0 for r in result.recap.hosts.values()), result.recap
    # The site and its static files are as they were.
    status, _, body = UnixClient(app1, server=DOMAIN).request("/admin/login/")
    assert status == 200 and LINKED_CSS.search(body), body[:2000]
    assert curl(app1, "-o /dev/null -w '%{http_code}'", OBJECT_URL) == "200"
