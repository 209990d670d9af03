"""gunicorn under systemd socket activation (tutorial step 8).

These run first: no request has reached the app hosts yet.
"""

import shlex
import uuid

import pytest
from conftest import DOMAIN

from tests.lib.molecule_helpers import UnixClient


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_socket_listens_and_service_waits_for_the_first_connection(name, request):
    host = request.getfixturevalue(name)
    assert host.service("gunicorn.socket").is_running
    assert host.service("gunicorn.socket").is_enabled
    assert not host.service("gunicorn.service").is_running
    sock = host.file("/run/gunicorn.sock")
    assert sock.is_socket
    assert (sock.user, sock.group, sock.mode) == ("root", "www-data", 0o660)


def test_first_request_starts_gunicorn_as_the_app_user(app1):
    # A question written to the database first: the page that wakes gunicorn
    # up must be the polls index that Django rendered from it.
    tag = uuid.uuid4().hex[:10]
    code = (
        "import datetime; from django.utils import timezone; from polls.models import Question\n"
        f"Question.objects.create(question_text='Woken {tag}?', pub_date=timezone.now() - datetime.timedelta(minutes=5))"
    )
    app1.check_output(f"polls-manage shell -c {shlex.quote(code)}")
    assert not app1.service("gunicorn.service").is_running
    status, _, body = UnixClient(app1).request("/polls/")
    assert status == 200
    assert "<title>Polls</title>" in body and "<h1>Polls</h1>" in body, body[:500]
    assert f"Woken {tag}?" in body, body[:2000]
    assert app1.service("gunicorn.service").is_running
    users = app1.check_output("ps -o user= --ppid $(systemctl show -p MainPID --value gunicorn.service)").split()
    assert users and set(users) == {"polls"}
    main_user = app1.check_output("ps -o user=,group= -p $(systemctl show -p MainPID --value gunicorn.service)")
    assert main_user.split() == ["polls", "www-data"]


def test_only_the_web_group_can_connect(app1):
    assert UnixClient(app1, user="www-data", jar="/tmp/www-data-jar").request("/polls/")[0] == 200
    refused = app1.run("runuser -u nobody -- curl -sS --unix-socket /run/gunicorn.sock http://localhost/polls/")
    # curl's exit 7: it could not connect (its wording differs between
    # releases: "Couldn't connect" on Debian 12, "Could not connect" on 13).
    assert refused.rc == 7, refused.stderr


def test_unknown_host_header_is_rejected(app1):
    # ALLOWED_HOSTS holds the site's names and localhost, no wildcard.
    assert UnixClient(app1).request("/polls/", server="evil.example")[0] == 400
    assert UnixClient(app1).request("/polls/", server=DOMAIN)[0] == 200


def test_service_is_sandboxed(app1):
    props = app1.check_output(
        "systemctl show gunicorn.service -p NoNewPrivileges -p ProtectSystem -p PrivateTmp -p ProtectHome "
        "-p KillMode -p Type -p TimeoutStopUSec"
    )
    values = dict(line.split("=", 1) for line in props.splitlines())
    assert values["NoNewPrivileges"] == "yes"
    assert values["ProtectSystem"] == "strict"
    assert values["PrivateTmp"] == "yes"
    assert values["ProtectHome"] == "yes"
    assert values["KillMode"] == "mixed"
    assert values["Type"] == "notify"
    assert values["TimeoutStopUSec"] == "35s"


def test_access_log_goes_to_the_journal(app1):
    UnixClient(app1).request("/polls/?from=journal-test")
    log = app1.check_output("journalctl -u gunicorn.service --no-pager -o cat | tail -n 50")
    assert "GET /polls/?from=journal-test" in log
