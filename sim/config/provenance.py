"""Where each default comes from: read from the comments beside the values in ``conf/``.

Every value in ``conf/process/`` and ``conf/region/`` carries an inline comment that starts with
``source:``, ``derived:`` or ``assumption:`` (see README, "Where the numbers come from"). The YAML line is the
one home of the value and of its provenance; this module reads those comments so that every run can list the
assumptions in force (``assumptions.csv``) and a test can check that no value lacks a provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

KINDS = ("source", "derived", "assumption", "calibrated")
LABELS = ("name", "description")  # text that names a thing, not a number that needs a source
_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):(?P<rest>.*)$")
_TAG = re.compile(r"#\s*(?P<kind>source|derived|assumption|calibrated)\s*:?\s*(?P<text>.*)$", re.IGNORECASE)


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # 3,000 or 0.25 (a comma followed by 3 digits groups thousands)
_RANGE = re.compile(rf"\brange:?\s*\[?\s*(?P<low>{_NUMBER})\s*(?:-|–|to|,\s)\s*(?P<high>{_NUMBER})", re.IGNORECASE)


def parse_range(text: str, as_written: bool = False) -> tuple[float, float] | None:
    """The plausible range an assumption states in its comment (``range: 0.1-0.5``, ``range 500-3,000``,
    ``range: [14, 42]``), as (low, high); None when the comment gives none. Sensitivity runs vary the value
    across it (experiments/sensitivity.py); for a distribution it is the range of its mean. ``as_written``: the
    two bounds in the order the comment gives them (sim.uncertainty refuses a range whose low is above its high)."""
    m = _RANGE.search(text)
    if not m:
        return None
    low, high = (float(m.group(g).replace(",", "")) for g in ("low", "high"))
    return (low, high) if low <= high or as_written else (high, low)


SHAPES = ("uniform", "triangular", "pert")
_SHAPE = re.compile(rf"\s*\]?\s*,\s*(?P<shape>{'|'.join(SHAPES)})\b", re.IGNORECASE)


def parse_shape(text: str) -> str | None:
    """The shape a comment gives its stated range, right after it (``range 10-21, pert``: beta-PERT peaking at the
    default; ``range 0-0.2, triangular``: a triangle peaking there; ``uniform``); None when it names none, which
    means uniform over the range (sim.uncertainty)."""
    m = _RANGE.search(text)
    shape = _SHAPE.match(text, m.end()) if m else None
    return shape.group("shape").lower() if shape else None


@dataclass(frozen=True)
class Provenance:
    key: str  # dotted config name, e.g. durations.rvdk_onderzoek
    kind: str  # source | derived | assumption | calibrated
    text: str  # the citation, formula or reason
    file: str

    @property
    def range(self) -> tuple[float, float] | None:
        return parse_range(self.text)


def _strip_comment(rest: str) -> tuple[str, str]:
    """Split 'value  # comment' outside quotes and flow brackets."""
    quote = None
    for i, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or rest[i - 1] in " \t"):
            return rest[:i].strip(), rest[i + 1:].strip()
    return rest.strip(), ""


@dataclass(frozen=True)
class Line:
    """One ``key: value  # comment`` line of a block-style YAML file of ``conf/``, with its dotted name."""

    index: int  # line number, from 0
    indent: str
    key: str
    dotted: str
    value: str  # "" for a section (its keys follow, indented)
    comment: str


def walk(lines: Sequence[str], package: str = "") -> Iterator[Line]:
    """Every key of a ``conf/`` file, sections included, in file order: the one reader of the value-and-comment
    lines (provenance here, the calibration's writer in experiments/calibrate.py)."""
    stack: list[tuple[int, str]] = []
    for i, raw in enumerate(lines):
        if raw.lstrip().startswith("#") or not raw.strip() or raw.strip() == "defaults:":
            continue
        m = _LINE.match(raw)
        if not m:
            continue
        indent = len(m.group("indent"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = m.group("key")
        value, comment = _strip_comment(m.group("rest"))
        yield Line(i, m.group("indent"), key, ".".join([p for p in [package] if p] + [k for _, k in stack] + [key]),
                   value, comment)
        if value == "":
            stack.append((indent, key))


def write_value(path: Path, dotted: str, value: str, comment: str) -> None:
    """Replace the value and the provenance comment of ``dotted`` in ``path``; every other byte stays.

    The file is re-read just before writing (other people may edit other lines of a shared file) and written
    atomically. Raises KeyError if the key is not in the file."""
    lines = path.read_text(encoding="utf-8").split("\n")
    line = next((ln for ln in walk(lines) if ln.dotted == dotted and ln.value != ""), None)
    if line is None:
        raise KeyError(f"{dotted} not found in {path}")
    lines[line.index] = f"{line.indent}{line.key}: {value}  # {comment}"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)


def read_file(path: Path, package: str = "") -> tuple[list[Provenance], list[str]]:
    """Return (provenances, dotted keys of leaf values that have none) for one YAML file."""
    found: list[Provenance] = []
    missing: list[str] = []
    for line in walk(path.read_text(encoding="utf-8").splitlines(), package):
        if line.value == "":
            continue
        tag = _TAG.search("#" + line.comment) if line.comment else None
        if line.key in LABELS and not tag:
            continue
        if tag:
            found.append(Provenance(line.dotted, tag.group("kind").lower(), tag.group("text").strip(), path.name))
        else:
            missing.append(line.dotted)
    return found, missing


def read_tree(conf_dir: Path, groups: tuple[str, ...] = ("process", "region")) -> dict[str, list[Provenance]]:
    """Provenance of every value per config file (key: 'group/name')."""
    out: dict[str, list[Provenance]] = {}
    for group in groups:
        for path in sorted((conf_dir / group).glob("*.yaml")):
            out[f"{group}/{path.stem}"] = read_file(path)[0]
    return out
