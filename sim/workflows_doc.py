"""``python -m sim.workflows_doc RESULT_DIR [--out docs/workflows.md]``: docs/workflows.md from a real comparison.

The page that tells policy advisers how to compare workflows ends with an example comparison. Its numbers must be
those of a comparison that was actually run, with the command that ran it, not typed by hand (issue 14, item 8).
This command reads a finished comparison directory (``python -m sim +experiment=compare_workflows``; its marker
``_COMPLETE.json`` lists the workflows) and fills ``docs/templates/workflows.md.tmpl`` (``string.Template``: the
hand-written prose, with ``${...}`` where generated text goes):

- ``${command}``: the exact command that produced the comparison (its Hydra record, as the report's "How to
  reproduce"; a comparison not run through Hydra gets the essentials of its configuration);
- ``${results}``: per alternative workflow, whether every pool was stable in each run (``stability.csv``), the
  staffing of both (``staffing.csv``), the censoring-aware lead times beside the completed-episode means, and the
  paired table: both means, the structure-only difference, the default difference and what the assumed effects
  add, each with its 95 % CI and its mark (``*`` a finding, ``†`` by construction, ``‡`` through a pool that was
  not stable), with the reasons below (``comparison.csv``);
- ``${assumptions}``: the assumed values of the compared workflows' own files as the comparison used them
  (``assumptions.csv``), ``${structure_overrides}``: the overrides of each structure-only arm (the marker).

Every number in the generated text comes from those files; ``tests/test_workflows_doc.py`` checks the page's numbers
against comparison.csv. A directory that is not a finished comparison is one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import math
import string
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from sim.analysis import compare
from sim.chain import kpis
from sim.report import html
from sim.run import output

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "docs" / "templates" / "workflows.md.tmpl"
DEFAULT_OUT = ROOT / "docs" / "workflows.md"
# censoring-aware lead time -> the completed-episode mean it replaces as the headline (shown side by side)
LEAD_PAIRS = ((kpis.LEAD_TIME_HELP_RMST, kpis.LEAD_TIME_HELP_MEAN),
              (kpis.LEAD_TIME_MEASURE_RMST, kpis.LEAD_TIME_MEASURE_MEAN))


class DocError(RuntimeError):
    """The directory cannot make the page (message: one line)."""


def number(v: float) -> str:
    """A number as the printed comparison shows it (sim.analysis.compare): '-' for none."""
    return compare.fmt(float(v)) if v is not None else "-"


def _interval(row: pd.Series, prefix: str, mean: str, starred: str) -> str:
    return (f"{number(row[mean])} [{number(row[f'{prefix}_ci_low'])}, {number(row[f'{prefix}_ci_high'])}]"
            + compare.mark(row, prefix, starred))


def paired_section(comparison: pd.DataFrame, workflow: str) -> str:
    """The paired table of one alternative as Markdown, with the notes on daggers, unstable pools and the
    structure-only arm below it."""
    c = comparison[comparison["workflow"] == workflow].set_index("kpi")
    baseline = str(c["baseline"].iloc[0])
    split = compare.decomposed(c)
    head = ["KPI", "unit", baseline, workflow] + (
        ["structure only [95% CI]", "paired difference [95% CI]", "assumed effects add [95% CI]"] if split
        else ["paired difference [95% CI]"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kpi in kpis.rows("compared", c.index):
        r = c.loc[kpi]
        cells = [f"`{kpi}`", str(r["unit"]) if isinstance(r["unit"], str) else "", number(r["mean_baseline"]),
                 number(r["mean_workflow"])]
        if split:
            cells += [_interval(r, "structure_diff", "structure_diff_mean", "structure_starred"),
                      _interval(r, "diff", "diff_mean", "starred"),
                      _interval(r, "effects_add", "effects_add_mean", "effects_add_starred")]
        else:
            cells.append(_interval(r, "diff", "diff_mean", "starred"))
        lines.append("| " + " | ".join(cells) + " |")
    notes = compare.format_comparison(comparison, workflow).splitlines()
    notes = [n for n in notes if n.startswith((compare.DAGGER, compare.UNSTABLE_MARK, "structure only ="))]
    return "\n".join(lines) + ("\n\n" + "\n".join(f"- {n}" for n in notes) if notes else "")


def lead_time_section(summary: pd.DataFrame, workflows: Sequence[str]) -> str:
    """The censoring-aware lead times (families still waiting counted) beside the completed-episode means."""
    s = summary.set_index(["workflow", "kpi"])
    lines = ["| workflow | lead time | censoring-aware (Kaplan-Meier) [95% CI] | completed episodes only [95% CI] |",
             "|---|---|---|---|"]
    for wf in workflows:
        for aware, naive in LEAD_PAIRS:
            cells = []
            for k in (aware, naive):
                r = s.loc[(wf, k)] if (wf, k) in s.index else None
                cells.append("-" if r is None else f"`{k}` {number(r['mean'])} [{number(r['ci_low'])}, "
                                                   f"{number(r['ci_high'])}]")
            lines.append(f"| {wf} | {kpis.description(naive).split(',')[0].split(' (')[0]} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def staffing_section(staffing: pd.DataFrame, workflows: Sequence[str]) -> str:
    units = list(dict.fromkeys(staffing["unit"]))
    table = staffing.pivot_table(index="unit", columns="workflow", values="fte", aggfunc="sum").reindex(units)
    lines = ["| FTE (paper) | " + " | ".join(workflows) + " |", "|---|" + "---|" * len(workflows)]
    for unit in units:
        lines.append(f"| {unit} | " + " | ".join(number(table.at[unit, w]) if w in table.columns and
                                                 math.isfinite(table.at[unit, w]) else "-" for w in workflows) + " |")
    return "\n".join(lines)


def stability_lines(stability: pd.DataFrame, workflows: Sequence[str]) -> str:
    out = []
    for wf in workflows:
        for arm in (compare.DEFAULT, compare.STRUCTURE):
            rows = stability[(stability["workflow"] == wf) & (stability["arm"] == arm)]
            if rows.empty:
                continue
            label = wf if arm == compare.DEFAULT else f"{wf} (structure only)"
            out.append(f"- {label}: {compare.stability_statement(stability, wf, arm)}")
            for _, r in rows[rows["state"] != "stable"].iterrows():
                out.append(f"  - `{r['pool']}` {r['state']}: offered load {number(r['offered_load'])} places, "
                           f"{number(r['capacity'])} places, {number(r['utilisation'])} in use, "
                           f"{number(r['waiting_list_end'])} waiting at the end")
    return "\n".join(out)


def assumptions_section(assumptions: pd.DataFrame, baseline: str) -> str:
    own = assumptions[(assumptions["workflow"] != baseline) & assumptions["file"].astype(str).str.startswith("scenario")]
    lines = ["| workflow | parameter | in force | why (with its range) |", "|---|---|---|---|"]
    for _, r in own.iterrows():
        why = " ".join(str(r["why"]).split()).replace("|", "/")
        lines.append(f"| {r['workflow']} | `{r['parameter']}` | {r['value']} | {why} |")
    return "\n".join(lines)


def render(directory: Path, template: Path = TEMPLATE) -> str:
    """The page for the comparison in ``directory``. Raises DocError (one line)."""
    try:
        results = html.load(Path(directory))
    except html.ReportError as err:
        raise DocError(str(err)) from None
    if results.kind != "comparison":
        raise DocError(f"{directory}: a {results.kind} directory, not a comparison (python -m sim "
                       f"+experiment=compare_workflows)")
    directory = Path(directory)
    comparison = results.comparison
    names = [str(n) for n in results.marker["comparison"]]
    baseline, alternatives = names[0], names[1:]
    for table in ("staffing", "stability"):
        if not (directory / f"{table}.csv").is_file():
            raise DocError(f"{directory / f'{table}.csv'}: missing (a comparison written before issue 14's "
                           f"decomposition: run it again)")
    staffing = pd.read_csv(directory / "staffing.csv")
    stability = pd.read_csv(directory / "stability.csv")
    config = results.config
    run = config.get("run", {})
    region = str(config.get("region", {}).get("name", "?"))
    parts = [f"### Stability\n\n{stability_lines(stability, names)}",
             f"### Staff\n\n{staffing_section(staffing, names)}",
             "### Lead times: families still waiting counted, and the completed-episode means\n\n"
             + lead_time_section(results.summary, names)]
    for wf in alternatives:
        parts.append(f"### {wf} − {baseline}\n\n{paired_section(comparison, wf)}")
    structure = results.marker.get("structure_only") or {}
    overrides = "\n".join(f"- `{wf}`: " + (" ".join(f"`{o}`" for o in info.get("overrides", []))
                                            if info.get("own_run") else info.get("note", ""))
                          for wf, info in structure.items()) or "- none (`compare.decompose=false`)"
    values = {
        "command": html.reproduce_command(results),
        "title": f"{region}, {' vs '.join([baseline, *alternatives])}",
        "setup": (f"region {region}, {run.get('replications')} paired replications of {run.get('years')} years, "
                  f"run.start={run.get('start')}, seed {run.get('seed')}"),
        "directory": directory.name,
        "results": "\n\n".join(parts),
        "assumptions": assumptions_section(results.assumptions, baseline),
        "structure_overrides": overrides,
    }
    try:
        return string.Template(Path(template).read_text()).substitute(values)
    except (KeyError, ValueError) as err:
        raise DocError(f"{template}: placeholder {err} (allowed: {', '.join('${' + k + '}' for k in values)})") \
            from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.workflows_doc",
                                     description="Write docs/workflows.md from a finished comparison directory.")
    parser.add_argument("directory", type=Path, help="a comparison (python -m sim +experiment=compare_workflows)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the page to write (docs/workflows.md)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the page's prose with ${...} placeholders")
    args = parser.parse_args(argv)
    try:
        text = render(args.directory, args.template)
    except DocError as err:
        print(f"ketensim: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    output.write_text(args.out, text)  # atomic: never a half-written page
    print(f"wrote {args.out} from {args.directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
