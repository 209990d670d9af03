"""Django's DATABASES per connection mode (plugins/filter/django_database.py)."""

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
plugin = load_file("plugins/filter/django_database.py")
OPTIONS = {"sslmode": "require"}


def settings(mode, **kwargs):
    return plugin.django_database(mode, "polls", "polls", "10.0.0.3", "5432", OPTIONS, **kwargs)


def test_direct_opens_a_connection_per_request():
    db = settings("direct", conn_max_age=60)
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "10.0.0.3",
        "PORT": 5432,
        "NAME": "polls",
        "USER": "polls",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"sslmode": "require"},
    }
    assert "PASSWORD" not in db


def test_persistent_keeps_and_checks_connections():
    db = settings("persistent", conn_max_age="120", health_checks=True)
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (120, True)
    with pytest.raises(AnsibleFilterError, match="conn_max_age must be at least 1"):
        settings("persistent", conn_max_age=0)


def test_pgbouncer_over_the_local_socket():
    db = settings("pgbouncer", pgbouncer={"host": "/var/run/postgresql", "port": "6432", "name": ""})
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("/var/run/postgresql", 6432, "polls")
    assert db["OPTIONS"] == {}  # no TLS over a unix socket
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["CONN_MAX_AGE"] == 0


def test_pgbouncer_at_a_managed_pool():
    # A DigitalOcean pool: its own port, the pool's name as the database, TLS.
    db = settings(
        "pgbouncer",
        pgbouncer={"host": "private-db.example.com", "port": 25061, "name": "polls-pool", "options": {"sslmode": "verify-full"}},
    )
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("private-db.example.com", 25061, "polls-pool")
    assert db["OPTIONS"] == {"sslmode": "verify-full"}


def test_pgbouncer_needs_a_host():
    with pytest.raises(AnsibleFilterError, match="pool's host"):
        settings("pgbouncer", pgbouncer={"host": ""})


def test_pool_uses_psycopg_pool_options_and_no_persistent_connections():
    db = settings("pool", conn_max_age=60, pool={"min_size": 2, "max_size": "4", "max_idle": 60, "timeout": 5})
    assert db["CONN_MAX_AGE"] == 0
    assert db["OPTIONS"] == {"sslmode": "require", "pool": {"min_size": 2, "max_size": 4, "max_idle": 60, "timeout": 5}}
    assert OPTIONS == {"sslmode": "require"}  # the caller's options are not changed


@pytest.mark.parametrize(
    ("pool", "message"),
    [
        ({"min_size": 3, "max_size": 2}, "must not exceed"),
        ({"max_size": 0}, "max_size must be at least 1"),
        ({"timeout": "x"}, "whole number"),
    ],
)
def test_bad_pool_numbers_are_named(pool, message):
    with pytest.raises(AnsibleFilterError, match=message):
        settings("pool", pool=pool)


def test_unknown_mode_is_refused():
    with pytest.raises(AnsibleFilterError, match="direct, persistent, pgbouncer, pool"):
        settings("pooled")
