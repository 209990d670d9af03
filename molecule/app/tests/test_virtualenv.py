"""The virtualenv role (converged here under django_app): one virtualenv per app, pinned packages, OS Python."""

VENV = "/srv/polls/envs/polls"


def test_virtualenv_is_built_from_the_os_python(host):
    cfg = host.file(f"{VENV}/pyvenv.cfg").content_string
    assert "home = /usr/bin" in cfg
    version = host.check_output(f"{VENV}/bin/python -c 'import sys; print(sys.version_info[:2])'")
    system = host.check_output("/usr/bin/python3 -c 'import sys; print(sys.version_info[:2])'")
    assert version == system


def test_pinned_packages_are_installed(host):
    freeze = host.check_output(f"{VENV}/bin/pip freeze --all").lower().splitlines()
    for pin in ["django==5.2.19", "gunicorn==27.0.1", "psycopg2-binary==2.9.13", "pip==26.3", "django-storages==1.14.6"]:
        assert pin in freeze


def test_dependencies_are_consistent(host):
    assert host.run(f"{VENV}/bin/pip check").rc == 0


def test_packages_import(host):
    out = host.check_output(f"{VENV}/bin/python -c 'import django, gunicorn, psycopg2; print(django.get_version())'")
    assert out == "5.2.19"


def test_virtualenv_is_owned_by_root_and_not_writable_by_others(host):
    for path in [VENV, f"{VENV}/bin", f"{VENV}/lib"]:
        f = host.file(path)
        assert f.user == "root"
        assert not f.mode & 0o002


def test_a_rerun_installs_nothing(host):
    # pip itself confirms that every pin is satisfied (nothing to download).
    out = host.check_output(f"{VENV}/bin/pip install --no-index Django==5.2.19 gunicorn==27.0.1")
    assert "Requirement already satisfied: Django==5.2.19" in out
