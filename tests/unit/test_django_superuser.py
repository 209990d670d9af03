"""Tests for the django_superuser module (plugins/modules/django_superuser.py)."""
# Dummy passwords and keys are the point of these tests.
# ruff: noqa: S105, S106

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.lib.loader import load_file

dsu = load_file("plugins/modules/django_superuser.py", "django_superuser_module")
MODULE_PATH = Path(dsu.__file__)


# --------------------------------------------------------------------------- env-file parsing


def test_parse_env_file_handles_quotes_comments_and_blank_lines():
    text = textwrap.dedent(
        """\
        # a comment
        ; also a comment

        PLAIN=value
        SPACED = padded value
        DOUBLE="double quoted # not a comment"
        SINGLE='single quoted'
        ESCAPED="say \\"hi\\" and \\\\ backslash"
        SINGLE_RAW='keeps \\"this\\"'
        EMPTY=
        EMPTY_QUOTED=""
        """
    )
    env = dsu.parse_env_file(text)
    assert env == {
        "PLAIN": "value",
        "SPACED": "padded value",
        "DOUBLE": "double quoted # not a comment",
        "SINGLE": "single quoted",
        "ESCAPED": 'say "hi" and \\ backslash',
        "SINGLE_RAW": 'keeps \\"this\\"',
        "EMPTY": "",
        "EMPTY_QUOTED": "",
    }


def test_parse_env_file_keeps_equals_signs_inside_values():
    env = dsu.parse_env_file("DATABASE_URL=postgres://u:p=w@db/polls?sslmode=require\nB64='YWJj=='\n")
    assert env == {"DATABASE_URL": "postgres://u:p=w@db/polls?sslmode=require", "B64": "YWJj=="}


def test_parse_env_file_ignores_malformed_lines():
    text = "\n".join(
        [
            "no equals sign here",
            "=novalue",
            "1BAD=starts with digit",
            "BAD-NAME=dash",
            "export EXPORTED=1",
            'UNTERMINATED="oops',
            "'QUOTED_KEY'=x",
            "GOOD=yes",
        ]
    )
    assert dsu.parse_env_file(text) == {"GOOD": "yes"}


def test_parse_env_file_last_assignment_wins_and_crlf_is_fine():
    assert dsu.parse_env_file("A=1\r\nA=2\r\n") == {"A": "2"}


def test_read_env_file_missing_raises(tmp_path):
    with pytest.raises(dsu.SuperuserError, match="environment_file"):
        dsu.read_env_file(str(tmp_path / "absent.env"))


# --------------------------------------------------------------------------- environment


def test_build_environment_orders_pythonpath_and_overrides_settings():
    env = dsu.build_environment(
        "mysite.settings",
        "/srv/app",
        ["/srv/lib", "/srv/more"],
        {"DJANGO_SETTINGS_MODULE": "wrong.settings", "SECRET_KEY": "s3cr3t", "PYTHONPATH": "/from/env"},
    )
    assert env["DJANGO_SETTINGS_MODULE"] == "mysite.settings"
    assert env["PYTHONPATH"] == os.pathsep.join(["/srv/lib", "/srv/more", "/srv/app", "/from/env"])
    assert env["SECRET_KEY"] == "s3cr3t"


def test_build_environment_defaults():
    assert dsu.build_environment("s", "/p") == {"DJANGO_SETTINGS_MODULE": "s", "PYTHONPATH": "/p"}


# --------------------------------------------------------------------------- output parsing


def test_parse_output_ignores_leading_noise_and_takes_last_json_line():
    stdout = "\n".join(
        [
            "Loading settings...",
            '{"changed": true, "stale": 1}',
            "{not json",
            "",
            '{"changed": false, "created": false}',
            "   ",
        ]
    )
    assert dsu.parse_output(stdout) == {"changed": False, "created": False}


@pytest.mark.parametrize("stdout", ["", None, "just noise\nmore noise", "{broken", "[1, 2]"])
def test_parse_output_raises_without_json_object(stdout):
    with pytest.raises(ValueError, match="no JSON"):
        dsu.parse_output(stdout)


# --------------------------------------------------------------------------- scrubbing


def test_scrub_replaces_every_occurrence():
    assert dsu.scrub("pw=hunter2 again hunter2", ["hunter2"]) == "pw=******** again ********"


def test_scrub_ignores_empty_secrets_and_prefers_longest():
    assert dsu.scrub("abc abcdef", ["", None, "abc", "abcdef"]) == "******** ********"
    assert dsu.scrub("", ["x"]) == ""
    assert dsu.scrub(None, ["x"]) == ""


def test_secret_env_values_picks_secret_looking_names():
    values = dsu.secret_env_values({"SECRET_KEY": "abcd1234", "DB_PASSWORD": "pw-value", "DEBUG": "True", "TOKEN": "x"})
    assert sorted(values) == ["abcd1234", "pw-value"]


# --------------------------------------------------------------------------- failure handling


PARAMS = {
    "python": "/venv/bin/python",
    "project_path": "/srv/app",
    "settings": "mysite.settings",
    "pythonpath": [],
    "username": "admin",
    "email": "",
    "password": "Sup3r-S3cret!",
    "update_password": "on_create",
    "environment_file": None,
}


def _fake_runner(rc, stdout, stderr):
    calls = []

    def run(args, data, cwd, environ_update):
        calls.append({"args": args, "data": data, "cwd": cwd, "env": environ_update})
        return rc, stdout, stderr

    return run, calls


def test_password_goes_over_stdin_only():
    run, calls = _fake_runner(0, '{"changed": false, "created": false, "password_changed": false}', "")
    dsu.ensure_superuser(PARAMS, False, run)
    (call,) = calls
    assert call["args"] == [PARAMS["python"], "-c", dsu.SCRIPT]
    assert call["cwd"] == PARAMS["project_path"]
    assert PARAMS["password"] not in json.dumps(call["args"]) + json.dumps(call["env"])
    payload = json.loads(call["data"])
    assert payload == {
        "username": "admin",
        "email": "",
        "password": PARAMS["password"],
        "update_password": "on_create",
        "check_mode": False,
    }


def test_nonzero_exit_is_reported_with_scrubbed_stderr():
    run, _ = _fake_runner(1, "", f"Traceback...\nValueError: bad password {PARAMS['password']}\n")
    with pytest.raises(dsu.SuperuserError) as excinfo:
        dsu.ensure_superuser(PARAMS, False, run)
    msg = str(excinfo.value)
    assert "rc=1" in msg
    assert "ValueError: bad password ********" in msg
    assert PARAMS["password"] not in msg
    assert '"password"' not in msg


def test_non_json_output_is_reported_with_scrubbed_output():
    run, _ = _fake_runner(0, f"hello {PARAMS['password']}", "warning")
    with pytest.raises(dsu.SuperuserError, match="no JSON result") as excinfo:
        dsu.ensure_superuser(PARAMS, False, run)
    assert PARAMS["password"] not in str(excinfo.value)
    assert "hello ********" in str(excinfo.value)


def test_environment_file_secrets_are_scrubbed_too(tmp_path):
    env_file = tmp_path / "app.env"
    env_file.write_text("DB_PASSWORD='db-pass-123'\n")
    run, calls = _fake_runner(1, "", "could not connect with db-pass-123")
    with pytest.raises(dsu.SuperuserError) as excinfo:
        dsu.ensure_superuser({**PARAMS, "environment_file": str(env_file)}, False, run)
    assert "db-pass-123" not in str(excinfo.value)
    assert calls[0]["env"]["DB_PASSWORD"] == "db-pass-123"


def test_password_change_shows_placeholder_in_diff():
    out = json.dumps(
        {
            "changed": True,
            "created": False,
            "password_changed": True,
            "before": {"username": "admin"},
            "after": {"username": "admin"},
        }
    )
    run, _ = _fake_runner(0, out, "")
    result = dsu.ensure_superuser({**PARAMS, "update_password": "always"}, False, run)
    assert result["password_changed"] is True
    assert result["diff"]["before"]["password"] != result["diff"]["after"]["password"]
    assert PARAMS["password"] not in json.dumps(result)


# --------------------------------------------------------------------------- functional (real Django)

SETTINGS_TEMPLATE = """\
import os

print("settings loaded (noise on stdout)")

SECRET_KEY = os.environ["DJSU_TEST_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = []
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""

QUERY_SCRIPT = """\
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
req = json.loads(sys.stdin.read())
User = get_user_model()
user = User.objects.filter(username=req["username"]).first()
out = {"exists": user is not None}
if user is not None:
    if "password" in req:
        out["password_ok"] = user.check_password(req["password"])
    if "set" in req:
        for key, value in req["set"].items():
            setattr(user, key, value)
        user.save()
    out.update(email=user.email, is_staff=user.is_staff, is_superuser=user.is_superuser, is_active=user.is_active)
print(json.dumps(out))
"""


@pytest.fixture
def django_project(tmp_path, monkeypatch):
    pytest.importorskip("django")
    monkeypatch.delenv("DJSU_TEST_SECRET_KEY", raising=False)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)

    project = tmp_path / "project"
    project.mkdir()
    (project / "manage.py").write_text("# placeholder: the module only uses the directory as cwd\n")
    conf = tmp_path / "conf"  # settings live outside project_path to exercise `pythonpath`
    conf.mkdir()
    (conf / "djsu_test_settings.py").write_text(SETTINGS_TEMPLATE.format(db=str(tmp_path / "db.sqlite3")))
    env_file = tmp_path / "app.env"
    env_file.write_text('# secrets for the app\n\nDJSU_TEST_SECRET_KEY="not-so-secret=key#1"\n')

    params = {
        "python": sys.executable,
        "project_path": str(project),
        "settings": "djsu_test_settings",
        "pythonpath": [str(conf)],
        "environment_file": str(env_file),
        "email": "",
        "update_password": "on_create",
    }
    child_env = {**os.environ, **dsu.build_environment(params["settings"], str(project), [str(conf)])}
    child_env["DJSU_TEST_SECRET_KEY"] = "not-so-secret=key#1"
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=project,
        env=child_env,
        check=True,
        capture_output=True,
        text=True,
    )

    calls = []

    def run_command(args, data, cwd, environ_update):
        calls.append({"args": args, "env": environ_update})
        env = {**os.environ, **environ_update}
        proc = subprocess.run(args, input=data, capture_output=True, text=True, cwd=cwd, env=env, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def query(username, **request):
        proc = subprocess.run(
            [sys.executable, "-c", QUERY_SCRIPT],
            input=json.dumps({"username": username, **request}),
            capture_output=True,
            text=True,
            cwd=project,
            env=child_env,
            check=True,
        )
        return dsu.parse_output(proc.stdout)

    return params, run_command, query, calls


def test_ensure_superuser_end_to_end(django_project):
    base, run_command, query, calls = django_project
    password = "first-Passw0rd"
    new_password = "second-Passw0rd"
    params = {**base, "username": "admin", "email": "admin@example.com", "password": password}

    def ensure(check_mode=False, **overrides):
        result = dsu.ensure_superuser({**params, **overrides}, check_mode, run_command)
        dumped = json.dumps(result)
        assert password not in dumped
        assert new_password not in dumped
        return result

    # 1. create
    result = ensure()
    assert result["created"] is True
    assert result["changed"] is True
    assert result["password_changed"] is False
    assert result["username"] == "admin"
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {
        "username": "admin",
        "email": "admin@example.com",
        "is_staff": True,
        "is_superuser": True,
        "is_active": True,
    }
    state = query("admin", password=password)
    assert state["exists"] is True
    assert state["password_ok"] is True
    assert state["is_superuser"] is True
    assert state["is_staff"] is True

    # 2. idempotent
    result = ensure()
    assert result["changed"] is False
    assert result["created"] is False
    assert result["diff"]["before"] == result["diff"]["after"]

    # 3. check mode on a new username: reports a change, creates nothing
    result = ensure(check_mode=True, username="ghost")
    assert result["changed"] is True
    assert result["created"] is True
    assert query("ghost") == {"exists": False}

    # 4. on_create with a different password: existing password untouched
    result = ensure(password=new_password)
    assert result["changed"] is False
    assert result["password_changed"] is False
    assert query("admin", password=password)["password_ok"] is True

    # 5. always + different password, in check mode: reported, not applied
    result = ensure(check_mode=True, password=new_password, update_password="always")
    assert result["changed"] is True
    assert result["password_changed"] is True
    assert query("admin", password=password)["password_ok"] is True

    # 6. always + different password: applied
    result = ensure(password=new_password, update_password="always")
    assert result["changed"] is True
    assert result["password_changed"] is True
    assert result["created"] is False
    assert query("admin", password=new_password)["password_ok"] is True

    # 7. always + same password again: unchanged
    result = ensure(password=new_password, update_password="always")
    assert result["changed"] is False
    assert result["password_changed"] is False

    # 8. drifted flags and e-mail are restored
    query("admin", set={"is_staff": False, "is_superuser": False, "email": "old@example.com"})
    result = ensure(password=new_password)
    assert result["changed"] is True
    assert result["created"] is False
    assert result["diff"]["before"]["is_staff"] is False
    assert result["diff"]["before"]["email"] == "old@example.com"
    assert result["diff"]["after"]["is_staff"] is True
    state = query("admin")
    assert state["is_staff"] is True
    assert state["is_superuser"] is True
    assert state["email"] == "admin@example.com"

    # The password never reached a command line or the child's environment.
    for call in calls:
        visible = json.dumps(call["args"]) + json.dumps(call["env"])
        assert password not in visible
        assert new_password not in visible
    # ...while the environment file did reach Django (settings would fail without SECRET_KEY).
    assert calls[0]["env"]["DJSU_TEST_SECRET_KEY"] == "not-so-secret=key#1"


def test_ensure_superuser_reports_django_errors(django_project):
    base, run_command, _query, _calls = django_project
    params = {**base, "username": "admin", "password": "pw-in-error", "environment_file": None}
    # Without the environment file the settings module cannot read SECRET_KEY.
    with pytest.raises(dsu.SuperuserError, match="DJSU_TEST_SECRET_KEY") as excinfo:
        dsu.ensure_superuser(params, False, run_command)
    assert "pw-in-error" not in str(excinfo.value)
