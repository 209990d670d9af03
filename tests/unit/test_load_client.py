"""The load client counts every non-200 answer and every connection error as a failure."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.lib import load_client


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/healthz":
            body, status, kind = json.dumps({"status": "ok", "version": "7"}).encode(), 200, "application/json"
        elif self.path == "/broken":
            body, status, kind = b"gone", 503, "text/plain"
        else:
            body, status, kind = b"<html>polls</html>", 200, "text/html"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_all_200_means_no_failure_and_versions_are_counted(server):
    summary = load_client.run([f"{server}/healthz", f"{server}/polls/"], rate=50, workers=2, min_seconds=0.4, max_seconds=0.4)
    assert summary["failures"] == 0
    assert summary["requests"] >= 10
    assert summary["statuses"] == {"200": summary["requests"]}
    # Round robin: half the requests went to /healthz, which reports its version.
    assert abs(summary["versions"]["7"] - summary["requests"] / 2) <= 1


def test_error_statuses_and_refused_connections_are_failures(server):
    closed = "http://127.0.0.1:9"  # discard port: nothing listens on the loopback there
    summary = load_client.run([f"{server}/broken", f"{closed}/x", f"{server}/polls/"], rate=60, workers=3, min_seconds=0.3, max_seconds=0.3)
    assert summary["statuses"]["503"] >= 1
    assert sum(summary["errors"].values()) >= 1
    assert summary["failures"] == summary["requests"] - summary["statuses"]["200"]
    assert summary["failures"] >= 2
    assert summary["failed_samples"]


def test_rate_is_held(server):
    summary = load_client.run([f"{server}/polls/"], rate=20, workers=4, min_seconds=1.0, max_seconds=1.0)
    assert 15 <= summary["requests"] <= 23


def test_stop_file_ends_the_run_after_the_minimum(tmp_path):
    stop = tmp_path / "stop"
    assert not load_client.should_stop(5, 10, 100, str(stop))
    assert not load_client.should_stop(20, 10, 100, str(stop))
    stop.touch()
    assert not load_client.should_stop(5, 10, 100, str(stop))
    assert load_client.should_stop(20, 10, 100, str(stop))
    assert load_client.should_stop(100, 10, 1000, str(tmp_path / "absent")) is False
    assert load_client.should_stop(1000, 10, 1000, str(tmp_path / "absent"))
    assert load_client.should_stop(10, 10, 100, "")


@pytest.mark.parametrize(
    ("body", "version"),
    [(b'{"version": "2"}', "2"), (b'{"version": 3}', "3"), (b'{"status": "ok"}', None), (b"<html>", None), (b"{bad", None), (b"[1]", None)],
)
def test_version_of(body, version):
    assert load_client.version_of(body) == version


def test_main_writes_the_summary(server, tmp_path, capsys):
    out = tmp_path / "load.json"
    assert load_client.main([f"{server}/healthz", "--rate", "40", "--min-seconds", "0.2", "--max-seconds", "0.2", "--out", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["failures"] == 0
    assert "0 failed" in capsys.readouterr().out


def test_main_refuses_bad_arguments():
    with pytest.raises(SystemExit):
        load_client.main(["http://127.0.0.1/", "--rate", "0"])
