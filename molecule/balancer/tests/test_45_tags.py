"""Tags select a tier: --tags balancer runs the balancers' play only, and changes nothing on a converged stack."""

from tests.lib.molecule_helpers import run_playbook
from tests.lib.recap import changed_hosts


def test_tag_balancer_runs_the_balancer_play_only():
    result = run_playbook("--tags", "balancer")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "TASK [loadbalancer : Render the balancer's site" in result.stdout
    # Preflight validates every role (tag always); nothing else of the app tier runs.
    assert "TASK [django_app : Write the deployment settings]" not in result.stdout
    assert "TASK [nginx : Render the site" not in result.stdout
    assert changed_hosts(result.stdout) == []


def test_tag_web_in_check_mode_reports_no_change():
    result = run_playbook("--tags", "web", "--check", "--diff")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "TASK [nginx : Render the site" in result.stdout
    assert "TASK [django_app : Write the deployment settings]" not in result.stdout
    assert changed_hosts(result.stdout) == []
