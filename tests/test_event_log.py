"""The event log a run writes (sim/run/output.py, ``event_log``) is read by pm4py as it is.

A tiny demo run (two replications) is written the way ``python -m sim`` writes it. pm4py loads the Parquet file
without any renaming or conversion and discovers a directly-follows graph; the CSV (written only on request) gives
the same graph. Case ids are unique over replications (the same ``case_id`` in two replications is two families,
so a log that kept the bare id would merge them: the test checks that such ids exist). The lifecycle column holds
the XES standard transitions: on all events, a graph keyed by activity alone loops on every activity that is
scheduled, started and completed (the trap the README warns about, reproduced here so the test can fail); on the
``complete`` events, as the README says to draw it, no loop joins two events of one activity at one organisation.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_model

from sim.run import output, runner

pm4py = pytest.importorskip("pm4py", reason="pm4py is in the test extra: pip install -e '.[test]'")

OVERRIDES = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=2", "run.quiet=true"]
XES_KEYS = ["case:concept:name", "concept:name", "lifecycle:transition", "time:timestamp", "org:group"]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    model = make_model(OVERRIDES)
    tables = runner.run(model, jobs=1, progress=False).tables()
    default = tmp_path_factory.mktemp("log") / "default"
    output.write_results(default, tables, list(model.run.formats), "{}",
                         event_log_formats=model.run.event_log_formats, families_formats=model.run.families_formats)
    both = tmp_path_factory.mktemp("log") / "both"
    output.write_results(both, tables, ["parquet"], "{}", event_log_formats=("parquet", "csv"),
                         families_formats=("parquet", "csv"))
    return {"model": model, "events": tables["events"], "families": tables["families"], "default": default,
            "both": both}


def test_the_event_log_is_parquet_only_by_default_and_csv_on_request(written):
    model, default, both = written["model"], written["default"], written["both"]
    assert "csv" in model.run.formats and model.run.event_log_formats == ("parquet",)
    assert (default / "events.parquet").is_file() and not (default / "events.csv").exists()
    assert (default / "summary.csv").is_file() and (default / "timeseries.csv").is_file()  # small tables: run.formats
    assert (both / "events.parquet").is_file() and (both / "events.csv").is_file()


def test_the_families_table_is_parquet_only_by_default_and_csv_on_request(written):
    model, default, both = written["model"], written["default"], written["both"]
    assert model.run.families_formats == ("parquet",)
    assert (default / "families.parquet").is_file() and not (default / "families.csv").exists()
    assert (both / "families.parquet").is_file() and (both / "families.csv").is_file()
    back = pd.read_parquet(default / "families.parquet")  # zstd with split floats: lossless, bit for bit
    pd.testing.assert_frame_equal(back, written["families"].reset_index(drop=True), check_exact=True,
                                  check_dtype=False)
    assert len(pd.read_csv(both / "families.csv")) == len(back)


def test_a_format_no_longer_asked_for_is_not_left_from_an_earlier_run(written, tmp_path):
    tables = {"families": written["families"].head(50), "runs": pd.DataFrame({"x": [1.0]})}
    output.write_results(tmp_path, tables, ["csv"], "{}", families_formats=("parquet", "csv"))
    assert (tmp_path / "families.csv").is_file()
    output.write_results(tmp_path, tables, ["csv"], "{}", families_formats=("parquet",))
    assert (tmp_path / "families.parquet").is_file() and not (tmp_path / "families.csv").exists()


def test_no_event_log_is_written_when_nothing_was_logged(written, tmp_path):
    tables = {"events": written["events"].iloc[:0], "runs": pd.DataFrame({"x": [1.0]})}
    (tmp_path / "events.csv").write_text("stale\n")  # an earlier run's log in the same folder goes
    output.write_results(tmp_path, tables, ["csv"], "{}")
    assert not (tmp_path / "events.parquet").exists() and not (tmp_path / "events.csv").exists()
    assert (tmp_path / "runs.csv").is_file()


def test_pm4py_reads_the_parquet_log_as_it_is(written):
    log = pd.read_parquet(written["default"] / "events.parquet")
    assert list(log.columns[:5]) == XES_KEYS
    assert pd.api.types.is_datetime64_any_dtype(log["time:timestamp"])
    start = pd.Timestamp(written["model"].start_date)
    assert "time" not in log.columns  # the days since the start are time:timestamp minus run.start_date
    expected = start + pd.to_timedelta(written["events"]["time"].to_numpy(), unit="D")
    assert (log["time:timestamp"] - expected).abs().max() < pd.Timedelta(microseconds=1)
    assert set(log["lifecycle:transition"]) <= set(output.XES_LIFECYCLE)
    dfg, starts, ends = pm4py.discover_dfg(log)  # no format_dataframe, no renaming: the standard keys
    assert dfg and starts and ends
    assert {a for a, _ in dfg} | {b for _, b in dfg} <= set(log["concept:name"])


def test_case_ids_are_unique_over_replications(written):
    log = pd.read_parquet(written["default"] / "events.parquet")
    per_rep = log.groupby("replication")["case_id"].agg(set)
    assert len(per_rep) == 2 and per_rep.iloc[0] & per_rep.iloc[1]  # bare ids repeat: two families, one id
    pairs = log[["replication", "case_id", "case:concept:name"]].drop_duplicates()
    assert pairs["case:concept:name"].is_unique  # one name per (replication, case_id) ...
    assert len(pairs) == len(pairs[["replication", "case_id"]].drop_duplicates())  # ... and one pair per name
    row = log.iloc[len(log) // 2]
    assert row["case:concept:name"] == f"r{row['replication']}-{row['case_id']}"
    assert pm4py.get_variants(log) and len(set(log["case:concept:name"])) == len(pairs)


def _self_loops(dfg: dict) -> dict:
    return {a: n for (a, b), n in dfg.items() if a == b}


def test_the_complete_events_give_a_graph_without_lifecycle_loops(written):
    log = pd.read_parquet(written["default"] / "events.parquet")
    everything, _, _ = pm4py.discover_dfg(log)
    staged = {"veiligheidsbeoordeling", "vrijwillige_hulp"}  # scheduled, started and completed at once when free
    assert staged <= set(_self_loops(everything))  # the trap: lifecycle stages of one activity look like a loop

    done = log[log["lifecycle:transition"] == "complete"]
    dfg, _, _ = pm4py.discover_dfg(done)
    assert staged <= {a for a, _ in dfg} and not staged & set(_self_loops(dfg))
    # What loops remain join two different activity instances: consecutive hand-offs (overdracht, org:group the
    # receiving organisation) to two different organisations, e.g. the GI at once and the Raad in a crisis.
    ordered = done.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    same_case = ordered["case:concept:name"].eq(ordered["case:concept:name"].shift())
    repeat = same_case & ordered["concept:name"].eq(ordered["concept:name"].shift())
    assert repeat.groupby(ordered["concept:name"]).sum().loc[lambda s: s > 0].to_dict() == _self_loops(dfg)
    # Two vervolgmeldingen in a row (issue 16) are two meldingen about the family, each a single 'complete' event
    # at its own time: a real repeat, not the stages of one activity
    vervolg = ordered["concept:name"].eq("vervolgmelding")
    assert set(log.loc[log["concept:name"].eq("vervolgmelding"), "lifecycle:transition"]) <= {"complete"}
    assert not (repeat & vervolg & ordered["time:timestamp"].eq(ordered["time:timestamp"].shift())).any()
    same_org = repeat & ~vervolg & ordered["org:group"].eq(ordered["org:group"].shift())
    assert not same_org.any(), ordered[same_org | same_org.shift(-1, fill_value=False)].head(6)


def test_the_csv_log_gives_the_same_graph(written):
    from_parquet = pd.read_parquet(written["both"] / "events.parquet")
    from_csv = pm4py.format_dataframe(pd.read_csv(written["both"] / "events.csv"), case_id="case:concept:name",
                                      activity_key="concept:name", timestamp_key="time:timestamp")
    assert len(from_csv) == len(from_parquet)
    assert pm4py.discover_dfg(from_csv)[0] == pm4py.discover_dfg(from_parquet)[0]


def test_a_lifecycle_outside_the_xes_standard_is_refused(written):
    events = written["events"].head(3).copy()
    events["lifecycle"] = events["lifecycle"].astype(str).replace({"complete": "done"})
    events.loc[events.index[0], "lifecycle"] = "done"
    with pytest.raises(ValueError, match="lifecycle 'done' is not one of the XES standard transitions"):
        output.event_log(events)
