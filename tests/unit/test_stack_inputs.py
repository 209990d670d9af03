"""The settings users set, checked first in preflight (plugins/action/stack_inputs.py).

Most cases call the rules directly; a few runs of ansible-playbook prove the
wiring (playbooks/inputs.yml, first in preflight.yml) on hosts that are never
contacted. Every shipped inventory (Molecule scenarios, inventory/local, the
production example, the examples of README.md and docs/) must pass the rules.
"""

import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.utils.encrypt import random_password

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
si = load_file("plugins/action/stack_inputs.py")

GOOD_PASSWORD = "Vx83kQwe-pool-db-pw"


def problems(**given):
    found, _ = si.check_inputs(given)
    return found


# --- stack_domains ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "stack_domains is not set"),
        ([], "stack_domains is empty"),
        ("www.example.com", "stack_domains must be a list of host names, got 'www.example.com'"),
        (["https://www.example.com"], "stack_domains: 'https://www.example.com' has a scheme"),
        (["www.example.com/shop"], "stack_domains: 'www.example.com/shop' has a path"),
        (["www.example.com:8443"], "stack_domains: 'www.example.com:8443' has a port"),
        (["*.example.com"], "stack_domains: '*.example.com' is a wildcard"),
        (["bad_name.example.com"], "stack_domains: 'bad_name.example.com' is not a valid host name"),
        (["-x.example.com"], "stack_domains: '-x.example.com' is not a valid host name"),
    ],
)
def test_bad_domains_name_stack_domains_and_the_value(value, expected):
    found = si.check_domains(value)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_good_domains_pass_and_are_only_required_on_web_hosts():
    assert si.check_domains(["www.example.com", "example.com", "polls.localhost", "a-b.c0.example."]) == []
    assert si.check_inputs({}, web_host=True)[0] == ["stack_domains is not set: list the site's public host names, e.g. [www.example.com]"]
    assert si.check_inputs({}, web_host=False) == ([], [])
    # Set on a database host, it is still checked.
    assert si.check_inputs({"stack_domains": ["http://x"]}, web_host=False)[0][0].startswith("stack_domains: 'http://x'")


# --- numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("name", si.PORTS)
@pytest.mark.parametrize(
    ("value", "shown"), [("abc", "'abc'"), (0, "0"), (70000, "70000"), ("", "''"), (True, "True"), ("5432x", "'5432x'")]
)
def test_a_bad_port_says_what_was_given(name, value, shown):
    assert problems(stack_domains=["a.example"], **{name: value}) == [f"{name} must be a TCP port number between 1 and 65535, got {shown}"]


def test_good_ports_and_counts_pass():
    assert si.check_port("stack_db_port", 25060) == si.check_port("stack_db_port", "5432") == []
    assert si.check_count("stack_db_other_connections", 0, 0) == si.check_count("stack_db_max_connections", "30", 1) == []
    assert si.check_count("stack_db_max_connections", "thirty", 1) == [
        "stack_db_max_connections must be a whole number of at least 1, got 'thirty'"
    ]
    assert si.check_count("stack_db_reserved_connections", -1, 0) == [
        "stack_db_reserved_connections must be a whole number of at least 0, got -1"
    ]


# --- stack_app_name --------------------------------------------------------------


@pytest.mark.parametrize("value", ["Polls", "my app", "1polls", "../etc", "a" * 33, "", 7])
def test_a_bad_app_name_is_named(value):
    found = si.check_app_name(value)
    assert len(found) == 1 and found[0].startswith("stack_app_name ")
    assert found[0].endswith(f"got {value!r}" if isinstance(value, str) else "got 7")


def test_check_inputs_checks_the_app_name():
    assert problems(stack_domains=["a.example"], stack_app_name="Polls")[0].startswith("stack_app_name names a system user")


@pytest.mark.parametrize("value", ["polls", "_svc", "my-app_2", "a" * 32])
def test_good_app_names_pass(value):
    assert si.check_app_name(value) == []


# --- passwords -------------------------------------------------------------------


def example_vault():
    return yaml.safe_load((ROOT / "group_vars/all/vault.yml.example").read_text())


def test_every_password_of_the_example_vault_is_refused_as_the_placeholder():
    vault = example_vault()
    assert len(vault) >= 5
    found = problems(stack_domains=["a.example"], **vault)
    assert found == [f"{name} is the example placeholder (group_vars/all/vault.yml.example): set a long random password" for name in vault]


@pytest.mark.parametrize(("name", "_override", "allow_empty"), si.PASSWORDS)
def test_every_password_is_checked(name, _override, allow_empty):
    for value, message in [
        ("Change_Me", f"{name} is the example placeholder"),
        ("Sh0rt-pw-11", f"{name} is shorter than 12 characters"),
        ("password1234", f"{name} is in Django's list of common passwords"),
    ]:
        found = problems(stack_domains=["a.example"], **{name: value})
        assert len(found) == 1 and found[0].startswith(message), (value, found)
        assert value not in found[0]
    assert problems(stack_domains=["a.example"], **{name: ""}) == ([] if allow_empty else [f"{name} is empty"])
    assert problems(stack_domains=["a.example"], **{name: GOOD_PASSWORD}) == []


def test_an_override_is_checked_instead_of_the_vault_value():
    assert problems(stack_domains=["a.example"], vault_stack_db_password="change-me", stack_db_password=GOOD_PASSWORD) == []
    found = problems(stack_domains=["a.example"], vault_stack_db_password=GOOD_PASSWORD, stack_db_password="")
    assert found == ["stack_db_password is empty"]


@pytest.mark.parametrize(
    ("password", "username", "email", "reason"),
    [
        ("98127634501928374", "admin", "", "This password is entirely numeric."),
        ("jane.doe@example.org", "admin", "jane.doe@example.org", "The password is too similar to the email"),
        ("superadmin-2024", "superadmin-2024x", "", "The password is too similar to the username"),
    ],
)
def test_the_superuser_password_goes_through_djangos_validators(password, username, email, reason):
    given = {"stack_domains": ["a.example"], "vault_django_superuser_password": password, "django_app_superuser_username": username}
    given["django_app_superuser_email"] = email
    found = problems(**given)
    assert len(found) == 1 and found[0].startswith("vault_django_superuser_password is refused by Django's password validators: ")
    assert reason in found[0] and password not in found[0]


def test_without_django_the_superuser_password_gets_a_warning(monkeypatch):
    monkeypatch.setattr(si, "django_password_problems", lambda *args: None)
    found, warned = si.check_superuser_password(GOOD_PASSWORD)
    assert found == [] and len(warned) == 1 and "not checked by its password validators" in warned[0]


# --- stack_trusted_proxies ---------------------------------------------------------


@pytest.mark.parametrize("any_network", ["0.0.0.0/0", "::/0", "10.1.2.3/0"])
def test_trusting_every_address_needs_the_explicit_setting(any_network):
    found = problems(stack_domains=["a.example"], stack_trusted_proxies=["10.110.0.0/20", any_network])
    assert len(found) == 1 and found[0].startswith(f"stack_trusted_proxies: '{any_network}' trusts every address")
    assert "stack_trust_any_proxy: true" in found[0]
    assert problems(stack_domains=["a.example"], stack_trusted_proxies=[any_network], stack_trust_any_proxy=True) == []


def test_proxies_must_be_addresses():
    assert si.check_trusted_proxies(["10.110.0.0/20", "10.0.0.5", "fd00::/8"]) == []
    assert si.check_trusted_proxies(["lb1"]) == ["stack_trusted_proxies: 'lb1' is not an address or CIDR (e.g. 10.110.0.0/20)"]
    assert si.check_trusted_proxies("10.0.0.0/8") == ["stack_trusted_proxies must be a list of addresses or CIDRs, got '10.0.0.0/8'"]


# --- stack_db_sslmode ----------------------------------------------------------------


def test_sslmode_against_our_server_and_a_managed_cluster():
    own = {"own_server": True, "server_ssl": True}
    managed = {"own_server": False}
    found = si.check_sslmode("disable", **own)[0]
    assert found[0].startswith("stack_db_sslmode is 'disable', but the PostgreSQL server (dbservers) admits")
    assert si.check_sslmode("disable", own_server=True, server_ssl=False) == ([], [])
    assert "clear text" in si.check_sslmode("disable", **managed)[0][0]
    for mode in ("allow", "prefer"):
        found, warned = si.check_sslmode(mode, **managed)
        assert len(found) == 1 and found[0].startswith(f"stack_db_sslmode is '{mode}': the client falls back") and warned == []
        found, warned = si.check_sslmode(mode, **own)
        assert found == [] and len(warned) == 1 and "downgrade" in warned[0]
    assert si.check_sslmode("require", **own) == si.check_sslmode("require", **managed) == ([], [])
    for mode in ("verify-ca", "verify-full"):
        ca = {"rootcert": "/etc/ssl/certs/do-cluster-ca.crt"}
        assert si.check_sslmode(mode, **own, **ca) == si.check_sslmode(mode, **managed, **ca) == ([], [])
        for missing in (None, "", "  "):
            found = si.check_sslmode(mode, **managed, rootcert=missing)[0]
            assert found == [
                f"stack_db_sslmode is {mode!r}, which checks the server's certificate against a CA, but stack_db_sslrootcert "
                "is not set: set it to the CA file on the hosts (on DigitalOcean, the cluster's CA certificate)"
            ]
    assert si.check_sslmode("sometimes", **own)[0] == [
        "stack_db_sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full; got 'sometimes'"
    ]


# --- HSTS and the login rate limit ------------------------------------------------------


def test_hsts_settings_pass_when_consistent():
    assert si.check_hsts({}) == []
    assert si.check_hsts({"stack_hsts_seconds": 0}) == []
    assert si.check_hsts({"stack_hsts_include_subdomains": "yes", "stack_hsts_preload": True, "stack_hsts_seconds": 31536000}) == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"stack_hsts_seconds": "abc"}, "stack_hsts_seconds must be a whole number of at least 0, got 'abc'"),
        ({"stack_hsts_seconds": -1}, "stack_hsts_seconds must be a whole number of at least 0, got -1"),
        ({"stack_hsts_preload": "sometimes"}, "stack_hsts_preload must be true or false, got 'sometimes'"),
        ({"stack_hsts_preload": True}, "stack_hsts_preload: true needs stack_hsts_include_subdomains: true"),
        (
            {"stack_hsts_preload": True, "stack_hsts_include_subdomains": True, "stack_hsts_seconds": 86400},
            "stack_hsts_preload: true needs stack_hsts_seconds of at least 31536000 (a year), got 86400",
        ),
    ],
)
def test_hsts_settings_that_cannot_work_are_named(given, message):
    found = si.check_hsts(given)
    assert len(found) == 1 and found[0].startswith(message), found


def test_login_limit_settings():
    assert si.check_login_limit({}) == []
    assert si.check_login_limit({"stack_login_rate": "", "stack_login_burst": 0, "stack_login_paths": []}) == []
    assert si.check_login_limit({"stack_login_rate": "1r/s", "stack_login_paths": ["/accounts/login/"]}) == []
    assert si.check_login_limit({"stack_login_rate": "10/m"}) == [
        "stack_login_rate must be requests per second or minute such as 10r/m or 1r/s ('' for no limit), got '10/m'"
    ]
    assert si.check_login_limit({"stack_login_burst": "lots"}) == ["stack_login_burst must be a whole number of at least 0, got 'lots'"]
    assert si.check_login_limit({"stack_login_paths": "/admin/login/"})[0].startswith("stack_login_paths must be a list of URL paths")
    assert si.check_login_limit({"stack_login_paths": ["admin/login/"]})[0].startswith("stack_login_paths must be a list of URL paths")


@pytest.mark.parametrize("name", si.BOOLEANS)
def test_on_off_settings_must_be_booleans(name):
    found, _ = si.check_inputs({"stack_domains": ["a.example"], name: "maybe"})
    assert found == [f"{name} must be true or false, got 'maybe'"]
    for value in (True, False, "yes", "false"):
        assert si.check_inputs({"stack_domains": ["a.example"], name: value}) == ([], [])


def test_check_inputs_applies_the_hsts_and_login_rules():
    found, _ = si.check_inputs({"stack_domains": ["a.example"], "stack_hsts_preload": True, "stack_login_rate": "fast"})
    assert [p.split(" ")[0] for p in found] == ["stack_hsts_preload:", "stack_login_rate"]


# --- every shipped inventory passes ----------------------------------------------------


def merged(*layers):
    out = {}
    for layer in layers:
        out.update(layer or {})
    return out


def scenario_hosts(scenario: Path):
    """(host, groups, vars) of a Molecule scenario, its inventory merged as Ansible would."""
    shared = yaml.safe_load((ROOT / ".config/molecule/config.yml").read_text())["provisioner"]["inventory"]
    config = yaml.safe_load((scenario / "molecule.yml").read_text())
    inventory = (config.get("provisioner") or {}).get("inventory") or {}
    group_vars = {**shared.get("group_vars", {})}
    for group, values in (inventory.get("group_vars") or {}).items():
        group_vars[group] = merged(group_vars.get(group), values)
    for path in scenario.glob("group_vars/*.yml"):
        group_vars[path.stem] = merged(group_vars.get(path.stem), yaml.safe_load(path.read_text()))
    host_vars = dict(inventory.get("host_vars") or {})
    for path in scenario.glob("host_vars/*.yml"):
        host_vars[path.stem] = merged(host_vars.get(path.stem), yaml.safe_load(path.read_text()))
    for platform in config["platforms"]:
        groups = platform.get("groups", [])
        yield platform["name"], groups, merged(group_vars.get("all"), *(group_vars.get(g) for g in groups), host_vars.get(platform["name"]))


def inventory_hosts(hosts_file: Path, group_vars_dir: Path | None, extra: dict):
    data = yaml.safe_load(hosts_file.read_text())["all"]
    group_vars = {}
    if group_vars_dir:
        for path in sorted(group_vars_dir.glob("*.yml")) + sorted(group_vars_dir.glob("*/*.yml")):
            name = path.stem if path.parent == group_vars_dir else path.parent.name
            group_vars[name] = merged(group_vars.get(name), yaml.safe_load(path.read_text()))
    for group, body in (data.get("children") or {}).items():
        for host, values in ((body or {}).get("hosts") or {}).items():
            yield host, [group], merged(data.get("vars"), group_vars.get("all"), extra, group_vars.get(group), values)


def readme_examples():
    """The YAML examples of README.md and docs/ that set stack_* settings (as group vars)."""
    text = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted(ROOT.glob("docs/**/*.md"))])
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    return [yaml.safe_load(b) for b in blocks if re.search(r"^stack_", b, re.M)]


def demo_secrets():
    """Values as `make secrets` makes them (playbooks/local_secrets.yml: each name's length
    and alphabet, through the generator of the ansible.builtin.password lookup)."""
    play = yaml.safe_load((ROOT / "playbooks" / "local_secrets.yml").read_text())[0]
    specs = play["vars"]["local_secrets_names"]
    return {name: random_password(spec["length"], "".join(getattr(string, c) for c in spec["chars"])) for name, spec in specs.items()}


def all_shipped():
    cases = []
    for scenario in sorted((ROOT / "molecule").glob("*/molecule.yml")):
        hosts = list(scenario_hosts(scenario.parent))
        own = any("dbservers" in groups for _, groups, _ in hosts)
        cases += [(f"molecule/{scenario.parent.name}:{h}", g, v, own) for h, g, v in hosts]
    local = ROOT / "inventory/local"
    secrets = demo_secrets()
    cases += [(f"inventory/local:{h}", g, v, True) for h, g, v in inventory_hosts(local / "hosts.yml", local / "group_vars", secrets)]
    example = ROOT / "inventory/production.example.yml"
    cases += [(f"production.example:{h}", g, v, True) for h, g, v in inventory_hosts(example, None, {})]
    # The fragments of README.md and docs/, added to the production example's settings.
    base = yaml.safe_load(example.read_text())["all"]["vars"]
    cases += [(f"README example {i}", ["appservers"], {**base, **v}, "stack_db_host" not in v) for i, v in enumerate(readme_examples())]
    return cases


SHIPPED = all_shipped()


def test_the_shipped_inventories_are_all_read():
    names = {case[0].split(":")[0] for case in SHIPPED}
    assert {"molecule/balancer", "molecule/single", "inventory/local", "production.example"} <= names
    assert len(readme_examples()) >= 2
    # The values that matter are there to be checked.
    checked = {name for _, _, values, _ in SHIPPED for name in values if name in si.NAMES}
    assert {"stack_domains", "vault_stack_db_password", "vault_django_superuser_password", "stack_db_sslmode", "stack_db_port"} <= checked


@pytest.mark.parametrize(("where", "groups", "values", "own_server"), SHIPPED, ids=[c[0] for c in SHIPPED])
def test_every_shipped_inventory_passes(where, groups, values, own_server):
    given = {name: values[name] for name in si.NAMES if name in values}
    # Templated values are resolved by Ansible, not here (none of the checked ones is).
    assert not [name for name, value in given.items() if "{{" in str(value)]
    web = bool({"appservers", "loadbalancers"} & set(groups))
    assert si.check_inputs(given, web_host=web, own_server=own_server) == ([], [])


# --- the wiring, end to end (no host is contacted) ----------------------------------------

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: {python}
{vaulted}
  children:
    dbservers: {{hosts: {{db1: {{}}}}}}
    appservers: {{hosts: {{app1: {{}}}}}}
"""
VAULT_PASSWORD = "unit-test-vault-password"


def vaulted(name: str, value: str) -> str:
    """An inventory line holding value encrypted with ansible-vault, as in a real vault."""
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    ciphertext = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(VAULT_PASSWORD.encode()))]).encrypt(value).decode()
    return f"    {name}: !vault |\n" + "".join(f"      {line}\n" for line in ciphertext.splitlines())


def run(tmp_path, playbook, vault_lines="", **extra):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY.format(python=sys.executable, vaulted=vault_lines.rstrip("\n")))
    (tmp_path / "extra.yml").write_text(yaml.safe_dump(extra))
    (tmp_path / "vault-pass").write_text(VAULT_PASSWORD)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    env.pop("DJANGO_STACK_RECAP_FILE", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(ROOT / "playbooks" / playbook)]
    cmd += ["-e", f"@{tmp_path / 'extra.yml'}", "--vault-password-file", str(tmp_path / "vault-pass")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_preflight_refuses_bad_settings_first_naming_them(tmp_path):
    rc, output = run(
        tmp_path,
        "preflight.yml",
        # Encrypted, as in group_vars/all/vault.yml.
        vault_lines=vaulted("vault_stack_db_admin_password", "change-me"),
        stack_domains=["https://www.example.com"],
        stack_db_port="abc",
        vault_stack_db_password="change-me",
        vault_django_superuser_password="Zx9-secret-but-short"[:10],
    )
    assert rc != 0, output
    assert "stack_domains: 'https://www.example.com' has a scheme" in output
    assert "stack_db_port must be a TCP port number between 1 and 65535, got 'abc'" in output
    assert "vault_stack_db_password is the example placeholder" in output
    assert "vault_stack_db_admin_password is the example placeholder" in output
    assert "vault_django_superuser_password is shorter than 12 characters" in output
    assert "Zx9-secre" not in output and "change-me" not in output
    # Before any host is contacted: the role checks (and fact gathering) never ran.
    assert "Gather facts" not in output and "nginx_server_names" not in output


def test_good_settings_pass_the_check(tmp_path):
    rc, output = run(
        tmp_path,
        "inputs.yml",
        vault_lines=vaulted("vault_stack_db_admin_password", "Nc5v7Bwe-admin-pw"),
        stack_domains=["www.example.com"],
        stack_db_port="25060",
        vault_stack_db_password=GOOD_PASSWORD,
        vault_django_superuser_password="Lw7k2Rn5-admin-login",
    )
    assert rc == 0, output
    assert "ok: [app1]" in output and "ok: [db1]" in output


def test_a_password_that_cannot_be_resolved_is_named_not_shown(tmp_path):
    rc, output = run(tmp_path, "inputs.yml", stack_domains=["www.example.com"], vault_stack_db_password="{{ nowhere_Qz81 }}")
    assert rc != 0
    assert "vault_stack_db_password could not be resolved" in output
    assert "nowhere_Qz81" not in output.split("could not be resolved", 1)[1].split("\n", 1)[0]


# --- batch sizes of every shipped inventory (tests/unit/test_batch_sizes.py has the rules) ----


def shipped_inventories():
    """{source: [(host, groups, values)]} of SHIPPED, one entry per inventory."""
    out = {}
    for where, groups, values, _ in SHIPPED:
        out.setdefault(where.split(":")[0], []).append((where.split(":")[-1], groups, values))
    return out


@pytest.mark.parametrize(("source", "hosts"), shipped_inventories().items(), ids=list(shipped_inventories()))
def test_every_shipped_inventory_can_roll_out_with_the_default_batch(source, hosts):
    # No inventory sets a batch size (a play's serial would ignore it there).
    assert not [(host, name) for host, _, values in hosts for name in si.SERIALS if name in values]
    app_hosts = [host for host, groups, _ in hosts if "appservers" in groups]
    behind = any("loadbalancers" in groups or values.get("stack_external_balancer") for _, groups, values in hosts)
    # rolling_update.yml's default, and the -e values the balancer scenario's tests pass (none set rolling_serial).
    for extra in ({}, {"rolling_serial": 1}):
        assert si.check_batches(extra, [], "rolling_serial", app_hosts, app_hosts if behind else None) == [], source
    assert si.check_batches({}, [], None, app_hosts, app_hosts if behind else None) == []
    if source == "molecule/balancer":
        assert behind and app_hosts == ["lb-app1", "lb-app2"]
        # test_50/test_60: lb-app3 joins, then is drained; a rollout then still keeps two hosts serving.
        joined = [*app_hosts, "lb-app3"]
        assert si.check_rotation("rolling_serial", 1, joined, app_hosts, drained=["lb-app3"], given=False) == []
