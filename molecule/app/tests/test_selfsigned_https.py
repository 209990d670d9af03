"""The single-host web tier with certbot_mode selfsigned: nginx on the app host terminates TLS itself."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import UnixClient  # noqa: E402

testinfra_hosts = ["app-git"]

# The self-signed certificate is its own CA: clients that were given it verify the site.
CERT = "/etc/ssl/django-stack/polls.crt"
DOMAIN = "app.test"
ADMIN_PASSWORD = "app-single-admin-pw"  # converge.yml


def test_the_certificate_names_the_site_and_signs_itself(host):
    text = host.check_output(f"openssl x509 -in {CERT} -noout -subject -issuer -ext subjectAltName")
    assert f"DNS:{DOMAIN}" in text
    subject, issuer = (re.search(rf"^{field}=(.*)$", text, re.MULTILINE).group(1) for field in ("subject", "issuer"))
    assert subject == issuer


def test_nginx_serves_verified_https_and_the_admin_login_with_secure_cookies(host):
    site = UnixClient(host, https=CERT, server=DOMAIN, jar="/tmp/selfsigned-jar")
    status, head, body = site.request("/admin/login/?next=/admin/")
    assert status == 200
    assert re.search(r"set-cookie: csrftoken=[^\n]*; secure", head, re.IGNORECASE), head
    status, head, _ = site.request(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": site.csrf_token(body), "username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"},
    )
    assert status == 302, head
    status, _, body = site.request("/admin/")
    assert status == 200 and "Site administration" in body
    # Another CA does not vouch for it.
    other = host.run(f"curl -sS -o /dev/null --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/polls/")
    assert other.rc != 0 and "certificate" in other.stderr.lower()


def test_pages_link_hashed_static_files_with_a_manifest_per_version(host):
    """django_app_static_hashed_names: the page links polls/style.<hash>.css, nginx serves it with the
    release's bytes, and the manifest is named after the version (the plain name stays too)."""
    site = UnixClient(host, https=CERT, server=DOMAIN)
    status, _, page = site.request("/polls/")
    assert status == 200
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert re.fullmatch(r"/static/polls/style\.[0-9a-f]{12}\.css", href), href
    status, _, css = site.request(href)
    assert status == 200
    assert css == host.file("/srv/polls/app/polls/static/polls/style.css").content_string
    manifest = host.file("/srv/polls/static/staticfiles-1.json")
    assert manifest.user == "polls" and href.removeprefix("/static/") in manifest.content_string
    assert host.file("/srv/polls/static/polls/style.css").exists
