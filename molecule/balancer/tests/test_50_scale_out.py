"""Scale-out: a third app host joins with --limit NEW,loadbalancers and nothing else changes."""

import json
import uuid

from conftest import EPHEMERAL, SITE, curl, health, make_release_2, playbook, private_ip


def state(app) -> str:
    """What would change on a host: gunicorn's and nginx's processes and the files they read."""
    return app.check_output(
        "systemctl show -p MainPID --value gunicorn.service nginx.service;"
        " md5sum /etc/nginx/sites-available/polls /etc/polls/*.py /etc/polls/*.env /etc/systemd/system/gunicorn.service;"
        " readlink /srv/polls/app"
    )


def test_a_new_app_host_enters_rotation_and_nothing_else_changes(client, balancer, db1, app1, app2, app3):
    release = {"django_app_version": "2", "django_app_bundled_source": str(make_release_2())}
    # Every host's facts are in the cache (the scenario's earlier runs), as
    # they are after a user's earlier full run.
    before = {"app1": state(app1), "app2": state(app2)}
    # In no group of the stack until now, the spare droplet was left alone by
    # every site.yml run (no base role: no UFW, no extra CA).
    assert not app3.package("ufw").is_installed
    assert not app3.file("/usr/local/share/ca-certificates/django-stack-extra-0.crt").exists

    joined = EPHEMERAL / "scale-out.yml"
    joined.write_text("appservers:\n  hosts:\n    lb-app3:\n")
    # The database stand-in lists its clients in pg_hba and its firewall, so it
    # joins the run too; with a managed cluster (trusted sources by droplet tag)
    # it would not be needed.
    result = playbook("--limit", "lb-app3,loadbalancers,dbservers", "-e", json.dumps(release), inventories=[joined])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    recap = result.stdout[result.stdout.rfind("PLAY RECAP") :]
    assert "lb-app1" not in recap and "lb-app2" not in recap, recap

    assert health(balancer, app3)["version"] == "2"
    assert "Status: active" in app3.check_output("ufw status")
    # The database's firewall lets the new host in.
    assert f"ufw allow from {private_ip(app3)} to any port 5432 proto tcp" in db1.check_output("ufw show added")
    assert balancer.file("/etc/nginx/loadbalancer/polls/lb-app3.conf").exists
    marker = uuid.uuid4().hex
    for i in range(15):
        curl(client, f"{SITE}/polls/?scale={marker}-{i}", "-o /dev/null")
    counts = [int(app.check_output(f"grep -c 'scale={marker}' /var/log/nginx/access.log || true") or 0) for app in (app1, app2, app3)]
    assert all(count > 0 for count in counts), counts
    assert {"app1": state(app1), "app2": state(app2)} == before
