"""Pool arithmetic: fit connection pools under the server's max_connections.

A PostgreSQL server accepts ``max_connections`` connections, of which
``reserved`` (superuser_reserved_connections, 3 on DigitalOcean) are kept for
maintenance. Every PgBouncer host opens at most ``pool_size`` server
connections per pool (one pool per database and user), so

    hosts x (sum of pool sizes + reserve pools) + other clients <= max_connections - reserved

must hold, or clients see "remaining connection slots are reserved". With a
100-connection server, 3 reserved, one PgBouncer host and one database, the
pool gets the seed article's 97 connections.
"""

from __future__ import annotations

try:  # The filters run inside Ansible; the unit tests import them directly.
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover
    AnsibleFilterError = ValueError  # type: ignore[misc,assignment]

# Each filter's documentation is beside this file: pgbouncer_server_budget.yml,
# pgbouncer_pool_sizes.yml, pgbouncer_pool_size.yml and pgbouncer_nofile.yml
# (ansible-doc -t filter django_stack.deploy.<filter>).


def _int(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{name} must be a whole number, got {value!r}") from None
    if number < 0:
        raise AnsibleFilterError(f"{name} must not be negative, got {number}")
    return number


def server_budget(max_connections, reserved=3, hosts=1, other=0) -> int:
    """Server connections each of ``hosts`` pooler hosts may open."""
    max_connections = _int(max_connections, "max_connections")
    reserved = _int(reserved, "reserved")
    hosts = _int(hosts, "hosts")
    other = _int(other, "other")
    if hosts < 1:
        raise AnsibleFilterError("hosts must be at least 1 (the number of PgBouncer hosts sharing the server)")
    usable = max_connections - reserved - other
    if usable < hosts:
        raise AnsibleFilterError(
            f"no pool fits: max_connections {max_connections} - reserved {reserved} - other clients {other} "
            f"= {usable} server connections, fewer than one for each of {hosts} PgBouncer host(s). "
            "Raise max_connections (a bigger cluster), or use fewer pooler hosts."
        )
    return usable // hosts


def pgbouncer_pool_sizes(databases, max_connections, reserved=3, hosts=1, other=0, reserve_pool=0, default=0, minimum=1) -> dict:
    """Pool size of each database on one host: ``{name: size}``.

    ``databases`` is a list of names or of mappings with ``name`` and an
    optional ``pool_size``; without one, a pool gets ``default`` or, when that
    is 0, an equal share of what is left. Every size is checked against the
    budget.
    """
    if isinstance(databases, (str, bytes)) or not hasattr(databases, "__iter__"):
        raise AnsibleFilterError("databases must be a list of names or of mappings with `name`")
    entries = []
    for item in databases:
        if isinstance(item, str):
            entries.append((item, 0))
        elif isinstance(item, dict) and item.get("name"):
            entries.append((str(item["name"]), _int(item.get("pool_size") or 0, f"pool_size of {item['name']}")))
        else:
            raise AnsibleFilterError(f"each database must be a name or a mapping with `name`, got {item!r}")
    if not entries:
        raise AnsibleFilterError("databases must not be empty")
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise AnsibleFilterError(f"database names must be unique, got {names}")
    default = _int(default, "default")
    entries = [(name, size or default) for name, size in entries]
    reserve_pool = _int(reserve_pool, "reserve_pool")
    minimum = max(1, _int(minimum, "minimum"))
    budget = server_budget(max_connections, reserved, hosts, other)
    fixed = sum(size for _, size in entries)
    auto = [name for name, size in entries if size == 0]
    left = budget - fixed - reserve_pool * len(entries)
    share = left // len(auto) if auto else 0
    if left < 0 or (auto and share < minimum):
        raise AnsibleFilterError(
            f"the pools do not fit: {hosts} host(s) x (pools {fixed} fixed + {len(auto)} x at least {minimum} "
            f"+ reserve {reserve_pool} x {len(entries)}) must stay within max_connections {max_connections} "
            f"- reserved {reserved} - other clients {other}; each host has {budget} server connections. "
            "Lower the pool sizes or the number of hosts, or raise max_connections."
        )
    return {name: (size or share) for name, size in entries}


def pgbouncer_pool_size(max_connections, reserved=3, hosts=1, pools=1, other=0, reserve_pool=0) -> int:
    """The size of each of ``pools`` equal pools on one host."""
    pools = _int(pools, "pools")
    if pools < 1:
        raise AnsibleFilterError("pools must be at least 1")
    sizes = pgbouncer_pool_sizes([f"pool{i}" for i in range(pools)], max_connections, reserved, hosts, other, reserve_pool)
    return min(sizes.values())


def pgbouncer_nofile(max_client_conn, pool_sizes, reserve_pool=0, margin=100) -> int:
    """File-descriptor limit for PgBouncer: a socket per client and per server
    connection (``pool_sizes``: a number or ``{name: size}``), plus a margin for
    listeners, logs and the like. Never below 1024, the usual soft limit."""
    clients = _int(max_client_conn, "max_client_conn")
    if isinstance(pool_sizes, dict):
        sizes = [_int(size, f"pool size of {name}") for name, size in pool_sizes.items()]
    else:
        sizes = [_int(pool_sizes, "pool_sizes")]
    servers = sum(sizes) + _int(reserve_pool, "reserve_pool") * len(sizes)
    return max(1024, clients + servers + _int(margin, "margin"))


class FilterModule:
    def filters(self):
        return {
            "pgbouncer_server_budget": server_budget,
            "pgbouncer_pool_sizes": pgbouncer_pool_sizes,
            "pgbouncer_pool_size": pgbouncer_pool_size,
            "pgbouncer_nofile": pgbouncer_nofile,
        }
