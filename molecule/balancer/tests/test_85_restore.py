"""playbooks/restore.yml on the whole stack: a drill changes nothing the site
uses; an in-place restore stops gunicorn on every app host while PostgreSQL is
replaced, starts it again, and the site serves the restored data."""

import json
import shlex

from conftest import SITE, curl

from tests.lib.molecule_helpers import run_playbook

QUESTIONS = "runuser -u postgres -- psql -XAtd polls -c 'SELECT count(*) FROM polls_question'"


def stopped_during(app, since: str) -> bool:
    """Whether gunicorn.service was stopped (and started again) after `since`."""
    log = app.check_output(f"journalctl -u gunicorn.service --since {shlex.quote(since)} --no-pager -o cat")
    return "Stopped" in log and "Started" in log


def test_a_drill_leaves_the_site_alone(client, db1, app1):
    started = app1.check_output("systemctl show -p ActiveEnterTimestamp --value gunicorn.service")
    result = run_playbook(playbook="playbooks/restore.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Marker row written before the drill: FOUND" in result.stdout
    assert app1.check_output("systemctl show -p ActiveEnterTimestamp --value gunicorn.service") == started
    assert "<h1>" in curl(client, f"{SITE}/polls/")


def test_in_place_restore_stops_the_app_and_brings_the_site_back(client, db1, app1, app2):
    questions = db1.check_output(QUESTIONS)
    since = db1.check_output("date -u '+%Y-%m-%d %H:%M:%S'")
    db1.check_output("runuser -u postgres -- pgbackrest --stanza=polls check")
    result = run_playbook("-e", json.dumps({"pgbackrest_restore_mode": "in_place", "pgbackrest_restore_confirm": "lb-db"}),
                          playbook="playbooks/restore.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    for app in (app1, app2):
        assert stopped_during(app, since)
        assert app.service("gunicorn.socket").is_running
    assert db1.check_output(QUESTIONS) == questions
    assert "<h1>" in curl(client, f"{SITE}/polls/")
