"""``python -m sim.collect DIR``: one table for a whole sweep (sim/analysis/collect.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.analysis.collect import CollectError, collect, describe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.collect",
                                     description="Rebuild sweep.parquet, sweep.csv and sweep_summary.csv of a sweep "
                                                 "directory from its point directories.")
    parser.add_argument("sweep_dir", type=Path, help="the sweep directory (hydra.sweep.dir)")
    args = parser.parse_args(argv)
    try:
        result = collect(args.sweep_dir)
    except CollectError as err:
        print(f"ketensim: error: {err}", file=sys.stderr)
        return 2
    print(describe(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
