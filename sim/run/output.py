"""Writing results safely: config snapshot first, every table atomically, a completion marker last.

A table is written under a temporary name in the same directory and renamed into place, so a crash leaves
either the old file or the new one, never half of one. ``_COMPLETE.json`` is written last; a directory without
it is incomplete and no later step (collect, report, resume) trusts it. A run does its writing inside
:func:`guarded`: the folder loses any marker of an earlier run first (it is being rewritten), and an error during
the run is written to ``error.txt`` beside the tables (the exception and its traceback), then raised on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import pandas as pd

MARKER = "_COMPLETE.json"
ERROR = "error.txt"


@functools.lru_cache(maxsize=1)
def model_version() -> str:
    """Package version plus a digest of the model's source files (``sim/**/*.py``), computed once per process.

    Resuming a sweep must never mix results of different code; the digest catches a changed model even when
    nobody bumped the version number.
    """
    try:
        version = metadata.version("ketensim")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0+unknown"
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes())
    return f"{version}+src.{digest.hexdigest()[:12]}"


def config_hash(config_yaml: str) -> str:
    return hashlib.sha256(config_yaml.encode("utf-8")).hexdigest()[:16]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:  # a write that failed leaves no temporary file behind (after the rename there is none)
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def guarded(directory: Path) -> Iterator[None]:
    """The writing of one run into ``directory``: on entry the folder is made and loses the marker and error file
    of an earlier run (it is being rewritten, so it is incomplete until :func:`write_results` puts the new marker
    last); any exception inside (also an interrupt) writes ``error.txt`` with the traceback and is raised on.
    Other folders (earlier points of a sweep) are never touched."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).unlink(missing_ok=True)
    (directory / ERROR).unlink(missing_ok=True)
    try:
        yield
    except BaseException as err:
        (directory / MARKER).unlink(missing_ok=True)  # the marker is only ever the last step of a whole run
        write_text(directory / ERROR, f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}")
        raise


def write_text(path: Path, text: str) -> None:
    _atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_table(directory: Path, name: str, df: pd.DataFrame, formats: list[str]) -> list[str]:
    written = []
    if "parquet" in formats:
        _atomic(directory / f"{name}.parquet", lambda p: df.to_parquet(p, index=False))
        written.append(f"{name}.parquet")
    if "csv" in formats:
        _atomic(directory / f"{name}.csv", lambda p: df.to_csv(p, index=False))
        written.append(f"{name}.csv")
    return written


def write_results(directory: Path, tables: dict[str, pd.DataFrame], formats: list[str], config_yaml: str,
                  extra: dict | None = None, identity: str | None = None) -> Path:
    """Write every table, then the marker. ``config_hash`` in the marker hashes ``identity`` when given (the
    configuration minus settings that cannot change a number, see sim.sweep.identity_yaml), else ``config_yaml``;
    ``checksums`` lets a later reader detect a truncated or altered file."""
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / MARKER
    if marker.exists():
        marker.unlink()  # the directory is being rewritten: incomplete until the new marker lands
    files = []
    for name, df in tables.items():
        files += write_table(directory, name, df, formats)
    checksums = {name: {"bytes": (directory / name).stat().st_size, "sha256": file_digest(directory / name)}
                 for name in files}
    info = {"model_version": model_version(),
            "config_hash": config_hash(identity if identity is not None else config_yaml), "files": files,
            "checksums": checksums, "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), **(extra or {})}
    write_text(marker, json.dumps(info, indent=2))
    return marker


def is_complete(directory: Path) -> bool:
    return (directory / MARKER).is_file()
