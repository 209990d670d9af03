"""collectstatic, skipped when the static storage already holds exactly these files.

Own code: collectstatic compares every file with the storage (on S3, requests
per file on every run); this compares one digest kept in the storage itself,
so a shared bucket knows what any host collected last, and a rollback (other
files, other digest) collects again.

With hashed names (django_stack_storage: a manifest per version) the files of
several versions stay in the storage, each version's manifest beside them, and
each manifest gets a marker of its own (MARKER + "-" + manifest name) holding
the digest it was collected from. Then a rollback to a version whose manifest
and marker are there collects nothing, and a new version whose files are those
collected last (the usual case: a release that changes no static file) gets a
copy of that version's manifest under its own name instead of a collect.

Run as the app user from the project's directory, with DJANGO_SETTINGS_MODULE
set:  python -m django_stack_collect [--force]
Prints one JSON line: {"collected": bool, "copied": int, "post_processed": int,
"digest": str, "manifest_from": str} (copied: files collectstatic copied;
post_processed: files it saved under hashed names; manifest_from: the
manifest copied, or "").
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


def post_processed_count(summary: str) -> int:
    """How many files the summary says were post-processed (saved under hashed names)."""
    match = re.search(r"(\d+) post-processed", summary or "")
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


def split_marker(text: str | None) -> tuple[str, str]:
    """MARKER's text as (digest, manifest name); the name is "" without hashed names."""
    digest, _, manifest = (text or "").strip().partition(" ")
    return digest, manifest


def plan(digest: str, force: bool, last: str, manifest: str = "", own: str | None = None, manifests=frozenset()) -> tuple[str, str]:
    """What to do: ("skip", ""), ("copy", the manifest to copy) or ("collect", "").

    last: what MARKER holds (the digest of the last collect, and with hashed
    names a space and its manifest's name); manifest: this version's manifest
    name ("" without hashed names); own: what this manifest's marker holds
    (None when it has none); manifests: the manifests of those present in the
    storage."""
    last_digest, last_manifest = split_marker(last)
    if force:
        return "collect", ""
    if not manifest:
        return ("skip", "") if last_digest == digest else ("collect", "")
    if own is not None and own.strip() == digest and manifest in manifests:
        return "skip", ""
    if last_digest == digest and last_manifest and last_manifest != manifest and last_manifest in manifests:
        return "copy", last_manifest
    return "collect", ""


# Every run of site.yml reads the markers: one request to an object store per
# read (no exists() first), and a delete that tolerates a missing name.
def _read(storage, name: str) -> str | None:
    try:
        with storage.open(name) as handle:
            return handle.read().decode(errors="replace")
    except FileNotFoundError:
        return None


def _write(storage, name: str, text: str) -> None:
    from django.core.files.base import ContentFile

    storage.delete(name)  # save() would pick another name beside an existing file
    storage.save(name, ContentFile(text.encode()))


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    storage = staticfiles_storage
    storage_class = f"{type(storage).__module__}.{type(storage).__qualname__}"
    digest = static_digest(_finder_entries(), salt=f"{storage_class}\0{settings.STATIC_URL}")
    manifest = getattr(storage, "manifest_name", "") or ""
    own_marker = f"{MARKER}-{manifest}" if manifest else ""
    last = _read(storage, MARKER) or ""
    last_manifest = split_marker(last)[1]
    candidates = {name for name in (manifest, last_manifest) if name}
    action, source = plan(
        digest,
        force="--force" in argv,
        last=last,
        manifest=manifest,
        own=_read(storage, own_marker) if own_marker else None,
        manifests=frozenset(name for name in candidates if storage.exists(name)),
    )
    copied = post_processed = 0
    if action == "copy":
        _write(storage, manifest, _read(storage, source) or "")
    elif action == "collect":
        summary = call_command("collectstatic", interactive=False, verbosity=1, stdout=io.StringIO())
        copied, post_processed = copied_count(summary), post_processed_count(summary)
    if action != "skip":
        if own_marker:
            _write(storage, own_marker, digest)
        _write(storage, MARKER, f"{digest} {manifest}".strip())
    report = {"collected": action == "collect", "copied": copied, "post_processed": post_processed, "digest": digest}
    print(json.dumps(report | {"manifest_from": source}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
