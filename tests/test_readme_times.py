"""scripts/readme_times.py: the README's commands, measured and written back into its marked block (issue 19).

Nothing is simulated here: the tests check that every command the script measures is printed in the README (so
the two cannot drift), that a bad argument is refused before anything runs, that the disk count takes new and
changed files only, and that the README's block is rewritten from the stored measurements and nothing else."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("readme_times", ROOT / "scripts" / "readme_times.py")
rt = importlib.util.module_from_spec(spec)
sys.modules["readme_times"] = rt  # its dataclasses look their module up
spec.loader.exec_module(rt)


def test_every_measured_command_is_in_the_readme_and_the_readme_has_the_block() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for cmd in rt.COMMANDS:
        assert cmd.readme in text, cmd.readme
    assert text.count(rt.START) == 1 and text.count(rt.END) == 1


@pytest.mark.parametrize("argv, says", [(["--only", "nope"], "--only nope: not a command"),
                                        (["--timeout", "-1"], "--timeout -1: must be > 0")])
def test_bad_arguments_are_refused_before_anything_runs(argv, says, capsys, monkeypatch) -> None:
    monkeypatch.setattr(rt, "measure", lambda *a: pytest.fail("ran a command"))
    assert rt.main(argv) == 2
    assert says in capsys.readouterr().err


def test_disk_written_counts_new_and_changed_files_only(tmp_path) -> None:
    before = {"a": (10, 1.0), "b": (20, 1.0), "c": (5, 1.0)}
    after = {"a": (10, 1.0), "b": (25, 2.0), "c": (5, 1.0), "d": (7, 3.0)}
    assert rt.written(before, after) == 25 + 7


def test_the_block_is_rewritten_from_the_store_and_the_rest_kept(tmp_path, monkeypatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{rt.START}\nold table\n{rt.END}\nafter\n" + "\n".join(c.readme for c in rt.COMMANDS))
    store = tmp_path / "times.json"
    store.write_text(json.dumps({"make_run": {"command": "make run", "seconds": 27.4, "cpu_seconds": 25.0,
                                              "bytes": 43_105_710, "measured": "2026-12-03",
                                              "machine": "2 cores, test", "load": 1.5}}))
    monkeypatch.setattr(rt, "README", readme)
    monkeypatch.setattr(rt, "STORE", store)
    assert rt.main(["--write-only"]) == 0
    text = readme.read_text()
    assert text.startswith("before\n") and "\nafter\n" in text and "old table" not in text
    assert "| `make run` |" in text and "| 27 s | 25 s | 43 MB | 2026-12-03, 2 cores, test, load 1.5 |" in text
    assert "| `.venv/bin/python -m sim.screening region=gelderland` | analytic screening | not measured |" in text
