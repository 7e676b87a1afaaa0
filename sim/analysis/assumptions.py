"""What every run and comparison writes and prints beside its tables: the assumptions in force
(``assumptions.csv``) and warnings about replications that did not settle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from sim.chain import kpis
from sim.chain.model import Model
from sim.config import provenance

if TYPE_CHECKING:
    import pandas as pd
from sim.config.sources import group_file

# ====================================================================== what every run writes and prints


def assumptions_table(cfg: DictConfig, model: Model, scenario_file: str | None = None) -> pd.DataFrame:
    """Every value in force whose provenance says 'assumption', with its current value: the process and region
    files, the chosen ``conf/scenario/<scenario_file>.yaml`` (its assumed effects) and the workflow's structural
    assumptions."""
    import pandas as pd
    from hydra.core.hydra_config import HydraConfig

    rows = []
    choices = dict(HydraConfig.get().runtime.choices) if HydraConfig.initialized() else {}
    if scenario_file is None:
        scenario_file = choices.get("scenario") or model.scenario.name
    # the files this run read: a region file of the user's own comes from its --config-dir folder
    chosen = [("process", choices.get("process") or "nl_2023"), ("region", choices.get("region") or model.region_name),
              ("scenario", scenario_file)]
    if choices.get("staff_dynamics"):  # +staff_dynamics=<name>: its turnover, hiring and onboarding assumptions
        chosen.append(("staff_dynamics", choices["staff_dynamics"]))
    if choices.get("workload_feedback"):  # +workload_feedback=on: its elasticities and absence shares
        chosen.append(("workload_feedback", choices["workload_feedback"]))
    for group, name in chosen:
        path = group_file(group, str(name))
        if path is None:
            continue
        # conf/scenario, conf/staff_dynamics and conf/workload_feedback files sit under their package
        package = {"scenario": "scenario", "staff_dynamics": "staff_dynamics",
                   "workload_feedback": "staff_dynamics.workload_feedback"}.get(path.parent.name, "")
        for p in provenance.read_file(path, package)[0]:
            if p.kind == "assumption":
                value = OmegaConf.select(cfg, p.key, default=None)
                if isinstance(value, DictConfig) or OmegaConf.is_list(value):
                    value = OmegaConf.to_container(value)
                rows.append((p.key, str(value), p.text, f"{path.parent.name}/{path.name}" if package else path.name))
    for key, value, why in model.scenario.assumptions:
        rows.append((key, str(value), why, f"scenario/{model.scenario.name}"))
    return pd.DataFrame(rows, columns=["parameter", "value", "why", "file"])


STABLE, SATURATED, UNSTABLE = "stable", "SATURATED", "UNSTABLE"  # a pool's state, as stability_warnings names it


def pool_stability(summary: pd.DataFrame) -> dict[str, tuple[str, dict[str, float]]]:
    """Every pool of a summary (each ``unstable.<pool>`` KPI) -> (its state, the numbers behind it).

    UNSTABLE: offered load (arrivals x mean holding time) at or above its places: the list grows without bound.
    SATURATED: the caseload was full and the waiting list kept growing through the window in half the replications
    or more (``sim.chain.tables.is_unstable``): lead times through it still depend on the run length. Else stable.
    The numbers: offered load, capacity (places), utilisation and the waiting list at the end (means)."""
    s = summary.set_index("kpi")["mean"]
    out: dict[str, tuple[str, dict[str, float]]] = {}
    for kpi in s.index:
        pool = kpis.pool_of(kpi, kpis.UNSTABLE)
        if pool is None:
            continue
        numbers = {head: float(s.get(kpis.of(head, pool), float("nan")))
                   for head in (kpis.OFFERED_LOAD, kpis.CAPACITY, kpis.UTILISATION, kpis.WAITING_LIST_END)}
        if numbers[kpis.OFFERED_LOAD] >= numbers[kpis.CAPACITY]:
            state = UNSTABLE
        elif s[kpi] >= 0.5:
            state = SATURATED
        else:
            state = STABLE
        out[pool] = (state, numbers)
    return out


def stability_warnings(summary: pd.DataFrame, model: Model | None = None) -> list[str]:
    """Say which organisation cannot carry its demand: offered load (arrivals x mean holding time) at or above
    its capacity, or a full caseload with a waiting list that grew through the whole window
    (:func:`pool_stability`)."""
    warnings = []
    for pool, (state, n) in pool_stability(summary).items():
        offered, cap = n[kpis.OFFERED_LOAD], n[kpis.CAPACITY]
        end, util = n[kpis.WAITING_LIST_END], n[kpis.UTILISATION]
        if state == UNSTABLE:
            warnings.append(f"UNSTABLE: {pool}: offered load ~{offered:,.0f} places exceeds its capacity of {cap:,.0f} "
                            f"places; its waiting list grows without bound ({end:,.0f} waiting at the end). Lead "
                            f"times through {pool} are not meaningful: raise staffing, caseload or lower demand.scale.")
        elif state == SATURATED:
            warnings.append(f"SATURATED: {pool}: {util:.0%} of its {cap:,.0f} places in use and its waiting list grew "
                            f"through the window ({end:,.0f} waiting at the end): lead times through {pool} still "
                            f"depend on the run length.")
    return warnings
