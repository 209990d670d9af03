"""roles/django_app/files/django_stack_storage.py: hashed static names with one manifest per version."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.lib.loader import load_file

storage_module = load_file("roles/django_app/files/django_stack_storage.py", register=True)

if not settings.configured:
    settings.configure(USE_I18N=False)


def collect(root: Path, source: Path, manifest: str, css: bytes, backend: str = storage_module.DEFAULT_BACKEND):
    """What collectstatic does with one version's polls/style.css: the file, its hashed copy, the manifest."""
    from django.core.files.storage import FileSystemStorage

    (source / "polls").mkdir(parents=True, exist_ok=True)
    (source / "polls" / "style.css").write_bytes(css)
    options = {"location": str(root), "base_url": "/static/"}
    if backend == storage_module.DEFAULT_BACKEND:
        storage = storage_module.hashed_storage(manifest_name=manifest, options=options)
    else:
        from django.utils.module_loading import import_string

        storage = import_string(backend)(**options)
    found = FileSystemStorage(location=str(source))
    storage.save("polls/style.css", found.open("polls/style.css"))
    list(storage.post_process({"polls/style.css": (found, "polls/style.css")}))


def test_two_versions_keep_their_own_files_and_manifests(tmp_path):
    root = tmp_path / "static"
    collect(root, tmp_path / "v1", "staticfiles-1.json", b"body{color:red}")
    collect(root, tmp_path / "v2", "staticfiles-2.json", b"body{color:blue}")
    # A worker of version 1 starting after version 2 was collected.
    version_1 = storage_module.hashed_storage(manifest_name="staticfiles-1.json", options={"location": str(root), "base_url": "/static/"})
    version_2 = storage_module.hashed_storage(manifest_name="staticfiles-2.json", options={"location": str(root), "base_url": "/static/"})
    url_1, url_2 = version_1.url("polls/style.css"), version_2.url("polls/style.css")
    assert url_1 != url_2
    assert url_1.startswith("/static/polls/style.") and url_1.endswith(".css") and url_1 != "/static/polls/style.css"
    assert (root / url_1.removeprefix("/static/")).read_bytes() == b"body{color:red}"
    assert (root / url_2.removeprefix("/static/")).read_bytes() == b"body{color:blue}"
    assert (root / "staticfiles-1.json").is_file() and (root / "staticfiles-2.json").is_file()


def test_one_shared_manifest_is_what_goes_wrong(tmp_path):
    # Django's own class: the second version's manifest replaces the first's,
    # so a version-1 worker that starts now links version 2's file.
    root = tmp_path / "static"
    backend = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    collect(root, tmp_path / "v1", "", b"body{color:red}", backend=backend)
    collect(root, tmp_path / "v2", "", b"body{color:blue}", backend=backend)
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

    url = ManifestStaticFilesStorage(location=str(root), base_url="/static/").url("polls/style.css")
    assert (root / url.removeprefix("/static/")).read_bytes() == b"body{color:blue}"


def test_the_class_adds_the_manifest_once():
    from django.contrib.staticfiles.storage import ManifestFilesMixin, ManifestStaticFilesStorage, StaticFilesStorage

    plain = storage_module.hashed_class(storage_module.DEFAULT_BACKEND, "staticfiles-3.json")
    assert issubclass(plain, ManifestFilesMixin) and issubclass(plain, StaticFilesStorage)
    assert plain.manifest_name == "staticfiles-3.json"
    assert plain is storage_module.hashed_class(storage_module.DEFAULT_BACKEND, "staticfiles-3.json")
    # A backend that already has a manifest is not given a second mixin.
    already = storage_module.hashed_class("django.contrib.staticfiles.storage.ManifestStaticFilesStorage", "staticfiles-3.json")
    assert already.__mro__.count(ManifestFilesMixin) == 1
    assert issubclass(already, ManifestStaticFilesStorage)


@pytest.mark.parametrize("name", ["", "../staticfiles.json", "dir/staticfiles.json", ".hidden.json"])
def test_a_manifest_name_must_be_a_plain_file_name(name, tmp_path):
    with pytest.raises(ValueError, match="plain file name"):
        storage_module.hashed_storage(manifest_name=name, options={"location": str(tmp_path)})
