#!/usr/bin/env python3
"""Keep the role variable tables of roles/*/README.md (and of README.md, should it
carry one) in step.

Each table sits between `<!-- vars:ROLE -->` and `<!-- /vars:ROLE -->` and is
built from roles/ROLE/defaults/main.yml (the default values)
and roles/ROLE/meta/argument_specs.yml (types, required, descriptions).

  role_docs.py          rewrite the tables
  role_docs.py --check  exit 1 when a table is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- vars:(?P<role>[a-z0-9_]+) -->\n)(?P<body>.*?)(<!-- /vars:(?P=role) -->)", re.DOTALL)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(value) -> str:
    if isinstance(value, str):
        rendered = value
    else:
        rendered = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        rendered = rendered.removesuffix("\n...").removesuffix("...").strip()
    rendered = _cell(rendered)
    if len(rendered) > 70:
        rendered = rendered[:67] + "..."
    return f"`{rendered}`" if rendered else '`""`'


def table(role: str) -> str:
    base = ROOT / "roles" / role
    if not (base / "defaults" / "main.yml").exists():
        return f"(no role `{role}` in roles/)\n"
    defaults = yaml.safe_load((base / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((base / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    options = spec.get("options", {})
    names = list(dict.fromkeys([*options, *defaults]))
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name in names:
        opt = options.get(name, {})
        if name in defaults:
            default = _default(defaults[name])
        elif opt.get("required"):
            default = "**required**"
        else:
            default = "—"
        description = opt.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if not description:
            description = "Derived; see defaults/main.yml."
        if opt.get("choices"):
            description += " One of: " + ", ".join(f"`{c}`" for c in opt["choices"]) + "."
        rows.append(f"| `{name}` | {default} | {_cell(description)} |")
    return "\n".join(rows) + "\n"


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + table(m.group("role")) + m.group(4), text)


def documents() -> list[Path]:
    return [README, *sorted(ROOT.glob("roles/*/README.md"))]


def main(argv: list[str]) -> int:
    stale = []
    for path in documents():
        text = path.read_text()
        new = render(text)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if "--check" not in argv:
                path.write_text(new)
    if stale and "--check" in argv:
        print(f"variable tables out of date in {', '.join(map(str, stale))}: run scripts/role_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
