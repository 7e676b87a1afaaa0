"""How sharply the share of late veiligheidsbeoordelingen depends on the front desk's FTE (docs/calibration.md).

The calibrated Gelderland chain from today, one year, 8 replications, with the front-desk FTE (the calibrated
``staffing.veilig_thuis.fte x triage_share``) scaled by 0.95 ... 1.10 and the case teams kept as they are:

    .venv/bin/python experiments/front_desk_edge.py                 # about a minute on 2 cores
    .venv/bin/python experiments/front_desk_edge.py --tiny          # two factors, 2 x 0.1 year (tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import calibrate  # noqa: E402
from sim.config import gate
from sim.run import runner  # noqa: E402

FACTORS = (0.95, 1.0, 1.05, 1.10)
TINY_FACTORS = (0.95, 1.10)  # --tiny: the two ends, 2 replications of 0.1 year: proves the path, means nothing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="two factors, 2 replications of 0.1 year (tests)")
    args = parser.parse_args(argv)
    years, replications, factors = (0.1, 2, TINY_FACTORS) if args.tiny else (1, 8, FACTORS)
    base = calibrate.compose(["region=gelderland", f"run.years={years}", f"run.replications={replications}",
                              "run.quiet=true", "run.event_log=false"])
    vt = base.staffing.veilig_thuis
    front = vt.fte * vt.triage_share
    print("front-desk FTE  factor  late (mean)  late per replication")
    for f in factors:
        cfg = base.copy()
        cfg.staffing.veilig_thuis.fte = float(vt.fte - front + front * f)
        cfg.staffing.veilig_thuis.triage_share = float(front * f / cfg.staffing.veilig_thuis.fte)
        late = 1.0 - runner.run(gate.validate(cfg), progress=False).runs["share_triage_within_norm"].to_numpy()
        print(f"{front * f:14.2f}  {f:6.2f}  {late.mean():11.1%}  {' '.join(f'{x:.0%}' for x in np.sort(late))}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
