# The documentation of the action plugin plugins/action/config_files.py: this
# file holds no code that runs (ansible-doc reads modules' documentation, and
# an action plugin is called like one).

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
short_description: Write a role's files and directories, with one round trip when all are in place
version_added: 1.0.0
author: django-stack contributors
description:
  - Compares every entry of O(files) with one M(ansible.builtin.find) listing of the host (the content's SHA-1,
    owner, group and mode), and writes only the entries that differ, with the real M(ansible.builtin.template),
    M(ansible.builtin.copy) or M(ansible.builtin.file) action; check mode, diff and C(validate) behave as in those.
  - A rerun that changes nothing costs one remote run for the whole list, where a C(template) task costs two per
    file (a stat, then a C(file) run for owner and mode).
  - A template is rendered by M(ansible.builtin.template) itself (its search path, its C(trim_blocks) default,
    C(ansible_managed)); the rendered file is compared before the copy step, which runs only when it differs.
  - The task reports C(changed) when any entry changed, so a C(notify) on it fires for any of them; group files
    by the handler they need.
options:
  files:
    description: The entries, written in this order (a directory before the files in it).
    type: list
    elements: dict
    required: true
    suboptions:
      dest: {description: The absolute path of the file or directory., type: str, required: true}
      template: {description: A template of the role's C(templates/) (as M(ansible.builtin.template)'s C(src))., type: str}
      src: {description: A file of the role's C(files/) (as M(ansible.builtin.copy)'s C(src))., type: str}
      content: {description: The file's content, as it is., type: str}
      state:
        description:
          - C(file) (one of O(files[].template), O(files[].src), O(files[].content) is needed), C(directory), or
            C(absent) (removed when there; a source given is ignored, so that an entry can switch on a variable).
        type: str
        choices: [file, directory, absent]
        default: file
      owner: {description: The owner's name (or uid)., type: str}
      group: {description: The group's name (or gid)., type: str}
      mode: {description: Octal digits in quotes (V("0640")); numbers and symbolic modes are refused., type: raw}
      validate: {description: As M(ansible.builtin.copy)'s C(validate)., type: str}
      enabled:
        description: V(false) leaves the entry alone (not compared, not written), as a C(when) on its own task would.
        type: bool
        default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Use C(no_log) on the task when a file holds a secret, as with M(ansible.builtin.template).
"""

EXAMPLES = r"""
- name: Write PgBouncer's configuration and its users
  django_stack.deploy.config_files:
    files:
      - {dest: /etc/pgbouncer, state: directory, owner: postgres, group: postgres, mode: "0750"}
      - {template: pgbouncer.ini.j2, dest: /etc/pgbouncer/pgbouncer.ini, owner: postgres, group: postgres, mode: "0640"}
  notify: Reload PgBouncer
"""

RETURN = r"""
files:
  description: Each entry's path and whether it changed, in order.
  type: list
  elements: dict
  returned: always
  sample: [{dest: /etc/pgbouncer/pgbouncer.ini, changed: false}]
"""
