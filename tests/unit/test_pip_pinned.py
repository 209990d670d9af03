"""plugins/filter/pip_pinned.py: the pinned requirements a virtualenv lacks, from its dist-info directories."""

from tests.lib.loader import load_file

pip = load_file("plugins/filter/pip_pinned.py", "pip_pinned")

SITE = "/srv/polls/envs/polls/lib/python3.11/site-packages/"
FOUND = [{"path": SITE + name} for name in (
    "Django-5.2.19.dist-info", "psycopg2_binary-2.9.13.dist-info", "gunicorn-27.0.1.dist-info", "moto-5.2.5.dist-info",
    "zope.interface-7.0.dist-info",
)]


def test_pinned_and_installed_are_not_missing():
    # Names compare as pip normalizes them: case, '-', '_' and '.' alike; extras do not matter.
    specs = ["django==5.2.19", "psycopg2-binary==2.9.13", "gunicorn == 27.0.1", "moto[s3]==5.2.5", "zope-interface==7.0"]
    assert pip.pip_missing(specs, FOUND) == []


def test_another_version_an_absent_package_or_no_pin_is_missing():
    specs = ["Django==5.2.20", "boto3==1.44.5", "gunicorn", "gunicorn>=27", "psycopg2-binary==2.9.1"]
    assert pip.pip_missing(specs, FOUND) == specs


def test_plain_paths_and_an_empty_listing():
    assert pip.pip_missing(["Django==5.2.19"], [SITE + "Django-5.2.19.dist-info/"]) == []
    # A virtualenv not made yet: nothing found, everything to install.
    assert pip.pip_missing(["Django==5.2.19"], []) == ["Django==5.2.19"]
    assert pip.pip_missing(["Django==5.2.19"], None) == ["Django==5.2.19"]
    # Other directories the listing may hold are not distributions.
    assert pip.pip_missing(["Django==5.2.19"], [SITE + "django", SITE + "Django-5.2.19.egg-info"]) == ["Django==5.2.19"]
