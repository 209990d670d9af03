"""A digest of a directory tree on the controller (the bundled project's content)."""

# Own code because no builtin lookup or filter hashes a whole tree: with it, a
# no-op run compares one marker file instead of stat-ing every file remotely.

from __future__ import annotations

import hashlib
import os
import stat

# Each filter's documentation is beside this file: django_app_tree_digest.yml
# (ansible-doc -t filter django_stack.deploy.<filter>).


def tree_digest(path: str) -> str:
    """Return the hex SHA-256 of everything under ``path`` (see django_app_tree_digest.yml)."""
    top = os.path.realpath(os.fspath(path))
    if not os.path.isdir(top):
        raise ValueError(f"django_app_tree_digest: {path!r} is not a directory")
    digest = hashlib.sha256()
    for current, dirs, files in os.walk(top):
        dirs.sort()
        relative_dir = os.path.relpath(current, top)
        for name in sorted(dirs + files):
            full = os.path.join(current, name)
            relative = os.path.normpath(os.path.join(relative_dir, name))
            info = os.lstat(full)
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                kind, body = b"l", os.readlink(full).encode()
            elif stat.S_ISDIR(info.st_mode):
                kind, body = b"d", b""
            else:
                kind = b"f"
                with open(full, "rb") as handle:
                    body = hashlib.sha256(handle.read()).digest()
            # Length-prefixed fields: no two different trees give the same stream.
            for field in (relative.encode(), kind, f"{mode:o}".encode(), body):
                digest.update(len(field).to_bytes(8, "big") + field)
    return digest.hexdigest()


class FilterModule:
    def filters(self):
        return {"django_app_tree_digest": tree_digest}
