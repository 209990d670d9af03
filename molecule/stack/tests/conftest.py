import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.lib.molecule_helpers import get_host  # noqa: E402


@pytest.fixture(scope="module")
def app1():
    return get_host("stack-app1")


@pytest.fixture(scope="module")
def app2():
    return get_host("stack-app2")


@pytest.fixture(scope="module")
def db1():
    return get_host("stack-db1")


@pytest.fixture(scope="module")
def s3():
    return get_host("stack-s3")
