"""A real browser uses the site: headless Chromium through the balancer (scripts/smoke.py).

The browser runs on the test machine and trusts pebble's root and the S3
endpoint's CA (both copied to the scenario's directory by their roles), never
ignoring a certificate error; it reaches the site's name at the balancer and
the endpoint's name at lb-s3. This is what `make smoke` does on the local
droplets.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import ADMIN_PASSWORD, DOMAIN, EPHEMERAL, ROOT, SITE, boto, private_ip

SMOKE = ROOT / "scripts" / "smoke.py"
REPORTS = ROOT / "reports" / "smoke-balancer"


@pytest.fixture(scope="module")
def browser(balancer, s3):
    """Run the visit, or some of its steps; returns the finished process."""

    def visit(*args: str, reports=REPORTS) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(SMOKE), "--site", SITE,
               "--resolve", f"{DOMAIN}={private_ip(balancer)}", "--resolve", f"lb-s3={private_ip(s3)}",
               "--ca", str(EPHEMERAL / "acme-root.pem"), "--ca", str(EPHEMERAL / "s3-endpoint-ca.pem"),
               "--reports", str(reports), *args]
        env = {**os.environ, "SMOKE_ADMIN_PASSWORD": ADMIN_PASSWORD}
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        print(result.stdout, result.stderr)
        return result

    return visit


def test_a_person_reads_polls_logs_in_adds_a_question_and_votes(browser):
    result = browser()
    assert result.returncode == 0, result.stderr
    assert "all 7 steps passed" in result.stdout
    shots = sorted(REPORTS.glob("*.png"))
    assert [shot.name for shot in shots][-1] == "07-expired-CSRF-cookie.png"
    assert all(shot.stat().st_size > 5000 for shot in shots)


def test_a_cors_rule_for_another_origin_fails_the_admin_stylesheet_check(browser, app1):
    saved = boto(app1, "cors")
    assert saved.rc == 0, saved.stderr
    elsewhere = [{"AllowedOrigins": ["https://elsewhere.example"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 600}]
    try:
        assert boto(app1, "put-cors", json.dumps(elsewhere)).rc == 0
        result = browser("--steps", "admin stylesheet", reports=REPORTS.parent / "smoke-balancer-cors")
    finally:
        restored = boto(app1, "put-cors", saved.stdout.strip())
    assert restored.rc == 0, restored.stderr
    assert result.returncode == 1
    assert "step 'admin stylesheet' failed" in result.stderr
    assert "CORS request" in result.stderr
