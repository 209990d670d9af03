"""Run the bundled polls project's own Django test suite and migration check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2] / "roles" / "django_app" / "files" / "polls"

# Files a run may create in the project; Ansible copies that folder verbatim to servers.
LEFTOVERS = ("db.sqlite3", "db.sqlite3-journal")


@pytest.fixture
def django_env(tmp_path):
    pytest.importorskip("django")
    before = {name for name in LEFTOVERS if (PROJECT_DIR / name).exists()}
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    # Keep bytecode out of the project folder.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    for name in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_APP_VERSION", "PYTHONPATH"):
        env.pop(name, None)
    yield env
    # makemigrations opens the default SQLite database to check its history,
    # which creates an empty file; remove it unless it was there already.
    for name in LEFTOVERS:
        if name not in before:
            (PROJECT_DIR / name).unlink(missing_ok=True)


def run_manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_polls_django_test_suite_passes(django_env):
    result = run_manage(django_env, "test", "--noinput", "-v", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stderr


def test_polls_has_no_missing_migrations(django_env):
    result = run_manage(django_env, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
