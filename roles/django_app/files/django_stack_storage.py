"""Static files under hashed names, with one manifest per release.

Django's manifest storages (ManifestStaticFilesStorage, and django-storages'
S3ManifestStaticStorage for an object store) save every file a second time
under a name that holds a hash of its content (style.css -> style.5e0f3c.css)
and map the names in a manifest. Two releases' files then coexist in one
storage: a host still on release N links N's files while release N+1's are
collected beside them, and a rollback finds its files unchanged.

The manifest itself is one file, though, named by a class attribute: the
release collected last would overwrite the map that hosts still on the other
release read when a worker starts. ``hashed_storage`` keeps one manifest per
release (its name given as an option) over any storage backend, so that the
settings can stay a STORAGES entry:

    STORAGES["staticfiles"] = {
        "BACKEND": "django_stack_storage.hashed_storage",
        "OPTIONS": {"backend": "storages.backends.s3.S3Storage",
                    "manifest_name": "staticfiles-2.json",
                    "options": {...the backend's own options...}},
    }

Own code: Django takes a manifest's name only as a class attribute, not as an
option, and composes no manifest class over a backend named in settings.
"""

from __future__ import annotations

import functools

DEFAULT_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"


@functools.cache
def hashed_class(backend: str, manifest_name: str) -> type:
    """The backend's class with hashed names, reading and writing `manifest_name`."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.utils.module_loading import import_string

    base = import_string(backend)
    bases = (base,) if issubclass(base, ManifestFilesMixin) else (ManifestFilesMixin, base)
    return type(f"Hashed{base.__name__}", bases, {"manifest_name": manifest_name, "__module__": __name__})


def hashed_storage(backend: str = DEFAULT_BACKEND, manifest_name: str = "staticfiles.json", options: dict | None = None):
    """A storage of `backend` (a dotted class path) that keeps hashed names in `manifest_name`."""
    if not manifest_name or "/" in manifest_name or manifest_name.startswith("."):
        raise ValueError(f"manifest_name must be a plain file name, not {manifest_name!r}")
    return hashed_class(backend, manifest_name)(**(options or {}))
