"""Keep the bytecode of Ansible's module payloads in the local droplets.

Every Ansible task sends its module as a fresh zip (AnsiballZ) and Python keeps no
bytecode for code it imports from a zip: each task compiled ansible.module_utils
again, twice per file (zipimport compiles once for ``__file__`` and once to run it),
about 0.2 s of CPU per task in a container, more than most modules' own work. This
path hook serves those imports from code compiled once per file content (the zip
entry's CRC-32 and size) and kept in /var/cache/ansiballz-bytecode, written by root
only. The local droplets (Molecule's and ``make up``'s containers) load it through a
.pth file that their create step copies in; real droplets never have it. Code of our own because
no library does this: Ansible's own pipelining has no remote cache for its payloads.
"""

import _imp
import marshal
import os
import sys
import zipimport

CACHE_DIR = "/var/cache/ansiballz-bytecode"
_PAYLOAD_MARK = "_payload.zip"


def _cache_path(fullname, entry):
    crc, size = entry[7], entry[3]
    return os.path.join(CACHE_DIR, f"{fullname}-{crc:08x}-{size}.{sys.implementation.cache_tag}")


class PayloadImporter(zipimport.zipimporter):
    """A zipimporter for Ansible payloads that compiles each file content once."""

    def __init__(self, path):
        if _PAYLOAD_MARK not in os.fspath(path):
            raise ImportError("not an Ansible module payload", path=path)
        super().__init__(path)

    def _entry(self, fullname):
        """The payload's source entry for fullname, or None (then zipimport decides)."""
        files = self._get_files() if hasattr(self, "_get_files") else self._files
        base = self.prefix + fullname.rpartition(".")[2]
        for inner in (base + os.sep + "__init__.py", base + ".py"):
            if inner in files:
                return files[inner]
        return None

    def get_filename(self, fullname):
        entry = self._entry(fullname)
        return entry[0] if entry else super().get_filename(fullname)

    def get_code(self, fullname):
        entry = self._entry(fullname)
        if entry is None:
            return super().get_code(fullname)
        path = _cache_path(fullname, entry)
        try:
            with open(path, "rb") as cached:
                info = os.fstat(cached.fileno())
                if info.st_uid not in (0, os.geteuid()) or info.st_mode & 0o022:
                    raise OSError("kept code not written by root or by this user")
                # Only root (or this very user) wrote it: code this host compiled.
                code = marshal.load(cached)  # noqa: S302
            _imp._fix_co_filename(code, entry[0])
            return code
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = super().get_code(fullname)
        try:
            os.makedirs(CACHE_DIR, mode=0o755, exist_ok=True)
            partial = f"{path}.{os.getpid()}"
            with open(partial, "wb") as out:
                marshal.dump(code, out)
            os.replace(partial, path)
        except OSError:
            pass  # not root (a become_user task): run without writing the cache
        return code


def install():
    if PayloadImporter not in sys.path_hooks:
        sys.path_hooks.insert(0, PayloadImporter)
        sys.path_importer_cache.clear()
