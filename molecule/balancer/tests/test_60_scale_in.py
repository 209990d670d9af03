"""Scale-in: a host leaves rotation first (stack_drained, a `--tags balancer` run), then the inventory, with no failed request."""

import json
import uuid

from conftest import EPHEMERAL, SITE, Load, curl, make_release_2, playbook, private_ip

BACKEND = "/etc/nginx/loadbalancer/polls/lb-app3.conf"


def test_a_host_leaves_rotation_then_the_inventory(client, balancer, db1, app1, app2, app3):
    release = {"django_app_version": "2", "django_app_bundled_source": str(make_release_2())}
    joined = EPHEMERAL / "scale-out.yml"  # lb-app3 in appservers (test_50)
    assert joined.exists() and balancer.file(BACKEND).exists
    load = Load(client, "scale-in", seconds=20)

    # The tag selects the balancer's play alone, on every host of the inventory
    # (preflight validates every role, tag always): it runs without the other
    # tiers' tasks and changes nothing but the drained backend's line.
    drained = playbook("--tags", "balancer", "-e", json.dumps({**release, "stack_drained": ["lb-app3"]}), inventories=[joined])
    assert drained.returncode == 0, drained.stdout[-4000:] + drained.stderr[-2000:]
    assert " down;" in balancer.file(BACKEND).content_string
    assert "TASK [django_stack.deploy.loadbalancer : Render the balancer's site" in drained.stdout
    assert "TASK [django_stack.deploy.django_app : Write the deployment settings]" not in drained.stdout
    assert "TASK [django_stack.deploy.nginx : Render the site" not in drained.stdout
    changed = drained.recap.changed_tasks
    assert changed and all(task.startswith("lb-balancer => django_stack.deploy.loadbalancer : ") for task in changed), changed
    marker = uuid.uuid4().hex
    for i in range(10):
        curl(client, f"{SITE}/polls/?scale-in={marker}-{i}", "-o /dev/null")
    counts = [int(app.check_output(f"grep -c 'scale-in={marker}' /var/log/nginx/access.log || true") or 0) for app in (app1, app2, app3)]
    assert counts[2] == 0 and counts[0] + counts[1] == 10, counts

    # The droplet goes away; the run without it in the inventory forgets it.
    app3.check_output("systemctl stop nginx gunicorn.socket gunicorn.service")
    removed = playbook("--limit", "loadbalancers,dbservers", "-e", json.dumps(release))
    summary = load.finish()
    assert removed.returncode == 0, removed.stdout[-4000:] + removed.stderr[-2000:]
    assert not balancer.file(BACKEND).exists
    # The database's firewall converged too: the removed host's rule is gone
    # (and with it the packets it sends), the others' stay.
    rules = db1.check_output("ufw show added")
    assert f"from {private_ip(app3)} " not in rules, rules
    assert all(f"ufw allow from {private_ip(app)} to any port 5432 proto tcp" in rules for app in (app1, app2)), rules
    # Seen from the removed droplet: the database's port no longer answers it
    # (UFW drops the packets, so the connection attempt times out).
    reach = f"timeout 5 bash -c '</dev/tcp/{private_ip(db1)}/5432'"
    assert app3.run(reach).rc != 0
    assert app1.run(reach).rc == 0
    assert summary["failures"] == 0, summary
    assert curl(client, f"{SITE}/polls/", "-o /dev/null", "-w '%{http_code}'") == "200"
