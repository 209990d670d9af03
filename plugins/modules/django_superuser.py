#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ensure a Django superuser exists, idempotently and without exposing its password."""

DOCUMENTATION = r"""
---
module: django_superuser
short_description: Ensure a Django superuser exists
description:
  - Ensures that a user with superuser, staff and active flags exists in a Django project,
    creating it with C(create_superuser) when it is missing.
  - Unlike C(manage.py createsuperuser) this is idempotent, supports check mode and diff mode,
    and never puts the password on a command line or in the environment of the child process.
  - The module runs the project's virtualenv interpreter with a small embedded script. The
    username, e-mail and password are sent to that script as JSON over standard input.
  - All work is done inside a single database transaction.
  - The user model is taken from C(get_user_model), and users are looked up by its
    C(USERNAME_FIELD).
options:
  python:
    description:
      - Path to the Python interpreter of the virtualenv that has Django and the project's
        dependencies installed, for example C(/srv/polls/envs/polls/bin/python).
    type: path
    required: true
  project_path:
    description:
      - Directory containing C(manage.py).
      - Used as the working directory of the child process and added to C(PYTHONPATH).
    type: path
    required: true
  settings:
    description:
      - Value for C(DJANGO_SETTINGS_MODULE), for example C(mysite.settings).
      - Overrides any C(DJANGO_SETTINGS_MODULE) set in O(environment_file).
    type: str
    required: true
  pythonpath:
    description:
      - Extra directories to put on C(sys.path), ahead of O(project_path).
      - They are passed to the child process through C(PYTHONPATH).
    type: list
    elements: path
    default: []
  username:
    description:
      - Value of the user model's C(USERNAME_FIELD) for the superuser.
    type: str
    required: true
  email:
    description:
      - E-mail address of the superuser.
      - When not empty, the address of an existing user is updated to match.
      - Ignored when the user model's e-mail field is its C(USERNAME_FIELD).
    type: str
    default: ""
  password:
    description:
      - Password for the superuser.
      - Sent to the child process over standard input only, and replaced by C(********) in
        any error output returned by the module.
    type: str
    required: true
  update_password:
    description:
      - V(on_create) sets the password only when the user is created, and never touches the
        password of an existing user.
      - V(always) also checks the stored password hash of an existing user and sets the
        password when it does not match.
    type: str
    choices: [always, on_create]
    default: on_create
  environment_file:
    description:
      - Path on the target of a systemd-style environment file whose variables are loaded into
        the environment of the child process, for example to pass the database password or
        C(SECRET_KEY) the settings read from the environment.
      - One C(KEY=VALUE) per line. Values may be wrapped in single or double quotes. Blank lines
        and lines starting with C(#) or C(;) are ignored, as are malformed lines (no C(=),
        invalid variable name, unterminated quote). C(export) prefixes and line continuations
        are not supported.
      - The file is read by the module itself; its contents never appear on a command line.
    type: path
notes:
  - Supports check mode, in which the script reports what it would change but saves nothing.
  - In diff mode the diff shows the user's C(username), C(email), C(is_staff), C(is_superuser)
    and C(is_active) before and after. A password change is shown only as a placeholder; the
    password and its hash are never returned.
  - The database must already be migrated.
  - Custom user models whose C(create_superuser) needs C(REQUIRED_FIELDS) other than the e-mail
    field are not supported.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author:
  - django-stack maintainers
"""

EXAMPLES = r"""
- name: Ensure the Django admin user exists
  django_superuser:
    python: /srv/polls/envs/polls/bin/python
    project_path: /srv/polls/app
    settings: mysite.settings
    environment_file: /etc/polls/polls.env
    username: admin
    email: admin@example.com
    password: "{{ vault_polls_admin_password }}"
  become: true
  become_user: polls

- name: Ensure the admin user exists and its password matches the vault
  django_superuser:
    python: /srv/polls/envs/polls/bin/python
    project_path: /srv/polls/app
    pythonpath:
      - /srv/polls/lib
    settings: mysite.settings.production
    username: admin
    password: "{{ vault_polls_admin_password }}"
    update_password: always
"""

RETURN = r"""
username:
  description: The username the module ensured.
  returned: always
  type: str
  sample: admin
created:
  description: Whether the user was created (or would be, in check mode).
  returned: always
  type: bool
  sample: true
password_changed:
  description:
    - Whether the password of an existing user was set (or would be, in check mode).
    - Only ever true with O(update_password=always).
  returned: always
  type: bool
  sample: false
"""

import json  # noqa: E402 (Ansible convention: documentation blocks come first)
import os  # noqa: E402
import re  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

MASK = "********"

# Names of environment-file variables whose values are also scrubbed from error output.
_SECRET_NAME_RE = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|DATABASE_URL", re.IGNORECASE)
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DQ_ESCAPE_RE = re.compile(r'\\(["\\$`])')

# Runs under the project's virtualenv interpreter. Reads a JSON payload from stdin and prints a
# single JSON line as the last line of stdout. It must never print the payload or the password.
SCRIPT = r"""
import json
import sys


def main():
    payload = json.loads(sys.stdin.read())

    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password
    from django.core.exceptions import FieldDoesNotExist
    from django.db import transaction

    user_model = get_user_model()
    username_field = user_model.USERNAME_FIELD
    email_field = user_model.get_email_field_name()
    manager = user_model._default_manager

    def has_field(name):
        try:
            user_model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return True

    flags = [name for name in ("is_staff", "is_superuser", "is_active") if has_field(name)]
    manage_email = email_field != username_field and has_field(email_field)

    username = payload["username"]
    email = payload.get("email") or ""
    password = payload["password"]
    check_mode = bool(payload.get("check_mode"))

    def snapshot(user):
        return {
            "username": str(getattr(user, username_field)),
            "email": str(getattr(user, email_field, "") or "") if manage_email else "",
            "is_staff": bool(getattr(user, "is_staff", False)),
            "is_superuser": bool(getattr(user, "is_superuser", False)),
            "is_active": bool(getattr(user, "is_active", True)),
        }

    created = False
    password_changed = False
    with transaction.atomic():
        user = manager.filter(**{username_field: username}).first()
        if user is None:
            created = True
            before = {}
            after = {
                "username": username,
                "email": email if manage_email else "",
                "is_staff": True,
                "is_superuser": True,
                "is_active": True,
            }
            if not check_mode:
                kwargs = {username_field: username, "password": password}
                if manage_email:
                    kwargs[email_field] = email
                user = manager.create_superuser(**kwargs)
                after = snapshot(user)
        else:
            before = snapshot(user)
            dirty = False
            for name in flags:
                if getattr(user, name) is not True:
                    setattr(user, name, True)
                    dirty = True
            if manage_email and email and getattr(user, email_field) != email:
                setattr(user, email_field, email)
                dirty = True
            # hashers.check_password without a setter: never re-saves an upgraded hash.
            if payload.get("update_password") == "always" and not check_password(password, user.password):
                password_changed = True
                if not check_mode:
                    user.set_password(password)
            after = snapshot(user)
            if (dirty or password_changed) and not check_mode:
                user.save()
        if check_mode:
            transaction.set_rollback(True)

    result = {
        "changed": created or password_changed or before != after,
        "created": created,
        "password_changed": password_changed,
        "before": before,
        "after": after,
    }
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


main()
"""


class SuperuserError(Exception):
    """Raised with an already scrubbed, user-facing message."""


def parse_env_file(text):
    """Parse systemd-style KEY=VALUE lines into a dict; malformed lines are skipped."""
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _ENV_NAME_RE.match(key):
            continue
        value = value.strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            if len(value) < 2 or value[-1] != quote:
                continue  # unterminated quote
            value = value[1:-1]
            if quote == '"':
                value = _DQ_ESCAPE_RE.sub(r"\1", value)
        env[key] = value
    return env


def read_env_file(path):
    """Read and parse an environment file, raising SuperuserError when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_env_file(handle.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise SuperuserError(f"Cannot read environment_file {path}: {exc}") from None


def build_environment(settings, project_path, pythonpath=(), env_vars=None):
    """Environment additions for the child: env-file values, then settings module and PYTHONPATH."""
    env = {str(k): str(v) for k, v in (env_vars or {}).items()}
    paths = [str(p) for p in (pythonpath or []) if p] + [str(project_path)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["DJANGO_SETTINGS_MODULE"] = settings
    return env


def parse_output(stdout):
    """Return the last JSON object line of the script's stdout; raise ValueError if there is none."""
    for line in reversed((stdout or "").splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    raise ValueError("no JSON result line in the script output")


def scrub(text, secrets):
    """Replace every non-empty secret in text with MASK (longest first)."""
    if not text:
        return text or ""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _scrub_values(obj, secrets):
    """Scrub every string inside a JSON-like structure."""
    if isinstance(obj, str):
        return scrub(obj, secrets)
    if isinstance(obj, dict):
        return {k: _scrub_values(v, secrets) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_scrub_values(v, secrets) for v in obj]
    return obj


def secret_env_values(env_vars):
    """Values of environment-file variables that look like secrets (for scrubbing)."""
    return [v for k, v in (env_vars or {}).items() if _SECRET_NAME_RE.search(k) and len(v) >= 4]


def _tail(text, limit=4000):
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def ensure_superuser(params, check_mode, run_command):
    """Drive the embedded script and return the module result (without AnsibleModule).

    run_command(args, data, cwd, environ_update) must return (rc, stdout, stderr).
    Raises SuperuserError with a scrubbed message on failure.
    """
    password = params["password"]
    secrets = [password]
    env_vars = {}
    if params.get("environment_file"):
        env_vars = read_env_file(params["environment_file"])
        secrets.extend(secret_env_values(env_vars))

    environ = build_environment(params["settings"], params["project_path"], params.get("pythonpath"), env_vars)
    payload = json.dumps(
        {
            "username": params["username"],
            "email": params.get("email") or "",
            "password": password,
            "update_password": params.get("update_password") or "on_create",
            "check_mode": bool(check_mode),
        }
    )

    try:
        rc, stdout, stderr = run_command([params["python"], "-c", SCRIPT], payload, params["project_path"], environ)
    except Exception as exc:  # e.g. interpreter missing when driven outside AnsibleModule
        raise SuperuserError(scrub(f"Failed to run {params['python']}: {exc}", secrets)) from None

    if rc != 0:
        detail = _tail(stderr) or _tail(stdout) or "(no output)"
        raise SuperuserError(scrub(f"Django superuser script failed (rc={rc}): {detail}", secrets))
    try:
        data = parse_output(stdout)
    except ValueError:
        detail = f"stdout: {_tail(stdout) or '(empty)'}; stderr: {_tail(stderr) or '(empty)'}"
        raise SuperuserError(scrub(f"Django superuser script returned no JSON result. {detail}", secrets)) from None

    before = data.get("before") or {}
    after = data.get("after") or {}
    password_changed = bool(data.get("password_changed"))
    diff_before, diff_after = dict(before), dict(after)
    if password_changed:
        diff_before["password"] = "<stored password>"  # noqa: S105 - placeholder, not a secret
        diff_after["password"] = "<new password>"  # noqa: S105
    result = {
        "changed": bool(data.get("changed")),
        "created": bool(data.get("created")),
        "password_changed": password_changed,
        "username": params["username"],
        "diff": {
            "before_header": f"django user {params['username']} (before)",
            "after_header": f"django user {params['username']} (after)",
            "before": diff_before,
            "after": diff_after,
        },
    }
    # Belt and braces: the script never returns the password, but make sure of it.
    return _scrub_values(result, secrets)


def main():
    module = AnsibleModule(
        argument_spec={
            "python": {"type": "path", "required": True},
            "project_path": {"type": "path", "required": True},
            "settings": {"type": "str", "required": True},
            "pythonpath": {"type": "list", "elements": "path", "default": []},
            "username": {"type": "str", "required": True},
            "email": {"type": "str", "default": ""},
            "password": {"type": "str", "required": True, "no_log": True},
            "update_password": {"type": "str", "choices": ["always", "on_create"], "default": "on_create"},
            "environment_file": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params

    if not os.path.isfile(params["python"]) or not os.access(params["python"], os.X_OK):
        module.fail_json(msg=f"python interpreter {params['python']} does not exist or is not executable")
    if not os.path.isdir(params["project_path"]):
        module.fail_json(msg=f"project_path {params['project_path']} is not a directory")

    def run_command(args, data, cwd, environ_update):
        return module.run_command(args, data=data, cwd=cwd, environ_update=environ_update, check_rc=False)

    try:
        result = ensure_superuser(params, module.check_mode, run_command)
    except SuperuserError as exc:
        module.fail_json(msg=str(exc), username=params["username"])

    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
