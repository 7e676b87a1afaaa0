"""What every actor gets from the workflow that composes it: the clock, the model, streams and the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sim.entities import Family

if TYPE_CHECKING:  # imported for type hints only: actors never import a workflow at run time
    from sim.scenarios.base import Workflow

Then = Callable[[Family, str], None]


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
