#!/usr/bin/env python3
"""A bounded, constant request stream, for rolling updates under load.

Standard library only: it is copied to a client host and run there. Worker
threads send GET requests at a fixed overall rate, round-robin over the given
URLs, each on a new connection (as many browsers would), and count every answer
that is not a 200 - or no answer at all - as a failure. It runs for at least
--min-seconds and then until --stop-file exists (the test creates it when the
playbook under test has finished), at most --max-seconds. The summary is
printed and, with --out, written as JSON:

  {"requests": 1200, "failures": 0, "statuses": {"200": 1200}, "errors": {},
   "versions": {"1": 640, "2": 560}, "seconds": 61.2, "rate": 19.6}

``versions`` counts the "version" field of JSON answers (the app's /healthz).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Counts of one run; safe to update from several threads."""

    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    versions: Counter = field(default_factory=Counter)
    failed_samples: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, url: str, status: int | None, body: bytes = b"", error: str = "") -> None:
        version = version_of(body) if status == 200 else None
        with self.lock:
            if status is not None:
                self.statuses[str(status)] += 1
            if error:
                self.errors[error] += 1
            if version is not None:
                self.versions[version] += 1
            if (status != 200 or error) and len(self.failed_samples) < 20:
                self.failed_samples.append({"time": round(time.time(), 3), "url": url, "status": status, "error": error})

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())

    @property
    def failures(self) -> int:
        return self.requests - self.statuses.get("200", 0)

    def summary(self, seconds: float) -> dict:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "statuses": dict(self.statuses),
            "errors": dict(self.errors),
            "versions": dict(self.versions),
            "failed_samples": list(self.failed_samples),
            "seconds": round(seconds, 1),
            "rate": round(self.requests / seconds, 1) if seconds > 0 else 0.0,
        }


def version_of(body: bytes) -> str | None:
    """The "version" of a JSON object answer, or None."""
    if not body.startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return None if version is None else str(version)


def should_stop(elapsed: float, min_seconds: float, max_seconds: float, stop_file: str) -> bool:
    """Stop after max_seconds, or after min_seconds once the stop file exists."""
    if elapsed >= max_seconds:
        return True
    if elapsed < min_seconds:
        return False
    return not stop_file or os.path.exists(stop_file)


def fetch(url: str, context: ssl.SSLContext | None, timeout: float) -> tuple[int | None, bytes, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "django-stack-load-client", "Connection": "close"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310 - test URLs
            return response.status, response.read(), ""
    except urllib.error.HTTPError as exc:
        return exc.code, b"", ""
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, b"", type(reason).__name__ if not isinstance(reason, str) else reason


def run(
    urls: list[str],
    rate: float,
    workers: int,
    min_seconds: float,
    max_seconds: float,
    stop_file: str = "",
    cacert: str = "",
    timeout: float = 10.0,
    clock=time.monotonic,
) -> dict:
    """Send requests at `rate` per second over `workers` threads until told to stop."""
    context = ssl.create_default_context(cafile=cacert) if cacert else None
    tally = Tally()
    start = clock()
    interval = 1.0 / rate
    next_slot = [start]
    slot_lock = threading.Lock()
    sent = [0]

    def worker() -> None:
        while True:
            with slot_lock:
                slot = max(next_slot[0], clock())
                if should_stop(slot - start, min_seconds, max_seconds, stop_file):
                    return
                next_slot[0] = slot + interval
                url = urls[sent[0] % len(urls)]
                sent[0] += 1
            delay = slot - clock()
            if delay > 0:
                time.sleep(delay)
            status, body, error = fetch(url, context, timeout)
            tally.record(url, status, body, error)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally.summary(clock() - start)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+", help="URLs requested in turn")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second, all workers together")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--min-seconds", type=float, default=60.0)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--stop-file", default="")
    parser.add_argument("--cacert", default="", help="CA file to verify HTTPS with")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--out", default="", help="write the summary here as JSON")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.min_seconds < 0 or args.max_seconds < args.min_seconds:
        parser.error("--rate must be positive and 0 <= --min-seconds <= --max-seconds")
    summary = run(args.urls, args.rate, args.workers, args.min_seconds, args.max_seconds, args.stop_file, args.cacert, args.timeout)
    text = json.dumps(summary, sort_keys=True)
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, args.out)
    print(
        f"load: {summary['requests']} requests in {summary['seconds']} s, {summary['failures']} failed; "
        f"statuses {summary['statuses']}, errors {summary['errors']}, versions {summary['versions']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
