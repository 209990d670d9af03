"""Read pgbench's and wrk's output into numbers (playbooks/benchmark.yml)."""

from __future__ import annotations

import re

# Each filter's documentation is beside this file: pgbench_summary.yml, wrk_summary.yml, bench_cases.yml and bench_plan.yml
# (ansible-doc -t filter django_stack.deploy.<filter>).

REFUSALS = (
    "remaining connection slots are reserved",
    "too many clients already",
    "no more connections allowed",
)


def _number(pattern: str, text: str, cast=float, default=None):
    found = re.findall(pattern, text, re.MULTILINE)
    return cast(found[-1]) if found else default


def pgbench_summary(stdout, stderr="", rc=0) -> dict:
    """``{tps, latency_ms, transactions, failed, refused, aborted_clients, completed, rc}``."""
    text = f"{stdout or ''}\n{stderr or ''}"
    lower = text.lower()
    refused = sum(lower.count(phrase) for phrase in REFUSALS)
    aborted = len(re.findall(r"client \d+ aborted", text))
    tps = _number(r"^tps = ([0-9.]+)", text)
    return {
        "tps": round(tps, 1) if tps is not None else 0.0,
        "latency_ms": _number(r"^latency average = ([0-9.]+) ms", text, default=None),
        "transactions": _number(r"^number of transactions actually processed: (\d+)", text, int, 0),
        "failed": _number(r"^number of failed transactions: (\d+)", text, int, 0),
        "refused": refused,
        "aborted_clients": aborted,
        # pgbench gives up on its first failed connection; -C runs lose only that client.
        "completed": tps is not None and "run was aborted" not in lower and "could not create connection" not in lower,
        "rc": int(rc or 0),
    }


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _duration_ms(value: str, unit: str) -> float:
    return round(float(value) * _UNITS[unit], 3)


def wrk_summary(stdout, rc=0) -> dict:
    """``{requests_per_sec, requests, latency_ms, non_2xx, errors, rc}``."""
    text = stdout or ""
    latency = re.findall(r"^\s*Latency\s+([0-9.]+)(us|ms|s|m)\b", text, re.MULTILINE)
    errors = re.findall(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "requests_per_sec": round(_number(r"^Requests/sec:\s+([0-9.]+)", text, default=0.0), 1),
        "requests": _number(r"^\s*(\d+) requests in", text, int, 0),
        "latency_ms": _duration_ms(*latency[0]) if latency else None,
        "non_2xx": _number(r"Non-2xx or 3xx responses: (\d+)", text, int, 0),
        "errors": sum(int(n) for n in errors[0]) if errors else 0,
        "rc": int(rc or 0),
    }


def bench_cases(targets, clients, connect_per_transaction=(False, True)) -> list:
    """Every pgbench case: ``[{target, clients, connect}, ...]``.

    The direct cases come first, at every client count: PgBouncer keeps the
    server connections its runs opened for server_idle_timeout, and those would
    take slots the direct clients need. Then by client count, then -C."""
    for target in targets:
        if target not in ("direct", "pgbouncer"):
            raise ValueError(f"bench targets are direct and pgbouncer, got {target!r}")
    ordered = sorted(targets, key=lambda target: target != "direct")
    cases = []
    for target in ordered:
        for count in clients:
            for connect in connect_per_transaction:
                cases.append({"target": target, "clients": int(count), "connect": str(connect).lower() in ("1", "true", "yes", "on")})
    return cases


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _case_name(case) -> str:
    return f"pgbench {case['target']} -c {case['clients']}{' -C' if case['connect'] else ''}"


def bench_plan(cases, http_modes, duration, wrk_duration, setup_seconds=60, switch_seconds=15) -> dict:
    """How long the run takes and how each case is announced: ``{seconds, summary, steps}``.

    ``steps`` holds one line per case, pgbench cases first, then the HTTP modes,
    ``case N/M: <what> (<seconds> s)``; ``summary`` says the whole plan:
    cases x duration, plus the set-up (the fill, the PgBouncer restart) and a
    settings switch and warm-up per HTTP mode, both estimates."""
    duration, wrk_duration = int(duration), int(wrk_duration)
    if duration <= 0 or wrk_duration <= 0:
        raise ValueError("bench durations must be positive")
    cases, http_modes = list(cases), list(http_modes)
    total = len(cases) + len(http_modes)
    lines = [f"{_case_name(case)} ({duration} s)" for case in cases]
    lines += [f"wrk, Django mode {mode} ({wrk_duration} s)" for mode in http_modes]
    steps = [f"case {number}/{total}: {line}" for number, line in enumerate(lines, start=1)]
    measured = len(cases) * duration + len(http_modes) * wrk_duration
    overhead = int(setup_seconds) + len(http_modes) * int(switch_seconds)
    summary = (
        f"{len(cases)} pgbench case(s) x {duration} s + {len(http_modes)} HTTP case(s) x {wrk_duration} s"
        f" = {_minutes(measured)} of measuring, plus about {_minutes(overhead)} of set-up"
        f" (fill, restarts, mode switches): about {_minutes(measured + overhead)} in all"
    )
    return {"seconds": measured + overhead, "summary": summary, "steps": steps}


class FilterModule:
    def filters(self):
        return {"pgbench_summary": pgbench_summary, "wrk_summary": wrk_summary, "bench_cases": bench_cases, "bench_plan": bench_plan}
