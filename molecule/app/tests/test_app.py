"""django_app + gunicorn on one host."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.lib.molecule_helpers import UnixClient, get_host, run_playbook  # noqa: E402

BUNDLED = ROOT / "roles/django_app/files/polls"
_SPEC = importlib.util.spec_from_file_location("tree_digest", ROOT / "roles/django_app/filter_plugins/tree_digest.py")
_DIGEST = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_DIGEST)


def test_socket_first_then_service(host):
    assert host.service("gunicorn.socket").is_running
    assert not host.service("gunicorn.service").is_running


def test_healthz_checks_the_database(host):
    status, _, text = UnixClient(host).request("/healthz")
    assert status == 200
    body = json.loads(text)
    assert body["status"] == "ok" and body["database"] == "ok"
    assert host.service("gunicorn.service").is_running


def test_workers_as_configured(host):
    pid = host.check_output("systemctl show -p MainPID --value gunicorn.service")
    assert len(host.check_output(f"ps -o pid= --ppid {pid}").split()) == 2


def test_generated_settings(host):
    settings = host.file("/etc/polls/django_stack_settings.py")
    assert (settings.user, settings.group, settings.mode) == ("root", "polls", 0o640)
    text = settings.content_string
    assert "ALLOWED_HOSTS = ['app.test', 'localhost']" in text
    assert "# Connection mode: persistent." in text
    assert "'CONN_MAX_AGE': 60," in text
    assert "'CONN_HEALTH_CHECKS': True," in text
    assert "POLLS_PAGE_SIZE = 5" in text
    assert "app-single-db-pw" not in text


def test_settings_seen_by_django(host):
    out = host.check_output(
        "polls-manage shell -c "
        "\"from django.conf import settings as s; print(s.DEBUG, s.CONN_MAX_AGE if hasattr(s, 'CONN_MAX_AGE') else '',"
        " s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['OPTIONS']['sslmode'], s.POLLS_PAGE_SIZE)\""
    )
    assert out.split()[-4:] == ["False", "60", "require", "5"]


def test_code_owned_by_the_app_user(host):
    code = host.file("/srv/polls/app")
    assert (code.user, code.group, code.mode) == ("polls", "polls", 0o750)
    assert host.user("polls").shell == "/usr/sbin/nologin"
    assert host.file("/srv/polls/app/manage.py").user == "polls"


def test_static_files_collected(host):
    css = host.file("/srv/polls/static/admin/css/base.css")
    assert css.exists and css.user == "polls"
    assert host.file("/srv/polls/static/polls/style.css").exists


def test_git_source_is_checked_out_at_the_tag():
    git_host = get_host("app-git")
    assert git_host.check_output("runuser -u polls -- git -C /srv/polls/app describe --tags") == "v1"
    assert git_host.file("/srv/polls/app/.git").user == "polls"
    assert UnixClient(git_host).request("/healthz")[0] == 200
    assert UnixClient(git_host).request("/polls/")[0] == 200


def test_a_changed_bundled_project_is_copied(tmp_path):
    """The host's marker holds the deployed project's digest; a project whose digest differs is copied."""
    host = get_host("app-single")
    marker = "/srv/polls/app/.django-app-bundle"
    info = host.file(marker)
    assert (info.user, info.group, info.mode) == ("root", "polls", 0o640)
    assert info.content_string == _DIGEST.tree_digest(BUNDLED)

    changed = tmp_path / "polls"
    shutil.copytree(BUNDLED, changed)
    (changed / "manage.py").write_text((BUNDLED / "manage.py").read_text() + "# redeployed by test_app.py\n")
    result = run_playbook("-e", json.dumps({"django_app_bundled_source": str(changed)}), playbook="molecule/app/redeploy_code.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert host.file("/srv/polls/app/manage.py").content_string.endswith("# redeployed by test_app.py\n")
    assert host.file(marker).content_string == _DIGEST.tree_digest(changed)
    assert "app-single => django_app : Deploy the bundled polls app" in result.recap.changed_tasks, result.recap
