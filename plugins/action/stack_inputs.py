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

Task arguments: none. Returns failed with every problem at once, and warnings.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

# The shortest password accepted (documented in README, "Inputs refused").
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
SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
APP_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
# Every name the check reads (besides the context below).
NAMES = (
    ["stack_domains", "stack_app_name", "stack_trusted_proxies", "stack_trust_any_proxy", "stack_db_sslmode", "stack_db_host"]
    + PORTS
    + [name for name, _ in COUNTS]
    + [name for name, _, _ in PASSWORDS]
    + ["django_app_superuser_username", "django_app_superuser_email"]
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


def check_sslmode(value, own_server: bool, server_ssl: bool = True) -> tuple[list[str], list[str]]:
    """(problems, warnings) of stack_db_sslmode against the database chosen:
    our PostgreSQL server (a dbservers host) or a managed cluster."""
    if value is None:
        return [], []
    if value not in SSLMODES:
        return [f"stack_db_sslmode must be one of {', '.join(SSLMODES)}; got {_shown(value)}"], []
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
    found, warned = check_sslmode(given.get("stack_db_sslmode"), own_server, server_ssl)
    return problems + found, warnings + warned


def report(problems: list[str]) -> str:
    lines = "\n".join(f"- {problem}" for problem in problems)
    return f"{len(problems)} setting(s) refused before any change (fix them in your inventory or vault):\n{lines}"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        given = {}
        problems = []
        for name in NAMES:
            if name not in task_vars:
                continue
            try:
                given[name] = self._templar.template(task_vars[name])
            except AnsibleError as error:
                # A password's error could quote its text: name it only.
                detail = "" if name in SECRET_NAMES else f": {str(error).splitlines()[0]}"
                problems.append(f"{name} could not be resolved{detail}")
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
