"""The config_files action's decisions (plugins/action/config_files.py): what is in place, what is refused.

The whole action runs on real hosts in every scenario (the roles write their
files with it); these tests pin the comparison a skipped write rests on.
"""

import pytest

from tests.lib.loader import load_file

cf = load_file("plugins/action/config_files.py")

BODY = b"listen_port = 6432\n"
LISTED = {
    "path": "/etc/pgbouncer/pgbouncer.ini", "isreg": True, "isdir": False, "checksum": cf.sha1(BODY),
    "pw_name": "postgres", "gr_name": "postgres", "uid": 105, "gid": 110, "mode": "0640",
}
ENTRY = {"dest": "/etc/pgbouncer/pgbouncer.ini", "template": "pgbouncer.ini.j2", "state": "file",
         "owner": "postgres", "group": "postgres", "mode": "0640"}


def test_a_file_with_the_same_content_owner_group_and_mode_is_in_place():
    assert cf.in_place(LISTED, ENTRY, cf.sha1(BODY))


@pytest.mark.parametrize("change", [
    {"checksum": cf.sha1(b"other")},
    {"pw_name": "root", "uid": 0},
    {"gr_name": "root", "gid": 0},
    {"mode": "0644"},
    {"isreg": False, "isdir": True},
    {"checksum": None},
])
def test_any_difference_means_a_write(change):
    assert not cf.in_place({**LISTED, **change}, ENTRY, cf.sha1(BODY))


def test_a_missing_file_is_never_in_place():
    assert not cf.in_place(None, ENTRY, cf.sha1(BODY))
    assert not cf.in_place({}, ENTRY, cf.sha1(BODY))


def test_numeric_owner_and_group_and_unset_attributes():
    assert cf.in_place(LISTED, {**ENTRY, "owner": "105", "group": "110"}, cf.sha1(BODY))
    assert cf.in_place(LISTED, {**ENTRY, "owner": None, "group": None, "mode": None}, cf.sha1(BODY))


def test_modes_compare_as_find_reports_them():
    assert cf.octal("640") == "0640" and cf.octal("0640") == "0640" and cf.octal("04755") == "4755"
    assert cf.in_place({**LISTED, "mode": "0640"}, {**ENTRY, "mode": "640"}, cf.sha1(BODY))


def test_a_directory_compares_its_kind_owner_and_mode_only():
    directory = {"path": "/etc/pgbouncer", "isdir": True, "isreg": False, "pw_name": "postgres", "gr_name": "postgres",
                 "mode": "0750"}
    entry = {"dest": "/etc/pgbouncer", "state": "directory", "owner": "postgres", "group": "postgres", "mode": "0750"}
    assert cf.in_place(directory, entry)
    assert not cf.in_place({**directory, "isdir": False, "isreg": True}, entry)
    assert not cf.in_place({**directory, "mode": "0755"}, entry)


def test_one_listing_covers_every_entry_by_its_exact_name():
    entries = [ENTRY, {**ENTRY, "dest": "/etc/pgbouncer/userlist.txt"}, {"dest": "/etc/systemd/system/a+b.service", "state": "file"}]
    args = cf.listing_args(entries)
    assert args["paths"] == ["/etc/pgbouncer", "/etc/systemd/system"]
    assert args["use_regex"] and args["get_checksum"] and args["hidden"] and args["file_type"] == "any"
    import re

    names = ["pgbouncer.ini", "userlist.txt", "a+b.service"]
    for name in names:
        assert any(re.match(p, name) for p in args["patterns"]), name
    # Exact names only: no prefix, suffix or regex reading of the name.
    for other in ["pgbouncer.ini.bak", "xpgbouncer.ini", "aab.service", "userlist.txt~"]:
        assert not any(re.match(p, other) for p in args["patterns"]), other


@pytest.mark.parametrize(("entry", "message"), [
    ({"dest": "etc/x", "content": "x", "state": "file"}, "absolute path"),
    ({"dest": "/etc/x/", "content": "x", "state": "file"}, "absolute path"),
    ({"dest": "/etc/x", "state": "file"}, "one of template, src or content"),
    ({"dest": "/etc/x", "content": "x", "state": "directory"}, "takes no content"),
    ({"dest": "/etc/x", "content": "x", "state": "file", "mode": "u=rw"}, "octal digits"),
    # A YAML 0644 without quotes arrives as the number 420: refused, not read as 0420.
    ({"dest": "/etc/x", "content": "x", "state": "file", "mode": 420}, "octal digits in quotes"),
    ({"dest": "/etc/x", "content": "x", "state": "file", "mode": "644"}, None),
])
def test_entries_refused_before_any_write(entry, message):
    found = cf.problems([entry])
    if message is None:
        assert found == []
    else:
        assert len(found) == 1 and message in found[0] and entry["dest"] in found[0]


def test_a_path_listed_twice_is_refused():
    found = cf.problems([ENTRY, dict(ENTRY)])
    assert found == [f"dest {ENTRY['dest']!r} is listed twice"]


def test_absent_is_in_place_only_when_nothing_is_listed():
    entry = {**ENTRY, "state": "absent"}
    assert cf.in_place(None, entry) and cf.in_place({}, entry)
    assert not cf.in_place(LISTED, entry)
    assert not cf.in_place({**LISTED, "isreg": False, "isdir": True}, entry)
    assert cf.problems([entry]) == []
