# The documentation of the action plugin plugins/action/stack_inputs.py, which
# runs on the controller only: this file holds no code that runs (ansible-doc
# reads modules' documentation, and an action plugin is called like one).

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_inputs
short_description: Check the site-wide settings users set (stack_*, vault_*), naming each one
version_added: 1.0.0
author: django-stack contributors
description:
  - Checks the settings a user sets for the whole stack (C(stack_*), the vault's passwords) on the controller,
    before any host is contacted, as the first task of C(django_stack.deploy.preflight) and
    C(django_stack.deploy.inputs). A bad value fails the run with a message that names the setting and the value
    given; passwords are never shown, only the rule they break.
  - Batch sizes (C(rolling_serial), C(app_serial)) are read as a play's C(serial) reads them, from the extra vars
    (C(-e)) only; values Ansible would misread are refused, and with O(rollout) a batch that would take every app
    host in rotation behind a balancer out at once.
  - Every problem is reported at once. The rules are listed in the collection's docs/configuration.md,
    "Inputs refused".
  - An action plugin that runs on the controller; it needs no connection to the host.
options:
  rollout:
    description:
      - The name of the batch-size variable of a playbook that takes its batches out of rotation
        (C(rolling_serial) for rolling_update.yml and rollback.yml).
      - Omitted, batch sizes are only checked for their syntax.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - Django's password validators check the superuser's password when Django is installed on the controller;
    otherwise a warning says it was not checked.
"""

EXAMPLES = r"""
- name: Check the stack_* settings and the vault's passwords
  django_stack.deploy.stack_inputs:

- name: Check them, and that a rollout batch leaves an app host in rotation
  django_stack.deploy.stack_inputs:
    rollout: rolling_serial
"""

RETURN = r"""
checked:
  description: The names of the settings that were given and checked (never their values).
  returned: always
  type: list
  elements: str
  sample: [stack_domains, stack_db_sslmode, vault_django_secret_key]
msg:
  description: How many settings were checked, or every problem found, one per line.
  returned: always
  type: str
  sample: 12 setting(s) checked
"""
