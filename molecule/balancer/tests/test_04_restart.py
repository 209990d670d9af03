"""A restart or reload of gunicorn under load loses no request.

systemd owns the listening socket: while gunicorn restarts, connections wait in
the socket's backlog instead of being refused.
"""

import pytest

REQUESTS = 300
SCRIPT = f"""
set -u
out=/tmp/restart-codes.txt
: > $out
for i in $(seq 1 {REQUESTS}); do
    curl -s -o /dev/null -m 30 -w '%{{http_code}}\\n' -H 'X-Forwarded-Proto: https' \\
        --unix-socket /run/gunicorn.sock http://localhost/polls/ >> $out || echo fail >> $out
done &
load=$!
sleep 1
systemctl ACTION gunicorn.service
sleep 1
systemctl ACTION gunicorn.service
wait $load
sort $out | uniq -c
"""


@pytest.mark.parametrize("action", ["restart", "reload"])
def test_no_request_lost(app2, action):
    result = app2.run("bash -c %s", SCRIPT.replace("ACTION", action))
    assert result.rc == 0, result.stderr
    counts = {code: int(n) for n, code in (line.split() for line in result.stdout.splitlines())}
    print(f"{action}: {counts}")
    assert counts == {"200": REQUESTS}
    assert app2.service("gunicorn.service").is_running
