"""The polls app, seen through the gunicorn socket and the database."""

import shlex
import uuid

import pytest

from tests.lib.molecule_helpers import UnixClient

ADMIN_PASSWORD = "stack-admin-login-Pk2m9Tfy"
# The scenario's self-signed certificate: forms and cookies go through nginx
# over verified HTTPS, as a browser's would (the cookies are Secure).
CA = "/etc/ssl/django-stack/polls.crt"


def site(host):
    return UnixClient(host, https=CA, server="polls.test")


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


def test_question_created_through_the_orm_is_listed(app1, app2, questions):
    for host in (app1, app2):
        status, _, body = site(host).request("/polls/")
        assert status == 200
        assert f"Past {questions['tag']}?" in body
        assert f"Future {questions['tag']}?" not in body


def test_future_question_pages_answer_404(app1, questions):
    assert UnixClient(app1).request(f"/polls/{questions['future']}/")[0] == 404
    assert UnixClient(app1).request(f"/polls/{questions['past']}/")[0] == 200


def votes(host, choice_id: int) -> int:
    return int(django_shell(host, f"from polls.models import Choice; print(Choice.objects.get(pk={choice_id}).votes)").split()[-1])


def test_vote_with_csrf_token_counts_in_the_database(app1, app2, questions):
    before = votes(app1, questions["choice"])
    client = site(app1)
    status, _, body = client.request(f"/polls/{questions['past']}/")
    assert status == 200
    token = client.csrf_token(body)
    status, headers, _ = client.request(
        f"/polls/{questions['past']}/vote/", data={"csrfmiddlewaretoken": token, "choice": questions["choice"]}
    )
    assert status == 302
    assert f"/polls/{questions['past']}/results/" in headers
    # Seen from the other app host too: one database behind both.
    assert votes(app2, questions["choice"]) == before + 1


def test_vote_without_a_choice_shows_an_error(app1, questions):
    client = site(app1)
    token = client.csrf_token(client.request(f"/polls/{questions['past']}/")[2])
    status, _, body = client.request(f"/polls/{questions['past']}/vote/", data={"csrfmiddlewaretoken": token})
    assert status == 200
    assert "You didn&#x27;t select a choice." in body or "You didn't select a choice." in body


def test_vote_without_csrf_token_is_refused(app1, questions):
    status, _, _ = UnixClient(app1).request(f"/polls/{questions['past']}/vote/", data={"choice": questions["choice"]})
    assert status == 403


def test_admin_login_page_answers(app1):
    assert UnixClient(app1).request("/admin/login/")[0] == 200


def test_superuser_can_log_in(app2):
    client = site(app2)
    status, _, body = client.request("/admin/login/?next=/admin/")
    assert status == 200
    token = client.csrf_token(body)
    status, headers, _ = client.request(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"},
    )
    assert status == 302, "login refused"
    assert "location: /admin/" in headers.lower()
    status, _, body = client.request("/admin/")
    assert status == 200
    assert "Site administration" in body


def test_wrong_admin_password_is_refused(app1):
    client = site(app1)
    token = client.csrf_token(client.request("/admin/login/")[2])
    status, _, body = client.request(
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
    assert out.split()[-2:] == ["1", "admin@polls.test"]


def test_debug_is_off(app1):
    status, _, body = UnixClient(app1).request("/no-such-page/")
    assert status == 404
    assert "Using the URLconf" not in body


def test_plain_http_through_the_socket_is_redirected_to_https(app1):
    # Without nginx's X-Forwarded-Proto, Django sees plain HTTP and redirects.
    status, headers, _ = UnixClient(app1, forwarded_proto="").request("/polls/", server="polls.test")
    assert status == 301
    assert "location: https://polls.test/polls/" in headers.lower()


def test_healthz_answers_over_plain_http_for_probes(app1):
    status, _, body = UnixClient(app1, forwarded_proto="").request("/healthz")
    assert status == 200
    assert '"database": "ok"' in body


def test_db_password_and_key_reach_django_only_through_the_environment(app1):
    # The running workers got the secrets from systemd's EnvironmentFile.
    pid = app1.check_output("systemctl show -p MainPID --value gunicorn.service")
    environ = app1.check_output(f"tr '\\0' '\\n' < /proc/{pid}/environ")
    assert "DJANGO_DB_PASSWORD=" in environ
    assert "DJANGO_SECRET_KEY=" in environ
