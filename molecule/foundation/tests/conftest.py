import sys
from pathlib import Path

# The repository's root, for tests.lib (run_playbook).
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
