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
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from sim.run.progress import Bar

MARKER = "_COMPLETE.json"
ERROR = "error.txt"
EVENTS = "events"  # the table written as the process-mining event log (event_log)
FAMILIES = "families"  # one row per family episode: in run.families_formats (Parquet only unless CSV is asked for)
# The lifecycle values the model logs, each a transition of the XES standard lifecycle model (schedule: the case
# joins the waiting list; start/complete: the work begins/ends; suspend/resume: the work pauses/continues, resume
# also for work already under way at the start of a run from today). A value outside it is refused, never guessed.
XES_LIFECYCLE = ("schedule", "start", "complete", "suspend", "resume")
# The event log's columns: the XES standard keys first, then the model's own.
# The days since the start of the observed window (the events table's ``time``) are not written: they are
# ``time:timestamp`` minus ``run.start_date``, and as a second column they cost a default run 7 MB (issue 19).
EVENT_LOG_COLUMNS = ("case:concept:name", "concept:name", "lifecycle:transition", "time:timestamp", "org:group",
                     "scenario", "replication", "case_id")


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


def _to_parquet(df: pd.DataFrame, path: Path, split_floats: bool) -> None:
    """Parquet with zstd; with ``split_floats`` the float columns byte-stream-split (their bytes grouped by
    significance before compression). Lossless and read by any Parquet reader: a Gelderland run's families table
    (unsorted times) is a quarter smaller than with the default snappy, its event log (times in order, which
    splitting would hurt) a quarter smaller with zstd alone (issue 19: a default run writes at most 50 MB)."""
    floats = [str(c) for c in df.columns if pd.api.types.is_float_dtype(df[c].dtype)] if split_floats else []
    df.to_parquet(path, index=False, compression="zstd", use_byte_stream_split=floats or False,
                  use_dictionary=[str(c) for c in df.columns if str(c) not in floats])


def write_table(directory: Path, name: str, df: pd.DataFrame, formats: list[str]) -> list[str]:
    written = []
    if "parquet" in formats:
        _atomic(directory / f"{name}.parquet", lambda p: _to_parquet(df, p, split_floats=name != EVENTS))
        written.append(f"{name}.parquet")
    if "csv" in formats:
        _atomic(directory / f"{name}.csv", lambda p: df.to_csv(p, index=False))
        written.append(f"{name}.csv")
    return written


def event_log(events: pd.DataFrame) -> pd.DataFrame:
    """The events table (sim.chain.tables.events_table) as an event log with the XES standard keys
    (EVENT_LOG_COLUMNS). A family episode's case id is unique over replications (``r<replication>-<case_id>``):
    the same ``case_id`` in two replications is two different families. Row order is kept (within a case, the
    order in which the simulation logged events at the same time). Raises ValueError on a lifecycle value outside
    the XES standard lifecycle model."""
    unknown = sorted(set(events["lifecycle"].astype(str)) - set(XES_LIFECYCLE))
    if unknown:
        raise ValueError(f"events: lifecycle {unknown[0]!r} is not one of the XES standard transitions "
                         f"{', '.join(XES_LIFECYCLE)}")
    replication = events["replication"].to_numpy(dtype="int64")
    case_id = events["case_id"].to_numpy(dtype="int64")
    # One text per case, not per event: code the (replication, case) pairs, then spell each pair once.
    codes, pairs = pd.factorize(pd.MultiIndex.from_arrays([replication, case_id]), sort=True)
    names = np.array([f"r{r}-{c}" for r, c in pairs], dtype=object)
    # Plain text columns, not categoricals: pm4py requires string case and activity columns (Parquet stores them
    # dictionary-encoded all the same, so the file is no larger).
    return pd.DataFrame({
        "case:concept:name": pd.Series(names[codes], dtype="str"),
        "concept:name": events["activity"].astype("str"),
        "lifecycle:transition": events["lifecycle"].astype("str"),
        "time:timestamp": events["timestamp"],
        "org:group": events["organisation"].astype("str"),
        "scenario": events["scenario"],
        "replication": events["replication"],
        "case_id": events["case_id"],
    })


def write_results(directory: Path, tables: dict[str, pd.DataFrame], formats: list[str], config_yaml: str,
                  extra: dict | None = None, identity: str | None = None,
                  event_log_formats: Sequence[str] = ("parquet",),
                  families_formats: Sequence[str] | None = None, progress: bool = False) -> Path:
    """Write every table, then the marker. ``config_hash`` in the marker hashes ``identity`` when given (the
    configuration minus settings that cannot change a number, see sim.sweep.identity_yaml), else ``config_yaml``;
    ``checksums`` lets a later reader detect a truncated or altered file. The ``events`` table is written as an
    event log (:func:`event_log`) in ``event_log_formats`` (``run.event_log_formats``), and not when it is empty
    (nothing was logged) or no format is given. The ``families`` table is written in ``families_formats``
    (``run.families_formats``; ``formats`` when None). ``progress``: a count of the tables written, with ETA."""
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / MARKER
    if marker.exists():
        marker.unlink()  # the directory is being rewritten: incomplete until the new marker lands
    files: list[str] = []
    with Bar("tables", len(tables), enabled=progress) as bar:
        for name, df in tables.items():
            if name == EVENTS:
                chosen = list(event_log_formats) if len(df) else []
                written = write_table(directory, name, event_log(df), chosen) if chosen else []
            else:
                chosen = list(families_formats) if name == FAMILIES and families_formats is not None else formats
                written = write_table(directory, name, df, chosen)
            if name in (EVENTS, FAMILIES):  # an earlier run's copy in a format not written now goes
                for stale in {f"{name}.parquet", f"{name}.csv"} - set(written):
                    (directory / stale).unlink(missing_ok=True)
            files += written
            bar.advance()
    checksums = {name: {"bytes": (directory / name).stat().st_size, "sha256": file_digest(directory / name)}
                 for name in files}
    info = {"model_version": model_version(),
            "config_hash": config_hash(identity if identity is not None else config_yaml), "files": files,
            "checksums": checksums, "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), **(extra or {})}
    write_text(marker, json.dumps(info, indent=2))
    return marker


def is_complete(directory: Path) -> bool:
    return (directory / MARKER).is_file()
