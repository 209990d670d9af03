from tests.lib.recap import changed_hosts, changed_tasks, parse_recap

OUTPUT = """
TASK [base : Install packages] ************************************************
ok: [app1]
changed: [db1]

PLAY RECAP *********************************************************************
app1                       : ok=12   changed=0    unreachable=0    failed=0    skipped=3    rescued=0    ignored=0
db1                        : ok=12   changed=1    unreachable=0    failed=0    skipped=3    rescued=0    ignored=0

Saturday 21 November 2026  05:00:00 +0000 (0:00:01.000)       0:00:10.000 *****
===============================================================================
base : Install packages --------------------------------------------------- 3.00s
"""


def test_parse_recap_reads_every_host():
    recap = parse_recap(OUTPUT)
    assert set(recap) == {"app1", "db1"}
    assert recap["db1"].changed == 1
    assert recap["app1"].ok == 12
    assert recap["app1"].skipped == 3


def test_changed_hosts_lists_only_hosts_with_changes():
    assert changed_hosts(OUTPUT) == ["db1"]


def test_failed_and_unreachable_count_as_unclean():
    text = OUTPUT.replace("db1                        : ok=12   changed=1", "db1 : ok=12 changed=0").replace(
        "app1                       : ok=12   changed=0    unreachable=0    failed=0",
        "app1 : ok=1 changed=0 unreachable=1 failed=0",
    )
    assert changed_hosts(text) == ["app1"]


def test_changed_tasks_names_the_task():
    assert changed_tasks(OUTPUT) == ["db1 => base : Install packages"]


def test_ansi_colours_are_ignored():
    coloured = OUTPUT.replace("changed=1", "\x1b[0;33mchanged=1\x1b[0m")
    assert changed_hosts(coloured) == ["db1"]


def test_missing_recap_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="no PLAY RECAP"):
        parse_recap("no recap here")


def test_molecule_borders_are_ignored():
    framed = "\n".join("  \u2502 " + line for line in OUTPUT.splitlines())
    assert changed_hosts(framed) == ["db1"]
    assert changed_tasks(framed) == ["db1 => base : Install packages"]
