import sys
from pathlib import Path

# The repository's root, for tests.lib (run_playbook, the host fixture).
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import docker_host  # noqa: E402, F401  (the `host` fixture)
