"""The polls app, seen through the gunicorn socket and the database."""

import shlex
import uuid

import hashlib

import pytest
from conftest import ADMIN_PASSWORD, DOMAIN, ROOT_CA, SECRETS, secret_key, write_file

from tests.lib.molecule_helpers import UnixClient


def site(client):
    """Forms and cookies from the client host, over verified HTTPS through the
    balancer, as a browser's would go (the cookies are Secure)."""
    return UnixClient(client, https=ROOT_CA, server=DOMAIN, resolve=None)


def django_shell(host, code: str) -> str:
    return host.check_output(f"polls-manage shell -c {shlex.quote(code)}")


@pytest.fixture(scope="module")
def questions(app1):
    tag = uuid.uuid4().hex[:8]
    out = django_shell(
        app1,
        "import datetime; from django.utils import timezone; from polls.models import Question\n"
        f"past = Question.objects.create(question_text='Past {tag}?', pub_date=timezone.now() - datetime.timedelta(hours=1))\n"
        "yes = past.choice_set.create(choice_text='Yes'); past.choice_set.create(choice_text='No')\n"
        f"future = Question.objects.create(question_text='Future {tag}?', pub_date=timezone.now() + datetime.timedelta(days=3))\n"
        "print(past.id, yes.id, future.id)",
    )
    past, choice, future = (int(x) for x in out.split()[-3:])
    return {"tag": tag, "past": past, "choice": choice, "future": future}


def test_migrations_are_applied(app1):
    assert app1.run("polls-manage migrate --check").rc == 0
    plan = app1.check_output("polls-manage showmigrations polls")
    assert "[X] 0001_initial" in plan


def test_question_created_through_the_orm_is_listed(client, app1, app2, questions):
    # On each app host (its socket) and through the balancer.
    for host in (app1, app2):
        status, _, body = UnixClient(host, server=DOMAIN).request("/polls/")
        assert status == 200
        assert f"Past {questions['tag']}?" in body
        assert f"Future {questions['tag']}?" not in body
    status, _, body = site(client).request("/polls/")
    assert status == 200 and f"Past {questions['tag']}?" in body


def test_future_question_pages_answer_404(app1, questions):
    assert UnixClient(app1).request(f"/polls/{questions['future']}/")[0] == 404
    assert UnixClient(app1).request(f"/polls/{questions['past']}/")[0] == 200


def votes(host, choice_id: int) -> int:
    return int(django_shell(host, f"from polls.models import Choice; print(Choice.objects.get(pk={choice_id}).votes)").split()[-1])


def test_vote_with_csrf_token_counts_in_the_database(client, app1, app2, questions):
    before = votes(app1, questions["choice"])
    browser = site(client)
    status, _, body = browser.request(f"/polls/{questions['past']}/")
    assert status == 200
    token = browser.csrf_token(body)
    status, headers, _ = browser.request(
        f"/polls/{questions['past']}/vote/", data={"csrfmiddlewaretoken": token, "choice": questions["choice"]}
    )
    assert status == 302
    assert f"/polls/{questions['past']}/results/" in headers
    # Seen from both app hosts: one database behind them.
    assert votes(app1, questions["choice"]) == before + 1
    assert votes(app2, questions["choice"]) == before + 1


def test_vote_without_a_choice_shows_an_error(client, questions):
    browser = site(client)
    token = browser.csrf_token(browser.request(f"/polls/{questions['past']}/")[2])
    status, _, body = browser.request(f"/polls/{questions['past']}/vote/", data={"csrfmiddlewaretoken": token})
    assert status == 200
    assert "You didn&#x27;t select a choice." in body or "You didn't select a choice." in body


def test_vote_without_csrf_token_is_refused(app1, questions):
    status, _, _ = UnixClient(app1).request(f"/polls/{questions['past']}/vote/", data={"choice": questions["choice"]})
    assert status == 403


def test_admin_login_page_answers(app1):
    assert UnixClient(app1).request("/admin/login/")[0] == 200


def test_superuser_can_log_in(client):
    browser = site(client)
    status, _, body = browser.request("/admin/login/?next=/admin/")
    assert status == 200
    token = browser.csrf_token(body)
    status, headers, _ = browser.request(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"},
    )
    assert status == 302, "login refused"
    assert "location: /admin/" in headers.lower()
    status, _, body = browser.request("/admin/")
    assert status == 200
    assert "Site administration" in body


def test_wrong_admin_password_is_refused(client):
    browser = site(client)
    token = browser.csrf_token(browser.request("/admin/login/")[2])
    status, _, body = browser.request(
        "/admin/login/", data={"csrfmiddlewaretoken": token, "username": "admin", "password": "wrong"}
    )
    assert status == 200
    assert "Please enter the correct username and password" in body


def test_superuser_exists_once_with_its_email(app1):
    out = django_shell(
        app1,
        "from django.contrib.auth import get_user_model; U = get_user_model()\n"
        "print(U.objects.filter(is_superuser=True).count(), U.objects.get(username='admin').email)",
    )
    assert out.split()[-2:] == ["1", "admin@polls.lb.test"]


def test_debug_is_off(app1):
    status, _, body = UnixClient(app1).request("/no-such-page/")
    assert status == 404
    assert "Using the URLconf" not in body


def test_plain_http_through_the_socket_is_redirected_to_https(app1):
    # Without nginx's X-Forwarded-Proto, Django sees plain HTTP and redirects.
    status, headers, _ = UnixClient(app1, forwarded_proto="").request("/polls/", server=DOMAIN)
    assert status == 301
    assert f"location: https://{DOMAIN}/polls/" in headers.lower()


def test_healthz_answers_over_plain_http_for_probes(app1):
    status, _, body = UnixClient(app1, forwarded_proto="").request("/healthz")
    assert status == 200
    assert '"database": "ok"' in body


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_db_password_and_key_reach_django_through_the_environment(name, request):
    host = request.getfixturevalue(name)
    password, key = SECRETS["vault_stack_db_password"], secret_key(host)
    # The running workers got the inventory's values from systemd's EnvironmentFile...
    UnixClient(host).request("/healthz")
    main = host.check_output("systemctl show -p MainPID --value gunicorn.service")
    worker = host.check_output(f"pgrep -P {main} | head -n 1")
    environ = dict(
        line.split("=", 1) for line in host.check_output(f"tr '\\0' '\\n' < /proc/{worker}/environ").splitlines() if "=" in line
    )
    assert sha256(environ.get("DJANGO_DB_PASSWORD", "")) == sha256(password), "the workers' DB password is not the inventory's"
    assert sha256(environ.get("DJANGO_SECRET_KEY", "")) == sha256(key), "the workers' SECRET_KEY is not the secrets file's"
    # ...and Django's settings are made of them (compared by digest, never printed).
    code = (
        "import hashlib; from django.conf import settings; from django.db import connection\n"
        "print(hashlib.sha256(settings.DATABASES['default']['PASSWORD'].encode()).hexdigest(),"
        " hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(), connection.cursor() is not None)"
    )
    digests = django_shell(host, code).split()[-3:]
    assert digests == [sha256(password), sha256(key), "True"]


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_secret_values_are_nowhere_else_on_disk(name, request):
    host = request.getfixturevalue(name)
    values = [SECRETS["vault_stack_db_password"], SECRETS["vault_static_offload_secret_key"], secret_key(host)]
    # grep reads the values from a root-only file rather than its arguments.
    write_file(host, "/root/secret-patterns", "\n".join(values), mode="0600")
    found = host.run(
        "grep -rlsF -D skip -f /root/secret-patterns /etc /srv /var/log /var/lib /var/tmp /tmp /home /root /run"
        " --exclude=secret-patterns --exclude-dir=journal --exclude-dir=apt --exclude-dir=dpkg"
    ).stdout.split()
    journal = host.run("journalctl --no-pager -o cat | grep -cF -f /root/secret-patterns").stdout.strip()
    host.run("rm -f /root/secret-patterns")
    # The app's secrets file, and PgBouncer's auth file (the pool on the app host
    # logs in to the database with the app's password): both private. On app1,
    # which takes the logical dumps (db_dump), their key pair (the scenario's
    # is the static files' one) and the dump user's ~/.pgpass too.
    expected = ["/etc/pgbouncer/userlist.txt", "/etc/polls/polls.env"]
    if name == "app1":
        expected += ["/etc/db-dump/credentials.env", "/var/lib/db-dump/.pgpass"]
    assert sorted(found) == sorted(expected), found
    for path in found:
        assert host.file(path).mode & 0o007 == 0, f"{path} is readable by everyone"
    assert journal == "0", "a secret value is in the journal"
