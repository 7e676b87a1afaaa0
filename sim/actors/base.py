"""What every actor gets from the workflow that composes it: the clock, the model, streams and the log."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from sim.chain.entities import Family

Then = Callable[[Family, str], None]


class Workflow(Protocol):
    """What an actor uses of the workflow that composes it (sim.scenarios.base.Workflow satisfies it)."""

    engine: Any
    model: Any
    streams: Any
    actors: dict[str, Any]

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
        self.wf.log(fam, activity, self.org, lifecycle)
