"""Django's DATABASES["default"] for each connection mode (without the password)."""

from __future__ import annotations

try:  # The filter runs inside Ansible; the unit tests import it directly.
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover
    AnsibleFilterError = ValueError  # type: ignore[misc,assignment]

# Each filter's documentation is beside this file: django_database.yml
# (ansible-doc -t filter django_stack.deploy.<filter>).

MODES = ("direct", "persistent", "pgbouncer", "pool")


def _positive(value, name: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise AnsibleFilterError(f"{name} must be at least {minimum}, got {number}")
    return number


def django_database(
    mode,
    name,
    user,
    host,
    port,
    options=None,
    conn_max_age=60,
    health_checks=True,
    pgbouncer=None,
    pool=None,
) -> dict:
    """Return the settings dictionary (ENGINE, HOST, PORT, NAME, USER, ...).

    ``pgbouncer``: ``{host, port, name, options, conn_max_age}``; a host that
    starts with "/" is a unix socket directory (no TLS options then).
    ``pool``: ``{min_size, max_size, max_idle, timeout}``.
    """
    if mode not in MODES:
        raise AnsibleFilterError(f"the connection mode must be one of {', '.join(MODES)}; got {mode!r}")
    options = dict(options or {})
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": str(host),
        "PORT": _positive(port, "port", 1),
        "NAME": str(name),
        "USER": str(user),
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": options,
    }
    if mode == "persistent":
        settings["CONN_MAX_AGE"] = _positive(conn_max_age, "conn_max_age", 1)
        settings["CONN_HEALTH_CHECKS"] = bool(health_checks)
    elif mode == "pgbouncer":
        bouncer = dict(pgbouncer or {})
        if not bouncer.get("host"):
            raise AnsibleFilterError("pgbouncer mode needs the pool's host (a socket directory or an address)")
        settings["HOST"] = str(bouncer["host"])
        settings["PORT"] = _positive(bouncer.get("port", 6432), "pgbouncer port", 1)
        settings["NAME"] = str(bouncer.get("name") or name)
        settings["CONN_MAX_AGE"] = _positive(bouncer.get("conn_max_age", 0), "pgbouncer conn_max_age")
        # Over a unix socket there is no TLS to ask for.
        settings["OPTIONS"] = {} if settings["HOST"].startswith("/") else dict(bouncer.get("options") or options)
        # Transaction pooling hands each transaction to any server connection:
        # a cursor declared WITH HOLD outside a transaction would be lost.
        settings["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif mode == "pool":
        pool = dict(pool or {})
        min_size = _positive(pool.get("min_size", 1), "pool min_size")
        max_size = _positive(pool.get("max_size", 2), "pool max_size", 1)
        if min_size > max_size:
            raise AnsibleFilterError(f"pool min_size ({min_size}) must not exceed max_size ({max_size})")
        settings["OPTIONS"]["pool"] = {
            "min_size": min_size,
            "max_size": max_size,
            "max_idle": _positive(pool.get("max_idle", 300), "pool max_idle", 1),
            "timeout": _positive(pool.get("timeout", 10), "pool timeout", 1),
        }
    return settings


class FilterModule:
    def filters(self):
        return {"django_database": django_database}
