"""Every role has a README with its variable table, which documents every
variable, and README.md links to each role's README."""

import re
from pathlib import Path

import yaml

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
role_docs = load_file("scripts/role_docs.py")
README = (ROOT / "README.md").read_text()
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "defaults" / "main.yml").exists())


def test_every_role_has_a_variable_table():
    # The tables live in the roles' READMEs only; README.md links to each.
    linked = set(re.findall(r"\]\(roles/([a-z0-9_]+)/README\.md\)", README))
    assert linked == set(ROLES)
    for role in ROLES:
        documented = set(re.findall(r"<!-- vars:([a-z0-9_]+) -->", (ROOT / "roles" / role / "README.md").read_text()))
        assert documented == {role}


def test_tables_are_up_to_date():
    for path in role_docs.documents():
        text = path.read_text()
        assert role_docs.render(text) == text, f"{path}: run scripts/role_docs.py"


def test_every_role_has_its_own_readme_with_its_table():
    for role in ROLES:
        text = (ROOT / "roles" / role / "README.md").read_text()
        assert f"<!-- vars:{role} -->" in text


def test_every_default_is_documented_in_the_spec():
    for role in ROLES:
        defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
        role_readme = (ROOT / "roles" / role / "README.md").read_text()
        for name in defaults:
            assert name.startswith(role + "_"), f"{role}: {name} lacks the role prefix"
            assert f"`{name}`" in role_readme


def commented(lines: list[str], index: int) -> bool:
    """A variable is commented when a comment sits right above it, or above a
    run of one-line variables that it belongs to."""
    for line in reversed(lines[:index]):
        if line.startswith("#"):
            return True
        if not re.match(r"^[a-z0-9_]+: \S", line):
            return False
    return False


def test_every_default_has_a_comment():
    for role in ROLES:
        lines = (ROOT / "roles" / role / "defaults" / "main.yml").read_text().splitlines()
        for index, line in enumerate(lines):
            if re.match(r"^[a-z0-9_]+:", line):
                assert commented(lines, index), f"{role}: {line.split(':')[0]} has no comment"


def test_two_commands_are_documented():
    assert "make up" in README and "make test" in README
