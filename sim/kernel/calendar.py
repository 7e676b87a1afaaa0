"""Sessions at a fixed rate, each serving one request: urgent requests before regular ones, FIFO within a class.

A generic scheduled server (a court's zittingen, a panel's meetings): ``per_week`` sessions a week, evenly spaced
from time 0 (one every ``7 / per_week`` days). A request is booked once it is ready to be heard and takes the first
free session; a session with nobody booked passes unused (a hearing is not held in advance). Urgent requests take
the next session before every regular one already waiting. Knows no organisation by name.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Callable


class SessionCalendar:
    """``per_week`` sessions a week; ``book(item, urgent, heard)`` calls ``heard(item, wait_days)`` at its session."""

    def __init__(self, engine: Any, per_week: float) -> None:
        if not per_week > 0 or not math.isfinite(per_week):
            raise ValueError(f"sessions per week must be a positive finite number, not {per_week!r}")
        self.engine = engine
        self.interval = 7.0 / float(per_week)  # days between sessions
        self._urgent: deque = deque()
        self._regular: deque = deque()
        self._next = 0  # index of the first session not yet used or passed
        self._pending = False  # a session is scheduled
        self.heard = 0  # requests heard
        self.wait_sum = 0.0  # days from booking to session, summed

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._regular)

    def book(self, item: Any, urgent: bool, heard: Callable[[Any, float], None]) -> None:
        (self._urgent if urgent else self._regular).append((item, self.engine.now, heard))
        if not self._pending:
            self._schedule()

    def _schedule(self) -> None:
        now = self.engine.now
        k = max(self._next, math.ceil(now / self.interval - 1e-9))  # the first free session at or after now
        self._pending = True
        self.engine.at(max(k * self.interval - now, 0.0), self._session, k)

    def _session(self, k: int) -> None:
        self._pending = False
        self._next = k + 1
        item, since, heard = (self._urgent or self._regular).popleft()
        wait = self.engine.now - since
        self.heard += 1
        self.wait_sum += wait
        if self._urgent or self._regular:
            self._schedule()
        heard(item, wait)


__all__ = ["SessionCalendar"]
