"""Load one file of this repository as a module, by its path, for the unit tests.

The roles' filter plugins and modules, the action plugins and the scripts are
not importable packages; every unit test loads the file it tests through this
one helper.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_file(relative: str, name: str | None = None, register: bool = False) -> ModuleType:
    """The module in ROOT/relative, named `name` (default: the file's stem).

    register: also put it in sys.modules first (dataclasses and pickling look
    a module up there by name while it is being executed)."""
    path = ROOT / relative
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module
