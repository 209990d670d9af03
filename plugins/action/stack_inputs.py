"""Check the site-wide settings users set (stack_*, vault_*), naming each one.

Runs on the controller only (no connection to the host), first in
playbooks/preflight.yml. The roles' own validate entry points check the role
variables these settings feed; this check runs before them so that a bad value
is reported under the name the user set (``stack_domains``, not
``nginx_server_names``) together with the value given. Secrets are never
shown: a message says which rule a password breaks, not what it is.

The rules are plain functions (``check_*``), unit-tested in
tests/unit/test_stack_inputs.py; ``check_inputs`` applies them all to a dict
of the values given (a name missing from it was not set).

Batch sizes (``rolling_serial``, ``app_serial``) are read as a play's
``serial`` reads them: from the extra vars (-e) only, with the playbook's
default when unset. ``check_serial`` refuses the values Ansible would misread;
``check_rotation`` refuses a rollout batch that takes every app host in
rotation behind a balancer out at once (``serial_batches`` cuts the batches as
Ansible does). They run once, on the play's first host.

Task arguments: ``rollout``, the name of the batch-size variable of a playbook
that takes its batches out of rotation (rolling_update.yml, rollback.yml:
``rolling_serial``); omitted, batch sizes are only checked for their syntax.
Returns failed with every problem at once, and warnings.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.helpers import pct_to_int
from ansible.utils.vars import load_extra_vars

# The shortest password accepted (documented in docs/configuration.md, "Inputs refused").
PASSWORD_MIN_LENGTH = 12
# The value of group_vars/all/vault.yml.example and its other spellings
# (compared lower-case, letters and digits only).
PLACEHOLDERS = {"changeme", "changemeplease", "changethis", "replaceme", "fillmein", "todo", "fixme", "xxx"}

# Passwords: (name the user sets, name it overrides or None, empty allowed?)
PASSWORDS = [
    ("stack_db_password", None, False),
    ("vault_stack_db_password", "stack_db_password", False),
    ("stack_db_admin_password", None, False),
    ("vault_stack_db_admin_password", "stack_db_admin_password", False),
    # No Django admin is created without it; PgBouncer's console users are
    # left out when theirs are empty; the bench password is only read with
    # stack_benchmark.
    ("vault_django_superuser_password", None, True),
    ("vault_pgbouncer_admin_password", None, True),
    ("vault_pgbouncer_stats_password", None, True),
    ("vault_stack_bench_password", None, True),
]
SECRET_NAMES = {name for name, _, _ in PASSWORDS}
SUPERUSER_PASSWORD = "vault_django_superuser_password"  # noqa: S105 (a variable name)
PORTS = ["stack_db_port", "stack_db_pool_port"]
# Connection counts: (name, smallest accepted value)
COUNTS = [("stack_db_max_connections", 1), ("stack_db_reserved_connections", 0), ("stack_db_other_connections", 0)]
# On/off settings of the balancer tier (group_vars/all/balancer.yml), read with `| bool`,
# which takes any other text as false.
BOOLEANS = ["stack_external_balancer", "stack_releases", "stack_static_hashed_names"]
SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
APP_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# HSTS preload lists accept max-age of a year or more, with includeSubDomains.
HSTS_PRELOAD_SECONDS = 31536000
HSTS_DEFAULT_SECONDS = 63072000
BOOLEAN_TEXT = {"true", "false", "yes", "no", "on", "off", "1", "0"}
LOGIN_RATE = re.compile(r"[1-9][0-9]*r/[sm]")
HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
# Every name the check reads (besides the context below).
NAMES = (
    ["stack_domains", "stack_app_name", "stack_trusted_proxies", "stack_trust_any_proxy", "stack_db_sslmode", "stack_db_sslrootcert"]
    + ["stack_db_host"]
    + PORTS
    + [name for name, _ in COUNTS]
    + BOOLEANS
    + [name for name, _, _ in PASSWORDS]
    + ["django_app_superuser_username", "django_app_superuser_email"]
    + ["stack_hsts_seconds", "stack_hsts_include_subdomains", "stack_hsts_preload"]
    + ["stack_login_paths", "stack_login_rate", "stack_login_burst"]
)


def _shown(value) -> str:
    """A value as the user wrote it, for a message (never a secret's)."""
    return repr(value) if isinstance(value, str) else str(value)


def check_domains(value, required: bool = True) -> list[str]:
    """stack_domains: a non-empty list of bare host names."""
    if value is None:
        return ["stack_domains is not set: list the site's public host names, e.g. [www.example.com]"] if required else []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return [f"stack_domains must be a list of host names, got {_shown(value)}"]
    if not value:
        return ["stack_domains is empty: list the site's public host names, e.g. [www.example.com]"] if required else []
    problems = []
    for name in value:
        why = _host_name_problem(name)
        if why:
            problems.append(f"stack_domains: {_shown(name)} {why}")
    return problems


def _host_name_problem(name) -> str:
    if not isinstance(name, str) or not name:
        return "is not a host name"
    if "://" in name:
        return "has a scheme: give the host name only (www.example.com, not https://www.example.com)"
    if "/" in name:
        return "has a path: give the host name only"
    if ":" in name:
        return "has a port: give the host name only (the ports are 80 and 443)"
    if "*" in name:
        return "is a wildcard: list each name (certificates are obtained over HTTP-01)"
    if len(name) > 253 or not all(HOST_LABEL.match(label) for label in name.rstrip(".").split(".")):
        return "is not a valid host name (letters, digits and '-' in dot-separated labels)"
    return ""


def _integer(value):
    """The int a setting holds, or None when it is no whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return int(value)
    return None


def check_port(name: str, value) -> list[str]:
    number = _integer(value)
    if number is None or not 1 <= number <= 65535:
        return [f"{name} must be a TCP port number between 1 and 65535, got {_shown(value)}"]
    return []


def check_count(name: str, value, minimum: int) -> list[str]:
    number = _integer(value)
    if number is None or number < minimum:
        return [f"{name} must be a whole number of at least {minimum}, got {_shown(value)}"]
    return []


def check_app_name(value) -> list[str]:
    if not isinstance(value, str) or not APP_NAME.match(value):
        return [
            f"stack_app_name names a system user and the paths /srv/<name> and /etc/<name>: lower-case letters, digits, "
            f"'_' and '-', starting with a letter or '_', at most 32 characters; got {_shown(value)}"
        ]
    return []


def _boolean_problem(name: str, value) -> list[str]:
    if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in BOOLEAN_TEXT):
        return []
    return [f"{name} must be true or false, got {_shown(value)}"]


def check_hsts(given: dict) -> list[str]:
    """stack_hsts_seconds, stack_hsts_include_subdomains, stack_hsts_preload:
    one Strict-Transport-Security header, as the browsers' preload lists need it."""
    problems = []
    for name in ("stack_hsts_include_subdomains", "stack_hsts_preload"):
        if name in given:
            problems += _boolean_problem(name, given[name])
    seconds = given.get("stack_hsts_seconds", HSTS_DEFAULT_SECONDS)
    if "stack_hsts_seconds" in given:
        problems += check_count("stack_hsts_seconds", seconds, 0)
    if problems or not _true(given.get("stack_hsts_preload", False)):
        return problems
    if not _true(given.get("stack_hsts_include_subdomains", False)):
        problems.append("stack_hsts_preload: true needs stack_hsts_include_subdomains: true (the preload lists require it)")
    if _integer(seconds) < HSTS_PRELOAD_SECONDS:
        problems.append(
            f"stack_hsts_preload: true needs stack_hsts_seconds of at least {HSTS_PRELOAD_SECONDS} (a year), "
            f"got {_shown(seconds)}"
        )
    return problems


def check_login_limit(given: dict) -> list[str]:
    """stack_login_rate ('10r/m', '1r/s'; '' for no limit), stack_login_burst, stack_login_paths."""
    problems = []
    rate = given.get("stack_login_rate", "")
    if "stack_login_rate" in given and not (rate == "" or (isinstance(rate, str) and LOGIN_RATE.fullmatch(rate))):
        problems.append(
            f"stack_login_rate must be requests per second or minute such as 10r/m or 1r/s ('' for no limit), got {_shown(rate)}"
        )
    if "stack_login_burst" in given:
        problems += check_count("stack_login_burst", given["stack_login_burst"], 0)
    if "stack_login_paths" in given:
        paths = given["stack_login_paths"]
        if not isinstance(paths, list | tuple) or not all(isinstance(p, str) and p.startswith("/") and " " not in p for p in paths):
            problems.append(
                f"stack_login_paths must be a list of URL paths starting with '/', such as [/admin/login/]; got {_shown(paths)}"
            )
    return problems


def check_password(name: str, value, allow_empty: bool = False) -> list[str]:
    """Placeholder, short or empty passwords. Never shows the value."""
    if not isinstance(value, str):
        return [f"{name} must be a string"]
    if not value:
        return [] if allow_empty else [f"{name} is empty"]
    if re.sub(r"[^a-z0-9]", "", value.lower()) in PLACEHOLDERS:
        return [f"{name} is the example placeholder (group_vars/all/vault.yml.example): set a long random password"]
    if len(value) < PASSWORD_MIN_LENGTH:
        return [f"{name} is shorter than {PASSWORD_MIN_LENGTH} characters"]
    if is_common_password(value):
        return [f"{name} is in Django's list of common passwords"]
    return []


@functools.cache
def _common_validator():
    """Django's CommonPasswordValidator (reads its list once), or None."""
    try:
        from django.contrib.auth.password_validation import CommonPasswordValidator
    except ImportError:
        return None
    return CommonPasswordValidator()


def is_common_password(password: str) -> bool:
    """In Django's list of 20,000 common passwords (False without Django)."""
    validator = _common_validator()
    return validator is not None and password.lower().strip() in validator.passwords


class _Field:
    def __init__(self, name: str):
        self.verbose_name = name.replace("_", " ")


class _Meta:
    @staticmethod
    def get_field(name: str) -> _Field:
        return _Field(name)


class _User:
    """What Django's UserAttributeSimilarityValidator reads of a user."""

    _meta = _Meta()

    def __init__(self, username: str, email: str):
        self.username = username
        self.email = email
        self.first_name = ""
        self.last_name = ""


def django_password_problems(password: str, username: str = "admin", email: str = "") -> list[str] | None:
    """Django's own validators' messages (those of the bundled project's
    AUTH_PASSWORD_VALIDATORS), or None when Django is not importable."""
    try:
        from django.conf import settings
        from django.contrib.auth import password_validation
        from django.core.exceptions import ValidationError
    except ImportError:
        return None
    if not settings.configured:
        # No translations: the messages are built without the app registry.
        settings.configure(USE_I18N=False)
    validators = [
        password_validation.UserAttributeSimilarityValidator(),
        password_validation.MinimumLengthValidator(),
        _common_validator(),
        password_validation.NumericPasswordValidator(),
    ]
    try:
        password_validation.validate_password(password, _User(username, email), password_validators=validators)
    except ValidationError as error:
        return [str(message) for message in error.messages]
    return []


def check_superuser_password(value, username: str = "admin", email: str = "") -> tuple[list[str], list[str]]:
    """(problems, warnings) of vault_django_superuser_password."""
    problems = check_password(SUPERUSER_PASSWORD, value, allow_empty=True)
    if problems or not value:
        return problems, []
    django = django_password_problems(value, username or "", email or "")
    if django is None:
        return [], [f"Django is not installed on the controller: {SUPERUSER_PASSWORD} was not checked by its password validators"]
    return [f"{SUPERUSER_PASSWORD} is refused by Django's password validators: {' '.join(django)}"] if django else [], []


def check_trusted_proxies(value, allow_any=False) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return [f"stack_trusted_proxies must be a list of addresses or CIDRs, got {_shown(value)}"]
    problems = []
    for entry in value:
        try:
            network = ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            problems.append(f"stack_trusted_proxies: {_shown(entry)} is not an address or CIDR (e.g. 10.110.0.0/20)")
            continue
        if network.prefixlen == 0 and not _true(allow_any):
            problems.append(
                f"stack_trusted_proxies: {_shown(entry)} trusts every address on the Internet to set X-Forwarded-For "
                "and X-Forwarded-Proto (any client could forge its address and the scheme); list your balancers' "
                "private addresses or your VPC's range, or set stack_trust_any_proxy: true if you really mean it"
            )
    return problems


def _true(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "yes", "on", "1"})


def check_sslmode(value, own_server: bool, server_ssl: bool = True, rootcert=None) -> tuple[list[str], list[str]]:
    """(problems, warnings) of stack_db_sslmode against the database chosen:
    our PostgreSQL server (a dbservers host) or a managed cluster, and the
    CA file (stack_db_sslrootcert) the verifying modes need."""
    if value is None:
        return [], []
    if value not in SSLMODES:
        return [f"stack_db_sslmode must be one of {', '.join(SSLMODES)}; got {_shown(value)}"], []
    if value.startswith("verify-") and not (isinstance(rootcert, str) and rootcert.strip()):
        return [
            f"stack_db_sslmode is {value!r}, which checks the server's certificate against a CA, but stack_db_sslrootcert "
            "is not set: set it to the CA file on the hosts (on DigitalOcean, the cluster's CA certificate)"
        ], []
    if value == "disable":
        if own_server and server_ssl:
            return [
                "stack_db_sslmode is 'disable', but the PostgreSQL server (dbservers) admits clients over TLS only "
                "(hostssl lines in pg_hba.conf): every connection would be refused. Use require or verify-full"
            ], []
        if not own_server:
            return [
                "stack_db_sslmode is 'disable': passwords and data would cross the network to the managed cluster "
                "in clear text (and DigitalOcean's clusters refuse it). Use require or verify-full"
            ], []
    if value in ("allow", "prefer"):
        reason = (
            f"stack_db_sslmode is {value!r}: the client falls back to an unencrypted connection when TLS is not "
            "offered, so anyone on the path can downgrade it"
        )
        if not own_server:
            return [f"{reason}. Against a managed cluster use require or verify-full (with stack_db_sslrootcert)"], []
        return [], [f"{reason}; our server only accepts TLS, but use require or verify-full"]
    return [], []


def check_inputs(given: dict, *, web_host: bool = True, own_server: bool = True, server_ssl: bool = True) -> tuple[list[str], list[str]]:
    """Every rule on the settings given ({name: value}, unset names absent).

    web_host: the host serves the site (appservers, loadbalancers), so it
    needs stack_domains. own_server: the database is a dbservers host of the
    inventory (else a managed cluster); server_ssl: that server's
    postgresql_server_ssl."""
    problems: list[str] = []
    warnings: list[str] = []
    if web_host or "stack_domains" in given:
        problems += check_domains(given.get("stack_domains"), required=web_host)
    if "stack_app_name" in given:
        problems += check_app_name(given["stack_app_name"])
    for name in PORTS:
        if name in given:
            problems += check_port(name, given[name])
    for name, minimum in COUNTS:
        if name in given:
            problems += check_count(name, given[name], minimum)
    for name in BOOLEANS:
        if name in given:
            problems += _boolean_problem(name, given[name])
    for name, overridden_by, allow_empty in PASSWORDS:
        if name not in given or (overridden_by and overridden_by in given):
            continue
        if name == SUPERUSER_PASSWORD:
            found, warned = check_superuser_password(
                given[name], given.get("django_app_superuser_username", "admin"), given.get("django_app_superuser_email", "")
            )
            problems += found
            warnings += warned
        else:
            problems += check_password(name, given[name], allow_empty)
    problems += check_trusted_proxies(given.get("stack_trusted_proxies"), given.get("stack_trust_any_proxy", False))
    problems += check_hsts(given)
    problems += check_login_limit(given)
    found, warned = check_sslmode(given.get("stack_db_sslmode"), own_server, server_ssl, given.get("stack_db_sslrootcert"))
    return problems + found, warnings + warned


# --- batch sizes ---------------------------------------------------------------

# Batch-size variables and the default of the play that reads them.
SERIALS = {"rolling_serial": 1, "app_serial": "100%"}
SERIAL_USAGE = "a number of hosts (1 or more), a percentage from 1% to 100% or a list of them (1, '25%', [1, '50%'])"
_SERIAL_COUNT = re.compile(r"\s*([+-]?[0-9]+)\s*")
# pct_to_int takes a string ending in '%' as a percentage.
_SERIAL_PERCENT = re.compile(r"\s*([+-]?[0-9]+)\s*%")


def _batch_size_problem(item) -> str:
    """Why Ansible would misread one batch size, or '' when it reads it as meant."""
    if isinstance(item, str):
        percent = _SERIAL_PERCENT.fullmatch(item)
        if percent:
            number = int(percent[1])
            if number < 1:
                return "a percentage below 1% is no batch (Ansible makes it 1 host, or every host when negative)"
            return "" if number <= 100 else "is more than every host"
        count = _SERIAL_COUNT.fullmatch(item)
        item = int(count[1]) if count else item
    if isinstance(item, bool) or not isinstance(item, int):
        return "is not a number of hosts or a percentage"
    return "" if item >= 1 else "0 or a negative number makes Ansible take every host in one batch"


def _batch_items(value) -> list:
    """A play's `serial` as the list of batch sizes Ansible reads from it."""
    return list(value) if isinstance(value, list | tuple) else [value]


def check_serial(name: str, value) -> list[str]:
    """A batch size (a play's `serial`) that Ansible reads as meant."""
    items = _batch_items(value)
    if not items:
        return [f"{name} must be {SERIAL_USAGE}; got [] (Ansible takes every host in one batch)"]
    for item in items:
        why = _batch_size_problem(item)
        if why:
            shown = _shown(item) if items == [value] else f"{_shown(item)} in {_shown(value)}"
            return [f"{name} must be {SERIAL_USAGE}; got {shown}: {why}"]
    return []


def serial_batches(value, hosts: list) -> list[list]:
    """The batches a play on `hosts` with `serial: value` runs, cut as
    ansible-core's PlaybookExecutor._get_serialized_batches cuts them."""
    # No serial (None or []) is one batch of every host, as -1 is.
    items = (_batch_items(value) if value is not None else []) or [-1]
    remaining = list(hosts)
    batches = []
    current = 0
    while remaining:
        size = pct_to_int(items[current], len(hosts))
        if size <= 0:
            batches.append(remaining)
            break
        batches.append(remaining[:size])
        remaining = remaining[size:]
        current = min(current + 1, len(items) - 1)
    return batches


def check_rotation(name: str, value, play_hosts: list, in_rotation: list, drained=(), given: bool = True) -> list[str]:
    """A rollout that takes each batch out of rotation behind a balancer must
    leave at least one app host in rotation during every batch.

    play_hosts: the app hosts of the rollout, in play order (--limit applied);
    in_rotation: every app host the balancer sends requests to (appservers
    minus stack_drained). Hosts outside the play stay in rotation."""
    shown = _shown(value) if given else f"{_shown(value)} (the default)"
    drained_note = f" (stack_drained: {', '.join(map(str, drained))})" if drained else ""
    if not in_rotation:
        return [f"{name}: no app host is in rotation behind the balancer{drained_note}: a rollout has none to keep serving"]
    for number, batch in enumerate(serial_batches(value, play_hosts), 1):
        if not set(in_rotation) - set(batch):
            out = [host for host in batch if host in in_rotation]
            return [
                f"{name} {shown} would take {', '.join(out)} out of rotation at once (batch {number}): every app host "
                f"in rotation behind the balancer{drained_note}, so every request would fail (502). A rollout must leave "
                f"at least one host serving: use a smaller batch (-e {name}=1), or add an app host"
            ]
    return []


def check_batches(
    extra: dict, set_elsewhere: list[str], rollout: str | None, play_hosts: list, in_rotation: list | None, drained=()
) -> list[str]:
    """Every batch-size rule. extra: the extra vars (all a play's serial reads);
    set_elsewhere: batch-size variables set in the inventory but not in extra;
    rollout: the variable of the playbook that drains its batches, if any;
    in_rotation: the app hosts in rotation, None without a balancer."""
    problems = []
    bad = set()
    for name in SERIALS:
        if name in set_elsewhere:
            found = [
                f"{name} is set in the inventory, but a play's serial reads extra vars only: Ansible would ignore it and "
                f"use {_shown(SERIALS[name])}. Pass it with -e {name}=VALUE instead"
            ]
        else:
            found = check_serial(name, extra[name]) if name in extra else []
        problems += found
        bad |= {name} if found else set()
    if rollout in SERIALS and rollout not in bad and in_rotation is not None:
        value = extra.get(rollout, SERIALS[rollout])
        problems += check_rotation(rollout, value, play_hosts, in_rotation, drained, given=rollout in extra)
    return problems


def report(problems: list[str]) -> str:
    lines = "\n".join(f"- {problem}" for problem in problems)
    return f"{len(problems)} setting(s) refused before any change (fix them in your inventory, vault or -e values):\n{lines}"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        given, problems = self._resolve(task_vars, NAMES)
        groups = task_vars.get("groups", {})
        host_groups = set(task_vars.get("group_names", []))
        db_hosts = list(groups.get("dbservers", []))
        server_ssl = True
        if db_hosts:
            server_ssl = _true(self._templar.template(task_vars["hostvars"][db_hosts[0]].get("postgresql_server_ssl", True)))
        found, warnings = check_inputs(
            given,
            web_host=bool(host_groups & {"appservers", "loadbalancers"}),
            own_server=bool(db_hosts),
            server_ssl=server_ssl,
        )
        problems += found
        # Batch sizes concern the whole run: checked once, on the play's first host.
        play_hosts = task_vars.get("ansible_play_hosts_all") or [task_vars.get("inventory_hostname")]
        if task_vars.get("inventory_hostname") == play_hosts[0]:
            problems += self._check_batches(task_vars, groups, play_hosts)
        result["changed"] = False
        # Not a secret, but marks the result as holding none either.
        result["checked"] = sorted(given)
        if warnings:
            result["warnings"] = warnings
        if problems:
            result["failed"] = True
            result["msg"] = report(problems)
        else:
            result["msg"] = f"{len(given)} setting(s) checked"
        return result

    def _resolve(self, source: dict, names) -> tuple[dict, list[str]]:
        """The templated values of those of `names` that `source` holds, and a
        problem for each one that cannot be resolved."""
        values = {}
        problems = []
        for name in names:
            if name not in source:
                continue
            try:
                values[name] = self._templar.template(source[name])
            except AnsibleError as error:
                # A password's error could quote its text: name it only.
                detail = "" if name in SECRET_NAMES else f": {str(error).splitlines()[0]}"
                problems.append(f"{name} could not be resolved{detail}")
        return values, problems

    def _check_batches(self, task_vars: dict, groups: dict, play_hosts: list) -> list[str]:
        extra, problems = self._resolve(load_extra_vars(self._loader), SERIALS)
        app_hosts = list(groups.get("appservers", []))
        hostvars = task_vars.get("hostvars", {})
        inventory = [task_vars] + ([hostvars[app_hosts[0]]] if app_hosts and app_hosts[0] in hostvars else [])
        set_elsewhere = [name for name in SERIALS if name not in extra and any(name in where for where in inventory)]
        in_rotation = None
        drained = []
        if _true(self._templar.template(task_vars.get("stack_behind_balancer", False))):
            balancers = list(groups.get("loadbalancers", []))
            source = hostvars[balancers[0]] if balancers and balancers[0] in hostvars else task_vars
            drained = list(self._templar.template(source.get("stack_drained", [])) or [])
            in_rotation = [host for host in app_hosts if host not in drained]
        rollout = self._task.args.get("rollout")
        # The rollout's play runs on appservers, in group order, --limit applied.
        rollout_hosts = [host for host in app_hosts if host in play_hosts]
        return problems + check_batches(extra, set_elsewhere, rollout, rollout_hosts, in_rotation, drained)
