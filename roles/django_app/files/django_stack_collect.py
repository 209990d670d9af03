"""collectstatic, skipped when the static storage already holds exactly these files.

Own code: collectstatic compares every file with the storage (on S3, requests
per file on every run); this compares one digest kept in the storage itself,
so a shared bucket knows what any host collected last, and a rollback (other
files, other digest) collects again.

Run as the app user from the project's directory, with DJANGO_SETTINGS_MODULE
set:  python -m django_stack_collect [--force]
Prints one JSON line: {"collected": bool, "copied": int, "digest": str}.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterable

# The marker's name in the static storage; collectstatic ignores dotfiles.
MARKER = ".django-stack-collected"


def static_digest(entries: Iterable[tuple[str, Callable[[], bytes]]], salt: str = "") -> str:
    """The digest of the files collectstatic would copy: (name, read) pairs in finder order.

    The first file found under a name wins, as in collectstatic."""
    digest = hashlib.sha256(salt.encode())
    seen: set[str] = set()
    for name, read in entries:
        if name in seen:
            continue
        seen.add(name)
        content = read()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def copied_count(summary: str) -> int:
    """How many files collectstatic's summary line says it copied (0 when it says none)."""
    match = re.match(r"\s*(\d+) static files? copied", summary or "")
    return int(match.group(1)) if match else 0


def _finder_entries():
    from django.apps import apps
    from django.contrib.staticfiles.finders import get_finders

    # The patterns collectstatic ignores by default (the staticfiles app's own).
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    for finder in get_finders():
        for path, storage in finder.list(ignore):
            prefix = getattr(storage, "prefix", None)
            name = f"{prefix}/{path}" if prefix else path

            def read(storage=storage, path=path) -> bytes:
                with storage.open(path) as handle:
                    return handle.read()

            yield name.replace("\\", "/"), read


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    storage_class = f"{type(staticfiles_storage).__module__}.{type(staticfiles_storage).__qualname__}"
    digest = static_digest(_finder_entries(), salt=f"{storage_class}\0{settings.STATIC_URL}")
    force = "--force" in argv
    if not force and staticfiles_storage.exists(MARKER):
        with staticfiles_storage.open(MARKER) as handle:
            if handle.read().decode(errors="replace").strip() == digest:
                print(json.dumps({"collected": False, "copied": 0, "digest": digest}))
                return 0
    summary = call_command("collectstatic", interactive=False, verbosity=1, stdout=io.StringIO())
    if staticfiles_storage.exists(MARKER):
        staticfiles_storage.delete(MARKER)
    staticfiles_storage.save(MARKER, ContentFile(digest.encode()))
    print(json.dumps({"collected": True, "copied": copied_count(summary), "digest": digest}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
