"""roles/django_app/files/django_stack_collect.py: the digest that lets a run skip collectstatic."""

from tests.lib.loader import load_file

collect = load_file("roles/django_app/files/django_stack_collect.py")


def files(**contents: bytes):
    return [(name.replace("__", "/"), lambda c=content: c) for name, content in contents.items()]


def test_the_same_files_give_the_same_digest():
    entries = files(admin__base_css=b"body{}", polls__style_css=b"li{}")
    assert collect.static_digest(entries) == collect.static_digest(list(entries))


def test_a_changed_file_changes_the_digest():
    before = collect.static_digest(files(polls__style_css=b"li{}"))
    assert collect.static_digest(files(polls__style_css=b"li{color:red}")) != before


def test_a_renamed_or_added_file_changes_the_digest():
    before = collect.static_digest(files(polls__style_css=b"li{}"))
    assert collect.static_digest(files(polls__main_css=b"li{}")) != before
    assert collect.static_digest(files(polls__style_css=b"li{}", polls__extra_css=b"")) != before


def test_the_first_file_under_a_name_wins_as_in_collectstatic():
    first = [("polls/style.css", lambda: b"first")]
    assert collect.static_digest(first + [("polls/style.css", lambda: b"shadowed")]) == collect.static_digest(first)


def test_names_and_contents_cannot_run_into_each_other():
    assert collect.static_digest([("a", lambda: b"bc")]) != collect.static_digest([("ab", lambda: b"c")])


def test_another_storage_or_url_changes_the_digest():
    entries = files(polls__style_css=b"li{}")
    assert collect.static_digest(entries, salt="S3Storage\0/static/") != collect.static_digest(entries, salt="FileSystemStorage\0/static/")


def test_the_copied_count_comes_from_collectstatics_summary():
    assert collect.copied_count("\n127 static files copied to '/srv/polls/static'.") == 127
    assert collect.copied_count("1 static file copied to 'x', 126 unmodified.") == 1
    assert collect.copied_count("0 static files copied to 'x', 127 unmodified.") == 0
    assert collect.copied_count("") == 0
    assert collect.copied_count(None) == 0


def test_hashed_names_are_counted_from_the_summary():
    assert collect.post_processed_count("\n0 static files copied, 128 unmodified, 101 post-processed.") == 101
    assert collect.post_processed_count("\n127 static files copied to '/srv/polls/static'.") == 0
    assert collect.post_processed_count(None) == 0


D, OTHER = "d" * 64, "e" * 64


def test_plain_names_skip_only_when_the_marker_holds_this_digest():
    assert collect.plan(D, force=False, last=D) == ("skip", "")
    assert collect.plan(D, force=False, last=OTHER) == ("collect", "")
    assert collect.plan(D, force=False, last="") == ("collect", "")
    assert collect.plan(D, force=True, last=D) == ("collect", "")


def test_hashed_names_skip_a_version_whose_manifest_and_marker_are_there():
    # A rollback to version 2 after version 4 was collected.
    args = {"force": False, "last": f"{OTHER} staticfiles-4.json", "manifest": "staticfiles-2.json"}
    assert collect.plan(D, own=D, manifests={"staticfiles-2.json", "staticfiles-4.json"}, **args) == ("skip", "")
    # Its manifest deleted, or its marker from other files: collected again.
    assert collect.plan(D, own=D, manifests={"staticfiles-4.json"}, **args) == ("collect", "")
    assert collect.plan(D, own=OTHER, manifests={"staticfiles-2.json"}, **args) == ("collect", "")
    assert collect.plan(D, own=D, manifests={"staticfiles-2.json"}, **(args | {"force": True})) == ("collect", "")


def test_a_new_version_with_the_files_collected_last_copies_that_manifest():
    args = {"force": False, "manifest": "staticfiles-3.json", "own": None}
    assert collect.plan(D, last=f"{D} staticfiles-2.json", manifests={"staticfiles-2.json"}, **args) == ("copy", "staticfiles-2.json")
    # Other files, the manifest gone, or the last collect without hashed names: a collect.
    assert collect.plan(D, last=f"{OTHER} staticfiles-2.json", manifests={"staticfiles-2.json"}, **args) == ("collect", "")
    assert collect.plan(D, last=f"{D} staticfiles-2.json", manifests=set(), **args) == ("collect", "")
    assert collect.plan(D, last=D, manifests=set(), **args) == ("collect", "")


def test_the_marker_splits_into_digest_and_manifest():
    assert collect.split_marker("abc staticfiles-2.json\n") == ("abc", "staticfiles-2.json")
    assert collect.split_marker("abc") == ("abc", "")
    assert collect.split_marker(None) == ("", "")


def test_markers_are_read_and_replaced_in_a_storage(tmp_path):
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
        django.setup()
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path)
    assert collect._read(storage, "marker") is None
    collect._write(storage, "marker", "first")
    collect._write(storage, "marker", "second")
    assert collect._read(storage, "marker") == "second"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["marker"]
