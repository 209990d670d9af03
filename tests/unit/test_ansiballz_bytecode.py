"""The local droplets' payload bytecode cache: same modules, compiled once per content.

Each case runs in a fresh interpreter (the hook changes sys.path_hooks for good).
"""

import json
import marshal
import subprocess
import sys
import zipfile
from pathlib import Path

HOOK = Path(__file__).resolve().parents[2] / "playbooks" / "files" / "local_droplets" / "ansiballz_bytecode.py"

DRIVER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("ansiballz_bytecode", sys.argv[1])
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)
hook.CACHE_DIR = sys.argv[2]
hook.install()
sys.path.insert(0, sys.argv[3])
from pkg import mod
import pkg
print(json.dumps({"value": mod.VALUE, "file": mod.__file__, "pkg_file": pkg.__file__,
                  "code_file": mod.where.__code__.co_filename, "parent": pkg.PARENT}))
"""


def make_payload(path: Path, value: str) -> Path:
    with zipfile.ZipFile(path, "w") as payload:
        payload.writestr("pkg/__init__.py", "PARENT = 'package'\n")
        payload.writestr("pkg/mod.py", f"VALUE = {value!r}\n\ndef where():\n    return VALUE\n")
    return path


def run(cache: Path, payload: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", DRIVER, str(HOOK), str(cache), str(payload)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_first_import_compiles_and_keeps_the_code(tmp_path):
    cache = tmp_path / "cache"
    payload = make_payload(tmp_path / "ansible_stat_payload.zip", "one")
    result = run(cache, payload)
    assert result["value"] == "one" and result["parent"] == "package"
    assert result["file"] == f"{payload}/pkg/mod.py"
    assert result["pkg_file"] == f"{payload}/pkg/__init__.py"
    kept = sorted(p.name.split("-")[0] for p in cache.iterdir())
    assert kept == ["pkg", "pkg.mod"]


def test_a_later_payload_with_the_same_content_runs_the_kept_code(tmp_path):
    cache = tmp_path / "cache"
    (tmp_path / "a").mkdir()
    run(cache, make_payload(tmp_path / "a" / "ansible_stat_payload.zip", "one"))
    # Replace the kept code: the next run must execute it, not recompile the source.
    kept = next(p for p in cache.iterdir() if p.name.startswith("pkg.mod-"))
    kept.write_bytes(marshal.dumps(compile("VALUE = 'from cache'\ndef where():\n    return VALUE\n", "x", "exec")))
    (tmp_path / "b").mkdir()
    payload = make_payload(tmp_path / "b" / "ansible_stat_payload.zip", "one")
    result = run(cache, payload)
    assert result["value"] == "from cache"
    # Tracebacks name the payload that runs, not the one that filled the cache.
    assert result["code_file"] == f"{payload}/pkg/mod.py"


def test_changed_content_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(cache, make_payload(tmp_path / "a" / "ansible_copy_payload.zip", "one"))
    assert run(cache, make_payload(tmp_path / "b" / "ansible_copy_payload.zip", "two"))["value"] == "two"
    assert len([p for p in cache.iterdir() if p.name.startswith("pkg.mod-")]) == 2


def test_other_zips_are_left_to_zipimport(tmp_path):
    cache = tmp_path / "cache"
    result = run(cache, make_payload(tmp_path / "library.zip", "one"))
    assert result["value"] == "one"
    assert not cache.exists()


def test_a_cache_it_cannot_write_only_costs_the_compile(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = run(blocker / "cache", make_payload(tmp_path / "ansible_stat_payload.zip", "one"))
    assert result["value"] == "one"
