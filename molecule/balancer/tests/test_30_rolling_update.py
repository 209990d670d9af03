"""A rolling update to a changed release under a constant request stream: no failed request."""

import json
import shlex

from conftest import RELEASE_2_MARK, RELEASE_2_MIGRATION, SITE, Load, curl, health, make_release_2

from tests.lib.molecule_helpers import run_playbook


def release_args(version: str, source) -> list[str]:
    return ["-e", json.dumps({"django_app_version": version, "django_app_bundled_source": str(source)})]


# What the rollout test saw, for the next test (same module, in order).
ROLLOUT = {}


def backups(db1) -> list[dict]:
    return json.loads(db1.check_output("runuser -u postgres -- pgbackrest --stanza=polls --output=json info"))[0]["backup"]


def test_rolling_update_under_load(client, balancer, app1, app2, db1):
    backups_before = backups(db1)
    before = {name: app.check_output("readlink /srv/polls/app") for name, app in (("app1", app1), ("app2", app2))}
    assert set(before.values()) == {"/srv/polls/releases/1"}, before
    load = Load(client, "rolling")
    result = run_playbook(*release_args("2", make_release_2()), playbook="playbooks/rolling_update.yml")
    summary = load.finish()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert summary["failures"] == 0, summary
    # The stream saw the old version, then the new one.
    assert set(summary["versions"]) == {"1", "2"}, summary
    for app in (app1, app2):
        assert health(balancer, app)["version"] == "2"
        assert app.check_output("readlink /srv/polls/app") == "/srv/polls/releases/2"
        assert app.check_output("readlink /srv/polls/app.previous") == "/srv/polls/releases/1"
    for _ in range(4):
        assert RELEASE_2_MARK in curl(client, f"{SITE}/polls/")
    # Every host is back in rotation.
    for name in ("lb-app1", "lb-app2"):
        assert " down;" not in balancer.file(f"/etc/nginx/loadbalancer/polls/{name}.conf").content_string
    # One incremental backup was taken for the rollout, before its migration ran.
    taken = backups(db1)[len(backups_before):]
    assert [backup["type"] for backup in taken] == ["incr"], taken
    ROLLOUT["backup_stop"] = taken[0]["timestamp"]["stop"]


def test_migrations_ran_before_the_first_host_went_live(app1, app2):
    # Release 2 brings a migration: it is recorded once, and it was applied
    # before the first host switched its release link (the link's mtime).
    sql = "SELECT count(*), floor(extract(epoch FROM min(applied))) FROM django_migrations WHERE app = %s AND name = %s"
    query = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        f"    c.execute({sql!r}, ['polls', {RELEASE_2_MIGRATION!r}])\n"
        "    print(*c.fetchone())"
    )
    count, applied = app2.check_output(f"polls-manage shell -c {shlex.quote(query)}").split()[-2:]
    assert int(count) == 1
    switched = min(int(app.check_output("stat -c %Y /srv/polls/app")) for app in (app1, app2))
    assert int(float(applied)) <= switched, (applied, switched)
    # ... and after the backup the rollout took first.
    assert int(float(applied)) >= ROLLOUT["backup_stop"]
    assert app1.run("polls-manage migrate --check").rc == 0
