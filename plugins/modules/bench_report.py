#!/usr/bin/python
"""Write the benchmark report: JSON, a Markdown table and a PNG chart."""

from __future__ import annotations

DOCUMENTATION = r"""
module: bench_report
short_description: Write the connection-pooling benchmark's report (JSON, Markdown, PNG)
description:
  - Takes the pgbench and wrk results of playbooks/benchmark.yml, with the run's parameters and the
    machine it ran on, and writes C(benchmark.json), C(benchmark.md) (a table with a row per case and
    the ratios docs/pooling-and-benchmark.md quotes) and C(benchmark.png) (a bar chart) into I(dest).
  - The chart is drawn with matplotlib on the controller, where the report is written. It shows pgbench's
    TPS grouped by client count, plain and new-connection-per-transaction (-C) runs told apart, and
    wrk's requests/s per Django connection mode; a refused or failed case is labelled, not drawn as a
    0 bar.
  - Files are rewritten only when their content changes.
requirements: [matplotlib (on the controller)]
options:
  dest: {description: Directory for the report (created when missing)., type: path, required: true}
  pgbench:
    description: pgbench cases (name, target, clients, connect_per_transaction and the numbers).
    type: list
    elements: dict
    default: []
  http: {description: wrk cases (mode and the numbers)., type: list, elements: dict, default: []}
  parameters: {description: The run's parameters., type: dict, default: {}}
  machine: {description: What the run ran on., type: dict, default: {}}
"""

EXAMPLES = r"""
- name: Write the report
  bench_report:
    dest: reports/benchmark
    pgbench: "{{ pgbench_rows }}"
    http: "{{ wrk_rows }}"
"""

RETURN = r"""
files: {description: The report's files., type: list, returned: always}
ratios: {description: Throughput ratios (pooled over direct)., type: dict, returned: always}
"""

import json  # noqa: E402
import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

# --- ratios -----------------------------------------------------------------


def _find(rows, **match):
    for row in rows:
        if all(row.get(key) == value for key, value in match.items()):
            return row
    return None


def _ratio(top, bottom, key):
    if not top or not bottom or not bottom.get(key):
        return None
    return round(float(top[key]) / float(bottom[key]), 2)


def ratios(pgbench, http):
    """Pooled over direct: raw pgbench -C and plain, and Django's modes."""
    result = {}
    clients = sorted({row["clients"] for row in pgbench})
    for count in clients:
        for connect in (True, False):
            pooled = _find(pgbench, target="pgbouncer", clients=count, connect_per_transaction=connect)
            direct = _find(pgbench, target="direct", clients=count, connect_per_transaction=connect)
            label = f"pgbench {'-C ' if connect else ''}c={count} pgbouncer/direct"
            result[label] = _ratio(pooled, direct, "tps")
    direct = _find(http, mode="direct")
    for mode in ("persistent", "pgbouncer", "pool"):
        result[f"http {mode}/direct"] = _ratio(_find(http, mode=mode), direct, "requests_per_sec")
    return result


# --- markdown ---------------------------------------------------------------

# The seed article's figures (a 4 GB managed cluster one hop away, 600 s runs).
SEED = {
    "seed: pgbench c=150 pool/direct (344 / 258 TPS)": 1.33,
    "seed: pgbench c=50 pool/direct (171 / 175 TPS)": 0.98,
}


def _fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(pgbench, http, parameters, machine, computed):
    lines = [
        "### pgbench",
        "",
        "| case | clients | new connection per transaction | TPS | latency (ms) | refused connections | aborted clients | completed |",
    ]
    lines.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for row in pgbench:
        lines.append(
            f"| {row['name']} | {row['clients']} | {_fmt(row['connect_per_transaction'])} | {_fmt(row.get('tps'))} | "
            f"{_fmt(row.get('latency_ms'), 2)} | {row.get('refused', 0)} | {row.get('aborted_clients', 0)} | {_fmt(row.get('completed'))} |"
        )
    if http:
        lines += ["", "### HTTP (wrk, polls detail page)", ""]
        lines.append("| Django connection mode | requests/s | latency (ms) | non-2xx | socket errors |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for row in http:
            lines.append(
                f"| {row['mode']} | {_fmt(row.get('requests_per_sec'))} | {_fmt(row.get('latency_ms'), 2)} | "
                f"{row.get('non_2xx', 0)} | {row.get('errors', 0)} |"
            )
    lines += ["", "### Ratios", "", "| comparison | ratio |", "| --- | ---: |"]
    for name, value in computed.items():
        lines.append(f"| {name} | {_fmt(value, 2)}{'×' if value is not None else ''} |")
    for name, value in SEED.items():
        lines.append(f"| {name} | {value:.2f}× |")
    lines += ["", "### Parameters and machine", ""]
    for name, value in {**parameters, **machine}.items():
        lines.append(f"- {name}: {value}")
    return "\n".join(lines) + "\n"


# --- chart ------------------------------------------------------------------

# One colour per pgbench target and Django connection mode; a hatch marks -C.
COLORS = {"direct": "#c0504d", "pgbouncer": "#4f81bd", "persistent": "#9bbb59", "pool": "#8064a2"}


def _outcome(row, value_key):
    """What to draw for a case: ("bar", value, note) or ("mark", 0, why) for a case with no figure."""
    value = float(row.get(value_key) or 0)
    refused = int(row.get("refused") or 0)
    failed = row.get("completed") is False or int(row.get("rc") or 0) != 0 or int(row.get("errors") or 0) > 0
    if value <= 0:
        return "mark", 0.0, f"no result: {refused} connection{'s' if refused != 1 else ''} refused" if refused else "no result: failed"
    note = f"{refused} refused" if refused else ("incomplete" if failed else "")
    return "bar", value, note


def figure(pgbench, http, subtitle):
    """The report's chart: pgbench TPS grouped by client count (-c and -C told apart) and wrk's requests/s per
    Django connection mode. A case with no figure (refused or failed) is marked with a label, not a 0 bar."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    panels = 2 if http else 1
    fig = Figure(figsize=(10, 4.2 * panels), dpi=100, layout="constrained")
    fig.suptitle(f"Connection pooling benchmark\n{subtitle}", fontsize=12)
    axes = fig.subplots(panels, 1, squeeze=False)[:, 0]

    ax = axes[0]
    clients = sorted({row["clients"] for row in pgbench})
    series = sorted({(row["target"], bool(row["connect_per_transaction"])) for row in pgbench},
                    key=lambda item: (item[1], item[0]))
    width = 0.8 / max(len(series), 1)
    top = max([float(row.get("tps") or 0) for row in pgbench] + [1.0])
    for index, (target, connect) in enumerate(series):
        for group, count in enumerate(clients):
            row = next((r for r in pgbench if r["target"] == target and bool(r["connect_per_transaction"]) == connect
                        and r["clients"] == count), None)
            if row is None:
                continue
            x = group - 0.4 + width * (index + 0.5)
            kind, value, note = _outcome(row, "tps")
            if kind == "bar":
                ax.bar(x, value, width, color=COLORS.get(target, "#777777"), hatch="//" if connect else None,
                       edgecolor="black", linewidth=0.5)
                ax.annotate(f"{value:,.0f}" + (f"\n{note}" if note else ""), (x, value), ha="center", va="bottom", fontsize=8)
            else:
                ax.annotate(f"{target}{' -C' if connect else ''}: {note}", (x, top * 0.02), ha="center", va="bottom",
                            rotation=90, fontsize=8, color="#b00000")
    ax.set_xticks(range(len(clients)), [f"{count} clients (-c {count})" for count in clients])
    ax.set_ylabel("transactions per second (pgbench)")
    ax.set_ylim(0, top * 1.45)  # room for the legend above the bars
    ax.set_title("pgbench: straight to PostgreSQL or through PgBouncer")
    handles = [Patch(facecolor=COLORS.get(target, "#777777"), edgecolor="black", hatch="//" if connect else None,
                     label=f"{target}, {'new connection per transaction (-C)' if connect else 'persistent connections'}")
               for target, connect in series]
    ax.legend(handles=handles, ncols=2, loc="upper center", fontsize=8)
    ax.grid(axis="y", alpha=0.3)

    if http:
        ax = axes[1]
        top = max([float(row.get("requests_per_sec") or 0) for row in http] + [1.0])
        for x, row in enumerate(http):
            kind, value, note = _outcome(row, "requests_per_sec")
            if kind == "bar":
                ax.bar(x, value, 0.6, color=COLORS.get(row["mode"], "#777777"), edgecolor="black", linewidth=0.5)
                ax.annotate(f"{value:,.0f}" + (f"\n{note}" if note else ""), (x, value), ha="center", va="bottom", fontsize=8)
            else:
                ax.annotate(note, (x, top * 0.02), ha="center", va="bottom", rotation=90, fontsize=8, color="#b00000")
        ax.set_xticks(range(len(http)), [row["mode"] for row in http])
        ax.set_xlabel("Django connection mode")
        ax.set_ylabel("requests per second (wrk)")
        ax.set_ylim(0, top * 1.2)
        ax.set_title("HTTP: the polls detail page through nginx and gunicorn")
        ax.grid(axis="y", alpha=0.3)
    return fig


def chart(pgbench, http, subtitle):
    """The chart as PNG bytes (the same input gives the same bytes)."""
    import io

    buffer = io.BytesIO()
    figure(pgbench, http, subtitle).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# --- module -----------------------------------------------------------------


def _write(path, data, check_mode):
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return False
    except OSError:
        pass
    if not check_mode:
        with open(path, "wb") as handle:
            handle.write(data)
    return True


def build(pgbench, http, parameters, machine):
    computed = ratios(pgbench, http)
    document = {"parameters": parameters, "machine": machine, "pgbench": pgbench, "http": http, "ratios": computed}
    subtitle = (f"scale {parameters.get('scale', '?')}, {parameters.get('duration', '?')} s per case, "
                f"{machine.get('cpus', '?')} CPUs, {machine.get('os', '?')}, PostgreSQL {machine.get('postgresql', '?')}, "
                f"{parameters.get('when', '')}")
    return {
        "benchmark.json": (json.dumps(document, indent=2, sort_keys=True) + "\n").encode(),
        "benchmark.md": markdown(pgbench, http, parameters, machine, computed).encode(),
        "benchmark.png": chart(pgbench, http, subtitle),
    }, computed


def main():
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "pgbench": {"type": "list", "elements": "dict", "default": []},
            "http": {"type": "list", "elements": "dict", "default": []},
            "parameters": {"type": "dict", "default": {}},
            "machine": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    params = module.params
    files, computed = build(params["pgbench"], params["http"], params["parameters"], params["machine"])
    changed = False
    if not os.path.isdir(params["dest"]):
        changed = True
        if not module.check_mode:
            os.makedirs(params["dest"], exist_ok=True)
    written = []
    for name, data in files.items():
        path = os.path.join(params["dest"], name)
        changed |= _write(path, data, module.check_mode)
        written.append(path)
    module.exit_json(changed=changed, files=written, ratios=computed)


if __name__ == "__main__":
    main()
