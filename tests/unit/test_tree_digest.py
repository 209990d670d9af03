import os
import shutil
from pathlib import Path

import pytest

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
module = load_file("plugins/filter/tree_digest.py")
tree_digest = module.tree_digest


@pytest.fixture
def tree(tmp_path):
    top = tmp_path / "project"
    (top / "app" / "static").mkdir(parents=True)
    (top / "manage.py").write_text("print('hi')\n")
    (top / "app" / "views.py").write_text("x = 1\n")
    (top / "app" / "static" / "style.css").write_text("body {}\n")
    return top


def test_same_content_elsewhere_and_later_gives_the_same_digest(tree, tmp_path):
    first = tree_digest(tree)
    copy = tmp_path / "clone"
    shutil.copytree(tree, copy)
    os.utime(copy / "manage.py", (1, 1))
    assert tree_digest(copy) == first
    assert tree_digest(str(tree) + "/") == first


@pytest.mark.parametrize(
    "change",
    [
        lambda top: (top / "app" / "views.py").write_text("x = 2\n"),
        lambda top: (top / "app" / "new.py").write_text(""),
        lambda top: (top / "app" / "views.py").rename(top / "app" / "view.py"),
        lambda top: (top / "manage.py").chmod(0o755),
        lambda top: (top / "empty").mkdir(),
        lambda top: (top / "link").symlink_to("manage.py"),
        lambda top: (top / "app" / "static" / "style.css").unlink(),
    ],
    ids=["content", "added", "renamed", "mode", "empty-dir", "symlink", "removed"],
)
def test_any_change_that_copy_would_deploy_changes_the_digest(tree, change):
    before = tree_digest(tree)
    change(tree)
    assert tree_digest(tree) != before


def test_the_bundled_project_has_a_digest():
    assert len(tree_digest(ROOT / "roles/django_app/files/polls")) == 64


def test_a_file_is_refused(tree):
    with pytest.raises(ValueError, match="is not a directory"):
        tree_digest(tree / "manage.py")
