"""scripts/smoke.py: its command line, the browser's flags and trust store, and how a step's failure reads."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import smoke  # noqa: E402


def test_resolve_pairs_become_chromium_rules():
    assert smoke.resolver_rules(["polls.localhost=127.0.0.1", "lb-s3=172.18.0.5"]) == (
        "MAP polls.localhost 127.0.0.1, MAP lb-s3 172.18.0.5"
    )


@pytest.mark.parametrize("pair", ["polls.localhost", "=127.0.0.1", "polls.localhost="])
def test_a_malformed_resolve_pair_is_refused(pair):
    with pytest.raises(ValueError, match="NAME=ADDRESS"):
        smoke.resolver_rules([pair])


def test_the_password_comes_from_the_environment_not_the_command_line(monkeypatch):
    monkeypatch.setenv("SMOKE_ADMIN_PASSWORD", "s3cret-from-env")
    opts = smoke.parse(["--site", "https://polls.localhost:8443"])
    assert opts.admin_password == "s3cret-from-env"
    assert opts.steps == smoke.STEPS
    assert opts.question.startswith("Smoke test ")


def test_the_password_can_come_from_the_secrets_file(monkeypatch, tmp_path):
    monkeypatch.delenv("SMOKE_ADMIN_PASSWORD", raising=False)
    secrets = tmp_path / "secrets.yml"
    secrets.write_text("---\nvault_django_superuser_password: from-the-file\n")
    opts = smoke.parse(["--site", "https://x.test", "--secrets-file", str(secrets)])
    assert opts.admin_password == "from-the-file"


def test_no_password_is_refused_when_the_visit_logs_in(monkeypatch, capsys):
    monkeypatch.delenv("SMOKE_ADMIN_PASSWORD", raising=False)
    with pytest.raises(SystemExit):
        smoke.parse(["--site", "https://x.test"])
    assert "SMOKE_ADMIN_PASSWORD" in capsys.readouterr().err
    # A visit that does not log in needs none.
    assert smoke.parse(["--site", "https://x.test", "--steps", "polls page,admin stylesheet"]).steps == (
        "polls page",
        "admin stylesheet",
    )


def test_an_unknown_step_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("SMOKE_ADMIN_PASSWORD", "x")
    with pytest.raises(SystemExit):
        smoke.parse(["--site", "https://x.test", "--steps", "polls page,checkout"])
    assert "checkout" in capsys.readouterr().err


def test_every_step_has_a_method():
    for step in smoke.STEPS:
        assert callable(getattr(smoke.Visit, smoke.step_method(step)))


def test_the_browser_never_ignores_certificate_errors(tmp_path):
    opts = smoke.Options(site="https://x.test", resolve=["x.test=10.0.0.1"])
    args = smoke.chromium_arguments(opts, tmp_path)
    assert not [arg for arg in args if "ignore-certificate" in arg or "insecure" in arg]
    assert f"--user-data-dir={tmp_path}" in args
    assert "--host-resolver-rules=MAP x.test 10.0.0.1" in args
    assert "--disable-background-networking" in args


@pytest.mark.skipif(not shutil.which("certutil"), reason="certutil (libnss3-tools) is not installed")
def test_the_trust_store_holds_each_ca(tmp_path):
    key = tmp_path / "ca.key"
    cert = tmp_path / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=smoke test CA", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    smoke.trust_store(tmp_path / "home", [cert])
    listing = subprocess.run(["certutil", "-d", f"sql:{tmp_path / 'home' / '.pki' / 'nssdb'}", "-L"],
                             check=True, capture_output=True, text=True).stdout
    assert "demo-ca-0" in listing
    assert "C,," in listing


class FakeDriver:
    """What visit() asks of a driver when every step fails on the same page."""

    def __init__(self, code: str):
        self.code = code

    def execute_script(self, script, *args):
        return self.code

    def execute_cdp_cmd(self, command, args):
        assert command == "Network.clearBrowserCookies"

    def save_screenshot(self, path):
        Path(path).write_bytes(b"png")


@pytest.mark.parametrize(("code", "outcome"), [("ERR_NETWORK_CHANGED", "retry"), ("", "failed"), ("ERR_CONNECTION_REFUSED", "failed")])
def test_only_a_network_change_starts_the_visit_again(monkeypatch, tmp_path, code, outcome):
    def broken(self):
        raise smoke.StepFailed("no 'h1'")

    monkeypatch.setattr(smoke.Visit, "polls_page", broken)
    opts = smoke.Options(site="https://x.test", reports=tmp_path, steps=("polls page",))
    assert smoke.visit(opts, FakeDriver(code)) == outcome
    assert (tmp_path / "01-polls-page.png").exists()
