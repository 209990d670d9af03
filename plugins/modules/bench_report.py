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
  - Uses the Python standard library only (the PNG is drawn with zlib and a built-in bitmap font).
  - Files are rewritten only when their content changes.
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
import struct  # noqa: E402
import zlib  # noqa: E402

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


# --- png --------------------------------------------------------------------

# 5x7 bitmap font: each glyph is 7 rows of 5 bits.
FONT = {
    " ": "00000" * 7,
    "0": "01110100011001110101110011000101110", "1": "00100011000010000100001000010001110",
    "2": "01110100010000100010001000100011111", "3": "11111000100010000010000011000101110",
    "4": "00010001100101010010111110001000010", "5": "11111100001111000001000011000101110",
    "6": "00110010001000011110100011000101110", "7": "11111000010001000100010000100001000",
    "8": "01110100011000101110100011000101110", "9": "01110100011000101111000010001001100",
    "A": "01110100011000111111100011000110001", "B": "11110100011000111110100011000111110",
    "C": "01110100011000010000100001000101110", "D": "11100100101000110001100011001011100",
    "E": "11111100001000011110100001000011111", "F": "11111100001000011110100001000010000",
    "G": "01110100011000010111100011000101111", "H": "10001100011000111111100011000110001",
    "I": "01110001000010000100001000010001110", "J": "00111000100001000010000101001001100",
    "K": "10001100101010011000101001001010001", "L": "10000100001000010000100001000011111",
    "M": "10001110111010110101100011000110001", "N": "10001100011100110101100111000110001",
    "O": "01110100011000110001100011000101110", "P": "11110100011000111110100001000010000",
    "Q": "01110100011000110001101011001001101", "R": "11110100011000111110101001001010001",
    "S": "01111100001000001110000010000111110", "T": "11111001000010000100001000010000100",
    "U": "10001100011000110001100011000101110", "V": "10001100011000110001100010101000100",
    "W": "10001100011000110101101011010101010", "X": "10001100010101000100010101000110001",
    "Y": "10001100010101000100001000010000100", "Z": "11111000010001000100010001000011111",
    ".": "00000000000000000000000000110001100", "-": "00000000000000011111000000000000000",
    "=": "00000000001111100000111110000000000", "/": "00000000010001000100010001000000000",
    "(": "00010001000100001000010000010000010", ")": "01000001000001000010000100010001000",
    ":": "00000011000110000000011000110000000", "%": "11000110010001000100010001001100011",
    "+": "00000001000010011111001000010000000",
}


class Canvas:
    def __init__(self, width, height, background=(255, 255, 255)):
        self.width, self.height = width, height
        self.pixels = [bytearray(bytes(background) * width) for _ in range(height)]

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        for y in range(y0, y1):
            self.pixels[y][x0 * 3 : x1 * 3] = bytes(color) * (x1 - x0)

    def text(self, x, y, text, color=(0, 0, 0), scale=2):
        for char in text.upper():
            glyph = FONT.get(char, FONT[" "])
            for row in range(7):
                for col in range(5):
                    if glyph[row * 5 + col] == "1":
                        self.rect(x + col * scale, y + row * scale, x + (col + 1) * scale, y + (row + 1) * scale, color)
            x += 6 * scale
        return x

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.pixels)

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


COLORS = {"direct": (200, 80, 60), "pgbouncer": (40, 120, 200), "persistent": (230, 160, 30), "pool": (60, 160, 90)}


def _panel(canvas, top, title, bars, unit):
    """Horizontal bars: (label, value, color, note)."""
    canvas.text(20, top, title, scale=2)
    top += 30
    largest = max([value for _, value, _, _ in bars] + [1.0])
    for index, (label, value, color, note) in enumerate(bars):
        y = top + index * 28
        canvas.text(20, y + 4, label, scale=2)
        width = int((canvas.width - 520) * (value / largest))
        canvas.rect(300, y, 300 + max(width, 1), y + 22, color)
        canvas.text(310 + width, y + 4, f"{value:.0f} {unit}{note}", scale=2)
    return top + len(bars) * 28 + 20


def chart(pgbench, http, subtitle):
    bars = []
    for row in pgbench:
        note = f" ({row.get('refused', 0)} REFUSED)" if row.get("refused") else ""
        bars.append((f"{row['target'][:9]} C={row['clients']}{' -C' if row['connect_per_transaction'] else ''}",
                     float(row.get("tps") or 0), COLORS.get(row["target"], (120, 120, 120)), note))
    http_bars = [(f"DJANGO {row['mode']}", float(row.get("requests_per_sec") or 0), COLORS.get(row["mode"], (120, 120, 120)), "")
                 for row in http]
    height = 110 + 30 + len(bars) * 28 + 20 + (30 + len(http_bars) * 28 + 20 if http_bars else 0)
    canvas = Canvas(1000, height)
    canvas.text(20, 15, "CONNECTION POOLING BENCHMARK", scale=3)
    canvas.text(20, 50, subtitle[:80], color=(90, 90, 90), scale=2)
    top = _panel(canvas, 85, "PGBENCH TPS", bars, "TPS")
    if http_bars:
        _panel(canvas, top, "HTTP REQUESTS/S (WRK, POLLS DETAIL PAGE)", http_bars, "REQ/S")
    return canvas.png()


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
    subtitle = f"SCALE {parameters.get('scale', '?')}, {parameters.get('duration', '?')} S PER CASE, {machine.get('cpus', '?')} CPUS"
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
