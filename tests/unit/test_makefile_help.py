"""`make help` lists every target of the Makefile's .PHONY line."""

import re
from pathlib import Path

MAKEFILE = (Path(__file__).resolve().parents[2] / "Makefile").read_text()


def test_help_lists_every_phony_target():
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.M).group(1).split()
    listed = re.findall(r'^\t@echo "make ([a-z]+)\s', MAKEFILE, re.M)
    assert phony and sorted(listed) == sorted(set(listed))
    assert set(phony) == set(listed), f"not in make help: {sorted(set(phony) - set(listed))}"
