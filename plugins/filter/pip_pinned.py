"""Which pinned requirements a virtualenv lacks, from one listing of its *.dist-info directories.

A pip task on a converged host starts pip, which reads every installed
distribution to answer that nothing is to do (about a second a run on the test
machine). One `find` of the virtualenv's dist-info directories answers the same
for requirements pinned with ``==``: each role's pip task runs only for what
this filter returns. Anything not pinned exactly is returned too (pip decides).
Documentation: pip_missing.yml beside this file.
"""

from __future__ import annotations

import re

_SPEC = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([A-Za-z0-9.+!_]+)\s*")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def pip_missing(specs, found) -> list:
    """The specs of ``specs`` not installed at their pinned version.

    found: the files of a find over the virtualenv's lib directory (dicts with
    ``path``) or plain paths; a dist-info directory is ``NAME-VERSION.dist-info``."""
    present = set()
    for entry in found or []:
        path = entry["path"] if isinstance(entry, dict) else str(entry)
        base = path.rstrip("/").rsplit("/", 1)[-1]
        if not base.endswith(".dist-info"):
            continue
        name, dash, version = base[: -len(".dist-info")].rpartition("-")
        if dash:
            present.add((_name(name), version))
    missing = []
    for spec in specs or []:
        match = _SPEC.fullmatch(str(spec))
        if not match or (_name(match.group(1)), match.group(2)) not in present:
            missing.append(spec)
    return missing


class FilterModule:
    def filters(self):
        return {"pip_missing": pip_missing}
