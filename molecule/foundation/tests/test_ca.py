"""Extra CA trust: the controller's bundle (when it has one) is trusted by the host."""

import os

import pytest

testinfra_hosts = ["ansible://base-host"]

EXTRA = os.environ.get("DJANGO_STACK_EXTRA_CA_FILE", "")


@pytest.mark.skipif(not EXTRA, reason="the controller passed no extra CA bundle")
def test_extra_ca_installed_and_in_the_system_bundle(host):
    cert = host.file("/usr/local/share/ca-certificates/django-stack-extra-0.crt")
    assert cert.exists
    assert cert.user == "root" and cert.mode == 0o644
    with open(EXTRA) as fh:
        first_cert = fh.read().split("-----END CERTIFICATE-----")[0].strip().splitlines()[-1]
    assert first_cert in host.file("/etc/ssl/certs/ca-certificates.crt").content_string


@pytest.mark.skipif(not EXTRA, reason="the controller passed no extra CA bundle")
def test_pip_trusts_the_system_bundle(host):
    assert "cert = /etc/ssl/certs/ca-certificates.crt" in host.file("/etc/pip.conf").content_string


def test_no_stale_extra_certificates(host):
    found = host.run("ls /usr/local/share/ca-certificates/").stdout.split()
    expected = ["django-stack-extra-0.crt"] if EXTRA else []
    assert sorted(f for f in found if f.startswith("django-stack-extra-")) == expected
