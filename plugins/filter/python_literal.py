"""Render data from Ansible variables as Python source (for generated settings)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

# Each filter's documentation is beside this file: python_literal.yml
# (ansible-doc -t filter django_stack.deploy.<filter>).


def python_literal(value) -> str:
    """Return Python source for ``value``; raise for what has no literal."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"python_literal: {value!r} has no Python literal")
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int, bool)) and key is not None:
                raise TypeError(f"python_literal: unsupported key type {type(key).__name__}")
            items.append(f"{python_literal(key)}: {python_literal(item)}")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    raise TypeError(f"python_literal: cannot render a {type(value).__name__}")


class FilterModule:
    def filters(self):
        return {"python_literal": python_literal}
