"""roles/acme_server and certbot_ca_certificate: bad input fails in the checks, naming the variable and the value.

Each case runs the role's `validate` entry point (as preflight.yml does) on
localhost with --tags always: only the checks can run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def validate(tmp_path, role: str, variables: dict) -> tuple[int, str]:
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tags": ["always"], "vars": variables,
             "tasks": [{"ansible.builtin.include_role": {"name": f"django_stack.deploy.{role}", "tasks_from": "validate"}}]}]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "--tags", "always", str(playbook),
           "-e", f"ansible_python_interpreter={sys.executable}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"acme_server_dns_address": "polls.localhost"}, "acme_server_dns_address must be an IPv4 address or empty, got polls.localhost"),
        ({"acme_server_dns_address": "10.0.0.256"}, "got 10.0.0.256"),
        ({"acme_server_port": 70000}, "acme_server_port must be a port between 1 and 65535, got 70000"),
        ({"acme_server_tls_names": ["https://acme"]}, "acme_server_tls_names must be a non-empty list of host names"),
    ],
)
def test_bad_acme_server_input_is_refused_by_name(tmp_path, variables, expected):
    rc, output = validate(tmp_path, "acme_server", variables)
    assert rc != 0
    assert expected in output, output


def test_good_acme_server_input_passes(tmp_path):
    rc, output = validate(tmp_path, "acme_server", {"acme_server_dns_address": "172.18.0.4"})
    assert rc == 0, output


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"certbot_ca_certificate": "not a certificate", "certbot_ca_bundle": "/etc/ssl/acme.pem"},
         "certbot_ca_certificate must be PEM text (got not a certificate)"),
        ({"certbot_ca_certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "certbot_ca_bundle": ""},
         "certbot_ca_bundle the absolute path to write it to (got '')"),
    ],
)
def test_a_bad_acme_ca_for_certbot_is_refused_by_name(tmp_path, variables, expected):
    rc, output = validate(tmp_path, "certbot", {"certbot_domains": ["polls.example.com"], **variables})
    assert rc != 0
    assert expected in output.replace("\n", " "), output
