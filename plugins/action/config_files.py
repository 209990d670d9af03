"""Write a role's files and directories, with one round trip when all are in place.

Why our own: ansible.builtin.template, copy and file cost a remote run or two
per file even when nothing changes; this compares every entry of the task from
one ansible.builtin.find listing (content checksum, owner, group, mode) and
hands only the entries that differ to the real template, copy or file action,
which writes them (check mode, diff and validate as those actions do them).

A template is rendered by ansible.builtin.template itself: its copy step is
intercepted, and the rendered file is compared with the listing there, so the
content compared is exactly what the template action would write.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

COPY_ACTIONS = {"ansible.legacy.copy", "ansible.builtin.copy", "copy"}
MODE = re.compile(r"^0?[0-7]{3,4}$")

ENTRY = {
    "dest": {"type": "str", "required": True},
    "template": {"type": "str"},
    "src": {"type": "str"},
    "content": {"type": "str"},
    "state": {"type": "str", "choices": ["file", "directory", "absent"], "default": "file"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    # raw: a YAML 0644 without quotes is the number 420, refused below rather than read as "420".
    "mode": {"type": "raw"},
    "validate": {"type": "str"},
    # False: the entry is left alone (not listed, not written), as a task's `when` would.
    "enabled": {"type": "bool", "default": True},
}
SPEC = {
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": ENTRY,
        "mutually_exclusive": [["template", "src", "content"]],
    },
}


def octal(mode: str | None) -> str | None:
    """A mode as find reports it ('0644', '04755'), or None when none is asked for."""
    return None if mode is None else f"{int(mode, 8):04o}"


def problems(entries: list[dict]) -> list[str]:
    """What is wrong with the entries beyond their types: the spec cannot say these."""
    found = []
    seen = set()
    for entry in entries:
        dest = entry["dest"]
        if not posixpath.isabs(dest) or dest.endswith("/"):
            found.append(f"dest {dest!r}: an absolute path to the file or directory itself is needed")
        if dest in seen:
            found.append(f"dest {dest!r} is listed twice")
        seen.add(dest)
        sources = [key for key in ("template", "src", "content") if entry.get(key) is not None]
        if entry["state"] == "directory" and sources:
            found.append(f"dest {dest!r}: a directory takes no {sources[0]}")
        if entry["state"] == "file" and not sources:
            found.append(f"dest {dest!r}: one of template, src or content is needed")
        if entry.get("mode") is not None and not (isinstance(entry["mode"], str) and MODE.match(entry["mode"])):
            found.append(f"dest {dest!r}: mode {entry['mode']!r} must be octal digits in quotes, such as \"0640\"")
    return found


def listing_args(entries: list[dict]) -> dict:
    """ansible.builtin.find's arguments for one listing of every entry (its directory, its exact name)."""
    return {
        "paths": sorted({posixpath.dirname(entry["dest"]) for entry in entries}),
        "patterns": sorted({"^" + re.escape(posixpath.basename(entry["dest"])) + r"\Z" for entry in entries}),
        "use_regex": True,
        "file_type": "any",
        "hidden": True,
        "get_checksum": True,
    }


def in_place(found: dict | None, entry: dict, checksum: str | None = None) -> bool:
    """Whether the listed path already is what the entry asks for (a missing path never is)."""
    if entry["state"] == "absent":
        return not found
    if not found:
        return False
    if entry["state"] == "directory":
        if not found.get("isdir"):
            return False
    elif not found.get("isreg") or found.get("checksum") is None or found["checksum"] != checksum:
        return False
    if entry.get("owner") is not None and entry["owner"] not in (found.get("pw_name"), str(found.get("uid"))):
        return False
    if entry.get("group") is not None and entry["group"] not in (found.get("gr_name"), str(found.get("gid"))):
        return False
    return entry.get("mode") is None or octal(entry["mode"]) == found.get("mode")


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()  # noqa: S324 (the checksum find and copy compare, not for security)


class _CopyGate:
    """Stands in for the copy action the template action calls: skips it when the rendered file is in place."""

    def __init__(self, action, task, decide):
        self._action = action
        self._task = task
        self._decide = decide

    def run(self, tmp=None, task_vars=None):
        with open(self._task.args["src"], "rb") as rendered:
            checksum = sha1(rendered.read())
        if self._decide(checksum):
            return {"changed": False, "dest": self._task.args["dest"], "checksum": checksum}
        return self._action.run(task_vars=task_vars)


class _ActionLoader:
    def __init__(self, loader, decide):
        self._loader = loader
        self._decide = decide

    def get(self, name, *args, **kwargs):
        action = self._loader.get(name, *args, **kwargs)
        return _CopyGate(action, kwargs["task"], self._decide) if name in COPY_ACTIONS else action

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _SharedLoader:
    """The shared plugin loader with its action loader wrapped, for one template action."""

    def __init__(self, shared, decide):
        self._shared = shared
        self.action_loader = _ActionLoader(shared.action_loader, decide)

    def __getattr__(self, name):
        return getattr(self._shared, name)


class ActionModule(ActionBase):
    # The real actions make their own temporary directory when they write.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(SPEC)

    def _action(self, name: str, args: dict, shared_loader_obj=None):
        task = self._task.copy()
        task.args = args
        action = self._shared_loader_obj.action_loader.get(
            name, task=task, connection=self._connection, play_context=self._play_context, loader=self._loader,
            templar=self._templar, shared_loader_obj=self._shared_loader_obj,
        )
        if shared_loader_obj is not None:
            # ActionBase (ansible-core 2.19) ignores the argument and keeps the global loaders: set it afterwards.
            action._shared_loader_obj = shared_loader_obj
        return action

    def _write(self, entry: dict, found: dict | None, task_vars: dict) -> dict:
        """In place: a result with changed false and no remote run; otherwise what the real action returns."""
        common = {key: entry[key] for key in ("owner", "group", "mode") if entry.get(key) is not None}
        if entry["state"] in ("absent", "directory"):
            if in_place(found, entry):
                return {"changed": False, "path": entry["dest"]}
            args = {"path": entry["dest"], "state": entry["state"], **(common if entry["state"] == "directory" else {})}
            return self._execute_module(module_name="ansible.legacy.file", module_args=args, task_vars=task_vars)
        args = {"dest": entry["dest"], **common}
        if entry.get("validate") is not None:
            args["validate"] = entry["validate"]
        if entry.get("template") is not None:
            decide = lambda checksum: in_place(found, entry, checksum)  # noqa: E731
            gated = _SharedLoader(self._shared_loader_obj, decide)
            action = self._action("ansible.legacy.template", {"src": entry["template"], **args}, gated)
            return action.run(task_vars=task_vars)
        if entry.get("content") is not None:
            data, args["content"] = to_bytes(entry["content"]), entry["content"]
        else:
            source = self._find_needle("files", entry["src"])
            with open(source, "rb") as handle:
                data = handle.read()
            args["src"] = entry["src"]
        checksum = sha1(data)
        if in_place(found, entry, checksum):
            return {"changed": False, "dest": entry["dest"], "checksum": checksum}
        return self._action("ansible.legacy.copy", args).run(task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=SPEC)
        entries = [entry for entry in args["files"] if entry["enabled"]]
        wrong = problems(entries)
        if wrong:
            raise AnsibleActionFail("; ".join(wrong))
        if not entries:
            return {**result, "changed": False, "files": []}

        listing = self._execute_module(module_name="ansible.legacy.find", module_args=listing_args(entries), task_vars=task_vars)
        if listing.get("failed"):
            return {**result, "failed": True, "msg": "could not list the files: " + str(listing.get("msg", ""))}
        found = {item["path"]: item for item in listing.get("files", [])}

        files, diffs, changed = [], [], False
        for entry in entries:
            outcome = self._write(entry, found.get(entry["dest"]), task_vars)
            if outcome.get("failed"):
                return {**result, "failed": True, "changed": changed, "files": files,
                        "msg": f"{entry['dest']}: {outcome.get('msg', 'failed')}"}
            changed = changed or bool(outcome.get("changed"))
            files.append({"dest": entry["dest"], "changed": bool(outcome.get("changed"))})
            diff = outcome.get("diff")
            diffs += diff if isinstance(diff, list) else [diff] if diff else []
        result.update(changed=changed, files=files)
        if diffs:
            result["diff"] = diffs
        return result
