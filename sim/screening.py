"""``python -m sim.screening [overrides]``: the analytic screening of one configuration, printed (no run)."""

from __future__ import annotations

import pandas as pd

from sim import app
from sim.analysis.screening import flow_model, screen, screen_grid
from sim.chain import kpis as kpi_registry
from sim.config.gate import validate
from sim.kernel.flows import NotAvailable

# ====================================================================== command line


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.screening [overrides]``: the analytic screening of one configuration, printed (no run)."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    with app.one_line_errors(NotAvailable):  # no Hydra app here: every argument must be an override
        model = app.validated("config", argv, validate, example="region=demo", hydra_app=False)
        fm = flow_model(model)
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.3g}".format):
        print(f"analytic screening: {model.scenario.name} in {model.region_name}, demand.scale={model.demand_scale:g} "
              f"(steady state; docs/validation.md says where it holds)")
        print(screen(model, fm).drop(columns=["organisation"]).to_string(index=False))
        row = screen_grid(model, {}, fm=fm).iloc[0]
        for k in (*kpi_registry.names("screened"), *fm.norms):
            if k in row.index:
                print(f"{k:<34} {row[k]:>10.3g}")
        print(f"{'stable':<34} {str(bool(row['stable'])):>10}   (highest load per usable place: {row['bottleneck']})")


if __name__ == "__main__":  # the twins' classes live in sim.kernel.flows, so running this file as __main__ is safe
    main()
