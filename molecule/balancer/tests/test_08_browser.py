"""A real browser uses the site: headless Chromium on the client, through the balancer (scripts/smoke.py).

The browser runs on lb-client, inside the scenario's network (on the test
machine itself, Chromium dropped its requests whenever Docker added or removed
an interface for another scenario: ERR_NETWORK_CHANGED). It trusts pebble's
root and the S3 endpoint's CA (both copied to the scenario's directory by
their roles), never ignoring a certificate error, and reaches the site's name
and the endpoint's through the network's DNS. This is what `make smoke` does
on the local droplets; the screenshots are copied to reports/.
"""

import json

import pytest
from conftest import ADMIN_PASSWORD, EPHEMERAL, ROOT, SITE, boto, write_file

SMOKE = "/usr/local/bin/smoke.py"
SECRETS_FILE = "/root/smoke-secrets.yml"
CAS = {"/usr/local/share/smoke/acme-root.pem": EPHEMERAL / "acme-root.pem",
       "/usr/local/share/smoke/s3-endpoint-ca.pem": EPHEMERAL / "s3-endpoint-ca.pem"}


@pytest.fixture(scope="module")
def browser(client):
    """Run the visit (or some of its steps) on the client; returns the result, screenshots copied to reports/."""
    write_file(client, SMOKE, (ROOT / "scripts" / "smoke.py").read_text(), mode="0755")
    for dest, source in CAS.items():
        write_file(client, dest, source.read_text())
    # Root-only, so that the password is on no command line.
    write_file(client, SECRETS_FILE, f"vault_django_superuser_password: {json.dumps(ADMIN_PASSWORD)}", mode="0600")

    def visit(*args: str, name: str = "smoke-balancer"):
        reports = f"/tmp/{name}"
        client.run(f"rm -rf {reports}")
        cas = " ".join(f"--ca {dest}" for dest in CAS)
        result = client.run(f"python3 {SMOKE} --site {SITE} {cas} --secrets-file {SECRETS_FILE} --reports {reports} {' '.join(args)}")
        print(result.stdout, result.stderr)
        local = ROOT / "reports" / name
        local.mkdir(parents=True, exist_ok=True)
        for shot in client.check_output(f"ls {reports} 2>/dev/null || true").split():
            (local / shot).write_bytes(client.file(f"{reports}/{shot}").content)
        return result, local

    return visit


def test_a_person_reads_polls_logs_in_adds_a_question_and_votes(browser):
    result, shots = browser()
    assert result.rc == 0, result.stdout + result.stderr
    assert "all 7 steps passed" in result.stdout
    names = sorted(shot.name for shot in shots.glob("*.png"))
    assert names[-1] == "07-expired-CSRF-cookie.png"
    assert all((shots / name).stat().st_size > 5000 for name in names)


def test_a_cors_rule_for_another_origin_fails_the_admin_stylesheet_check(browser, app1):
    saved = boto(app1, "cors")
    assert saved.rc == 0, saved.stderr
    elsewhere = [{"AllowedOrigins": ["https://elsewhere.example"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 600}]
    try:
        assert boto(app1, "put-cors", json.dumps(elsewhere)).rc == 0
        result, _ = browser("--steps", "'admin stylesheet'", name="smoke-balancer-cors")
    finally:
        restored = boto(app1, "put-cors", saved.stdout.strip())
    assert restored.rc == 0, restored.stderr
    assert result.rc == 1
    assert "step 'admin stylesheet' failed" in result.stderr
    assert "CORS request" in result.stderr
