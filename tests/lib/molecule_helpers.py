"""Helpers shared by the Testinfra tests of the Molecule scenarios."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import testinfra

from tests.lib.recap import RecapMissing, read_recap, recap_env

ROOT = Path(__file__).resolve().parents[2]


def inventory() -> str:
    return os.environ["MOLECULE_INVENTORY_FILE"]


def run_logged(cmd: Sequence[str], env: dict, timeout: int) -> subprocess.CompletedProcess:
    """Run a test's ansible-playbook command (output captured) and log it with _log_run."""
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, timeout=timeout, check=False)
    _log_run(cmd, result, time.monotonic() - started)
    return result


def _log_run(cmd: Sequence[str], result: subprocess.CompletedProcess, seconds: float) -> None:
    """Append a test's playbook run (command, time, output) to the scenario's playbook log.

    The file is .cache/molecule-logs/<scenario>.playbooks.log, beside the log
    tests/run_scenarios.py keeps: the output pytest captures is otherwise lost
    for a passing test, and with it the task times that show where a slow test
    spends them. Written only under Molecule (MOLECULE_SCENARIO_NAME set).
    """
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME")
    if not scenario:
        return
    logs = ROOT / ".cache" / "molecule-logs"
    logs.mkdir(parents=True, exist_ok=True)
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
    with (logs / f"{scenario}.playbooks.log").open("a", encoding="utf-8") as log:
        log.write(f"\n=== {test}: {shlex.join(cmd[3:])} (exit {result.returncode}, {seconds:.0f} s)\n")
        log.write(result.stdout)
        log.write(result.stderr)


def get_host(name: str):
    """A Testinfra host for one Molecule instance, over the Ansible connection."""
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory()}")


def run_playbook(*args: str, playbook: str = "playbooks/site.yml", timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a project playbook against the scenario's hosts; output is captured.

    The returned CompletedProcess also carries ``recap``: the run's Recap as the
    recap_json callback wrote it (per-host counters, changed and failed tasks),
    or None when the run wrote none (say, the playbook did not parse).
    """
    env = dict(os.environ)
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and Path(ephemeral, "ansible.cfg").exists():
        env["ANSIBLE_CONFIG"] = str(Path(ephemeral, "ansible.cfg"))
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    cmd = ["ansible-playbook", "-i", inventory(), str(ROOT / playbook), *args]
    return run_with_recap(cmd, env, timeout)


def run_with_recap(cmd: Sequence[str], env: dict, timeout: int) -> subprocess.CompletedProcess:
    """run_logged() of an ansible-playbook command, with ``recap`` attached (None when the run wrote none)."""
    env = dict(env)
    with tempfile.TemporaryDirectory(prefix="recap-") as scratch:
        recap_file = Path(scratch, "recap.json")
        env.update(recap_env(recap_file))
        result = run_logged(cmd, env, timeout)
        try:
            result.recap = read_recap(recap_file)
        except RecapMissing:
            result.recap = None
    return result


class UnixClient:
    """HTTP from inside a host with curl (keeps cookies between requests).

    By default requests go straight to gunicorn's unix socket, with the
    X-Forwarded-Proto header nginx would add. With ``https=`` set to a CA file,
    they go over verified HTTPS instead: to nginx on the host itself
    (``resolve``, default 127.0.0.1), or with ``resolve=None`` to wherever the
    name resolves (a balancer, seen from a client host).
    """

    def __init__(
        self,
        host,
        socket: str = "/run/gunicorn.sock",
        jar: str = "/tmp/test-cookies.txt",
        user: str = "",
        https: str = "",
        forwarded_proto: str = "https",
        server: str = "localhost",
        resolve: str | None = "127.0.0.1",
    ):
        self.server = server
        self.host = host
        self.socket = socket
        self.jar = jar
        self.prefix = f"runuser -u {user} -- " if user else ""
        self.https = https
        self.forwarded_proto = forwarded_proto
        self.resolve = resolve
        host.run(f"rm -f {jar} {jar}.body {jar}.headers")

    def request(self, path: str, data: dict | None = None, headers: dict | None = None, server: str = ""):
        server = server or self.server
        body_file, head_file = f"{self.jar}.body", f"{self.jar}.headers"
        parts = ["curl", "-sS", "-o", body_file, "-D", head_file, "-w", "%{http_code}"]
        parts += ["-b", self.jar, "-c", self.jar]
        headers = dict(headers or {})
        if self.https:
            parts += ["--cacert", self.https]
            if self.resolve:
                parts += ["--resolve", f"{server}:443:{self.resolve}"]
            url = f"https://{server}{path}"
            if data is not None:
                headers.setdefault("Referer", f"https://{server}{path}")
        else:
            parts += ["--unix-socket", self.socket]
            url = f"http://{server}{path}"
            if self.forwarded_proto:
                headers.setdefault("X-Forwarded-Proto", self.forwarded_proto)
        for key, value in headers.items():
            parts += ["-H", f"{key}: {value}"]
        for key, value in (data or {}).items():
            parts += ["--data-urlencode", f"{key}={value}"]
        parts.append(url)
        result = self.host.run(self.prefix + " ".join(shlex.quote(p) for p in parts))
        status = int(result.stdout.strip() or 0)
        body = self.host.file(body_file).content_string if status else ""
        head = self.host.file(head_file).content_string if status else ""
        return status, head, body

    @staticmethod
    def csrf_token(body: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert match, "no CSRF token in the form"
        return match.group(1)


EXPOSURE = re.compile(r"Overall exposure level for (?P<unit>\S+): (?P<score>\d+(?:\.\d+)?)")


def systemd_exposure(host, unit: str) -> float:
    """The overall exposure score `systemd-analyze security` gives a unit (0 best, 10 worst).

    Read from the text output's last line ("Overall exposure level for X: N ..."):
    systemd 252's --json=short lists the single checks but not the overall
    score. The command's exit status says nothing about the score (it fails
    only with --threshold), so only its output is judged.
    """
    out = host.run(f"systemd-analyze security --no-pager {shlex.quote(unit)}").stdout
    match = EXPOSURE.search(out)
    assert match, f"no exposure score for {unit}:\n{out}"
    return float(match.group("score"))


def assert_login_rate_limited(client, site: str, ca: str, posts: int = 15) -> None:
    """`posts` quick POSTs to the admin login from `client` (HTTPS verified with
    `ca`) meet the rate limit (10 a minute, 5 at once): the first reaches Django
    (403: no CSRF token), at least 5 get 429; a GET of the page is not counted."""
    curl = f"curl -sS --cacert {shlex.quote(ca)} -o /dev/null -w '%{{http_code}} '"
    loop = f"for i in $(seq {posts}); do {curl} -X POST -d username=admin -d password=guess {site}/admin/login/; done"
    codes = client.check_output(loop).split()
    assert codes[0] == "403", codes
    assert codes.count("429") >= 5, codes
    page = client.check_output(f"{curl} {site}/admin/login/").strip()
    assert page == "200", page
