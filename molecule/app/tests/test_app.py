"""django_app + gunicorn on one host."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.lib.molecule_helpers import UnixClient, get_host, run_playbook, systemd_exposure  # noqa: E402

BUNDLED = ROOT / "roles/django_app/files/polls"
_SPEC = importlib.util.spec_from_file_location("tree_digest", ROOT / "plugins/filter/tree_digest.py")
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


# Before the sandbox settings of issue 16: 5.7 ("MEDIUM"); now 1.3 (1.1 with IP
# filtering). Issue 16 asks for 2.0 at most; the margin catches a lost setting.
GUNICORN_MAX_EXPOSURE = 1.5


def test_gunicorn_is_sandboxed_and_still_serves(host):
    assert systemd_exposure(host, "gunicorn.service") <= GUNICORN_MAX_EXPOSURE
    # Under the sandbox gunicorn still restarts and reloads, and its workers
    # reach the database.
    host.check_output("systemctl restart gunicorn.service")
    assert UnixClient(host).request("/healthz")[0] == 200
    pid = host.check_output("systemctl show -p MainPID --value gunicorn.service")
    host.check_output("systemctl reload gunicorn.service")
    assert UnixClient(host).request("/healthz")[0] == 200
    assert host.check_output("systemctl show -p MainPID --value gunicorn.service") == pid



def test_gunicorn_ip_filtering_when_asked(host):
    deny = host.check_output("systemctl show -p IPAddressDeny --value gunicorn.service")
    allow = host.check_output("systemctl show -p IPAddressAllow --value gunicorn.service").split()
    if host.backend.get_hostname() == "app-single":
        # IPAddressDeny=any shows as the two "any" networks; the database on
        # the loopback stays reachable (healthz above).
        assert "0.0.0.0/0" in deny and "::/0" in deny, deny
        assert {"127.0.0.0/8", "::1/128", "192.0.2.10/32"} <= set(allow), allow
    else:
        assert deny == "" and allow == []


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


def test_the_bundled_project_is_private_to_the_app():
    """Unpacked from the controller's archive: directories 0750, files 0640 (0750 where executable)."""
    host = get_host("app-single")
    paths = ("/srv/polls/app/mysite", "/srv/polls/app/mysite/settings.py", "/srv/polls/app/manage.py")
    modes = {path: (host.file(path).user, host.file(path).group, host.file(path).mode) for path in paths}
    assert modes == {
        "/srv/polls/app/mysite": ("polls", "polls", 0o750),
        "/srv/polls/app/mysite/settings.py": ("polls", "polls", 0o640),
        "/srv/polls/app/manage.py": ("polls", "polls", 0o750),
    }


def test_static_files_collected(host):
    css = host.file("/srv/polls/static/admin/css/base.css")
    assert css.exists and css.user == "polls"
    assert host.file("/srv/polls/static/polls/style.css").exists


def test_collectstatic_is_skipped_until_forced():
    """STATIC_ROOT keeps the digest of what was collected: a run skips collectstatic, even for a file deleted
    by hand, until django_app_collectstatic_force asks for it."""
    host = get_host("app-single")
    marker = host.file("/srv/polls/static/.django-stack-collected")
    assert marker.exists and marker.user == "polls" and len(marker.content_string.strip()) == 64
    style = "/srv/polls/static/polls/style.css"
    host.check_output(f"rm {style}")
    skipped = run_playbook(playbook="molecule/app/collect_static.yml")
    assert skipped.returncode == 0, skipped.stdout[-3000:]
    assert skipped.recap.unclean_hosts() == [], skipped.recap.changed_tasks
    assert not host.file(style).exists
    forced = run_playbook("-e", '{"django_app_collectstatic_force": true}', playbook="molecule/app/collect_static.yml")
    assert forced.returncode == 0, forced.stdout[-3000:]
    assert host.file(style).exists and host.file(style).user == "polls"
    assert forced.recap.changed_tasks == [
        "app-single => django_stack.deploy.django_app : Collect static files (unless the storage already holds this release's)"
    ], forced.recap


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
    unpack = "app-single => django_stack.deploy.django_app : Unpack the bundled project on the host"
    assert unpack in result.recap.changed_tasks, result.recap


def test_files_changed_by_hand_are_put_back():
    """The role's files are compared from one listing per task (config_files): a mode, a line and a missing
    file, each changed by hand, are put back by the next run, as they were, and the app still answers."""
    host = get_host("app-single")
    env_file, settings, helper = "/etc/polls/polls.env", "/etc/polls/django_stack_settings.py", "/usr/local/bin/polls-manage"
    before = {path: host.file(path).sha256sum for path in (env_file, settings, helper)}
    host.check_output(f"chmod 0644 {env_file} && echo 'DEBUG = True' >> {settings} && rm {helper}")
    result = run_playbook("--limit", "app-single", playbook="molecule/app/converge.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert {path: host.file(path).sha256sum for path in before} == before
    secrets = host.file(env_file)
    assert (secrets.user, secrets.group, secrets.mode) == ("root", "polls", 0o640)
    assert host.file(helper).mode == 0o755
    changed = set(result.recap.changed_tasks)
    for task in ("Write the secrets file (root and the app group only)", "Write the deployment settings"):
        assert f"app-single => django_stack.deploy.django_app : {task}" in changed, result.recap
    assert UnixClient(host).request("/healthz")[0] == 200
