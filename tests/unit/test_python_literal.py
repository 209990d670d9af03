import ast

import pytest

from tests.lib.loader import load_file

module = load_file("plugins/filter/python_literal.py")
python_literal = module.python_literal


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -7,
        3.5,
        "",
        "plain",
        "quote ' and \" and backslash \\ and newline \n",
        "\"\"\"; import os; os.system('x')  # ",
        ["a", 1, None],
        {"sslmode": "require", "nested": {"list": [1, 2], "flag": True}},
        [],
        {},
    ],
)
def test_round_trip(value):
    source = python_literal(value)
    assert ast.literal_eval(source) == value


def test_bool_is_not_rendered_as_int():
    assert python_literal(True) == "True"


def test_tuple_becomes_list():
    assert python_literal(("a", "b")) == "['a', 'b']"


@pytest.mark.parametrize("value", [object(), b"bytes", float("nan"), float("inf"), {("a",): 1}])
def test_unsupported_values_raise(value):
    with pytest.raises((TypeError, ValueError)):
        python_literal(value)


def test_filter_is_registered():
    assert module.FilterModule().filters()["python_literal"] is python_literal
