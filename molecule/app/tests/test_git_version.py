"""A django_app_git_version the repository lacks is found on the host, before any change."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import run_playbook  # noqa: E402

PLAYBOOK = "molecule/app/validate_git.yml"


def test_the_deployed_tag_is_found():
    result = run_playbook("-e", "django_app_git_version=v1", playbook=PLAYBOOK)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "TASK [django_stack.deploy.django_app : List the repository's branches and tags]" in result.stdout


def test_a_missing_tag_stops_before_any_change():
    result = run_playbook("-e", "django_app_git_version=v9", playbook=PLAYBOOK)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "django_app_git_version v9 is no branch or tag of django_app_git_repo file:///srv/git/polls.git" in output
    assert result.recap is not None and result.recap.hosts["app-git"].changed == 0
