"""``python -m sim.report DIR [--lang en|nl]`` (sim/report/html.py)."""

from __future__ import annotations

from sim.report.html import main

if __name__ == "__main__":
    raise SystemExit(main())
