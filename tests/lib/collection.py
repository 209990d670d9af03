"""The collection as a user installs it: the tarball built from the checkout, installed offline under a path of
its own. Used by tests/unit/test_collection.py and the `single` scenario's run against real hosts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
# Where the `ansible` package keeps the collections it bundles (galaxy.yml's dependencies).
BUNDLED = next(str(Path(p)) for p in sys.path if (Path(p) / "ansible_collections" / "community").is_dir())


def run(cmd, env, cwd, check=True, timeout=120) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def user_env(tmp: Path, config: Path, collections: Path) -> dict:
    """A user's environment: none of the checkout's Ansible settings, only `config` and the installed collection."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "DJANGO_STACK_"))}
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(collections), BUNDLED]),
        ANSIBLE_HOME=str(tmp / "home"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "home" / "tmp"),
        ANSIBLE_NOCOLOR="1",
        PATH=os.pathsep.join([str(BIN), env.get("PATH", "")]),
    )
    return env


def build_and_install(tmp: Path, env: dict, collections: Path) -> Path:
    """Build the tarball under tmp and install it into `collections` (--offline --no-deps); returns the tarball."""
    build = tmp / "build"
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", build, ROOT], env, cwd=tmp)
    (tarball,) = build.glob("*.tar.gz")
    run([BIN / "ansible-galaxy", "collection", "install", tarball, "-p", collections, "--offline", "--no-deps"], env, cwd=tmp)
    assert (collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"] / "MANIFEST.json").is_file()
    return tarball
