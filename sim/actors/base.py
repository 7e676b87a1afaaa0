"""What every actor gets from the workflow that composes it: the clock, the model, streams and the log."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from sim.chain.entities import Family
from sim.chain.model import place_days
from sim.kernel.engine import CaseloadPool

Then = Callable[[Family, str], None]
SPEND_DAYS = 30.0  # spent hours are taken over about this many days (Actor.spend)


class Workflow(Protocol):
    """What an actor uses of the workflow that composes it (sim.scenarios.base.Workflow satisfies it)."""

    engine: Any
    model: Any
    streams: Any
    actors: dict[str, Any]
    staff_origins: dict[str, dict[str, float]]  # pool -> paper FTE per partner (staff dynamics, sim.chain.workforce)
    events: list[tuple] | None  # the event log (None: run.event_log=false)

    def log(self, fam: Family, activity: str, org: str, lifecycle: str) -> None: ...


class Actor:
    """Base class: ``org`` is the organisation's config name (``staffing.<org>``, ``wait_<org>``)."""

    org: str = ""

    def __init__(self, wf: "Workflow") -> None:
        self.wf = wf
        self.engine = wf.engine
        self.model = wf.model
        self.streams = wf.streams

    def log(self, fam: Family, activity: str, lifecycle: str) -> None:
        wf = self.wf
        if wf.events is not None:  # without an event log (run.event_log=false) not even the call (issue 15's speed)
            wf.log(fam, activity, self.org, lifecycle)

    def work_pool(self, fam: Family) -> tuple[CaseloadPool, float] | None:
        """The pool whose staff spend hours on ``fam`` outside a held place (a repeated intake) and its places
        per available FTE; None for an organisation without staff in the model (the court)."""
        return None

    def spend(self, fam: Family, hours: float) -> None:
        """Spend ``hours`` of this organisation's staff time on ``fam``: :func:`sim.chain.model.place_days` of
        :meth:`work_pool`'s places, taken at once and even above the pool's capacity (the work is done; new
        families wait until enough places are free again: ``CaseloadPool.occupy``), spread over about a month
        (``SPEND_DAYS``: one place for a short intake, more places for a finer unit), by the same rule in every
        workflow and its analytic twin (``Trace.spend``, place-days only)."""
        found = self.work_pool(fam) if hours > 0 else None
        if found is None:
            return
        pool, per_fte = found
        days = place_days(hours, per_fte, self.model.work_hours_per_day)
        units = max(1, int(round(days / SPEND_DAYS)))
        pool.occupy(units, days / units)
