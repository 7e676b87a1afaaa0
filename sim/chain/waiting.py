"""What waiting does to families: colours that worsen, families that leave a list, vervolgmeldingen (issue 16).

Today's chain without this module is a chain of patient queues: a family waits as long as it takes, unchanged.
The field says otherwise (domain.md, CBS 85361NED): 28.5 % of all Veilig Thuis meldingen in 2023 were
vervolgmeldingen about a family VT was already involved with, 16,915 of them while the veiligheidsbeoordeling was
still pending; unsafe situations escalate while a child waits for the Raad or a jeugdbeschermer; some families
leave a list (moved, help found elsewhere, the situation resolved). Three mechanisms, each off at rate zero:

- **Escalation while waiting.** While a family waits in a queue (a pool's waiting list, by its kind:
  keys ``vt_triage``, ``vt_casus``, ``buurtteam``, ``rvdk``, ``gi``, ``team_triage``, ``team``: :data:`QUEUES`), its colour worsens one step (groen -> oranje -> rood) with a Weibull hazard in the time
  waited, ``h(t) = k/l (t/l)^(k-1)``: shape ``k = waiting.escalation_shape`` (> 1: the hazard rises with the time
  waited) and scale ``l`` per queue from ``waiting.escalation_within_90_days`` (the chance of a step within 90 days
  of waiting: ``(90/l)^k = -ln(1 - p)``). A family that was waiting before the run started (run.start=today) is
  conditioned on the time it has already waited. A family turning rood follows the crisis path of its workflow
  (``Workflow.escalated_to_crisis``: today's chain, spoed via the court; the pilots, their joint crisis meeting).
- **Drop-out.** A family waiting in a queue leaves it with ``waiting.dropout_per_year`` per year of waiting (an
  exponential clock per wait) and its episode closes (outcome ``uitgevallen``; it may come back as a hermelding).
  Only a family under no measure and not rood leaves: a court order or an acute situation does not lapse.
- **Vervolgmeldingen.** While Veilig Thuis is involved with a family (its veiligheidsbeoordeling pending, or VT
  holding or queueing a case place for it), new meldingen about it arrive as a Poisson process
  (``pending_per_day`` / ``casework_per_day``), each costing the front desk ``triage_hours`` (spent as every
  intake hour is: ``sim.chain.model.place_days``) and joining the open case (no new episode).

Every draw comes from a stream of its own (``waiting.escalation``, ``waiting.dropout``, ``vervolgmelding.gap``,
``vervolgmelding.accept``), so no existing stream's draws move; with every rate at zero nothing is scheduled or
drawn and the run is the run without this module, bit for bit (tests/test_waiting.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from sim.chain.checks import COLOURS, ConfigError, non_negative, positive, probability
from sim.chain.entities import WAITING_COUNTERS, WAITING_TIMES, Family, kind_pool

QUEUES: dict[str, str] = {"vt_triage": "veilig_thuis.triage", "vt_casus": "veilig_thuis.casus",
                          "buurtteam": "buurtteam", "rvdk": "rvdk", "gi": "gi",
                          "team_triage": "veiligheidsteam.triage", "team": "veiligheidsteam"}
"""The waiting lists the mechanisms know: configuration key -> pool kind (``sim.chain.entities.kind_pool``)."""

REFERENCE_DAYS = 90.0  # escalation_within_90_days: the chance of a colour step within this many days of waiting
DROPOUT_OUTCOME = "uitgevallen"  # the outcome of an episode whose family left a waiting list

__all__ = ["QUEUES", "WAITING_COUNTERS", "WAITING_TIMES", "Waiting", "WaitingDynamics", "attach", "validate"]


@dataclass(frozen=True)
class VervolgmeldingRates:
    pending_per_day: float
    casework_per_day: float
    triage_hours: float

    @property
    def on(self) -> bool:
        return self.pending_per_day > 0 or self.casework_per_day > 0


@dataclass(frozen=True)
class WaitingDynamics:
    """``waiting:`` as validated: the scale (days) of each queue's escalation clock (absent: none) and its drop-out
    rate per day (absent: none)."""

    escalation_shape: float
    escalation_scale: Mapping[str, float]  # pool kind -> Weibull scale l (days); only queues with a chance > 0
    dropout_per_day: Mapping[str, float]  # pool kind -> rate per day; only queues with a rate > 0
    vervolgmelding: VervolgmeldingRates

    @property
    def on(self) -> bool:
        return bool(self.escalation_scale or self.dropout_per_day or self.vervolgmelding.on)


def validate(spec: Any) -> WaitingDynamics | None:
    """The ``waiting`` section (None: absent, patient queues). Raises ConfigError with one line."""
    if spec is None:
        return None
    shape = positive("waiting.escalation_shape", spec.escalation_shape)
    scale: dict[str, float] = {}
    for queue, p in dict(spec.escalation_within_90_days).items():
        _queue("waiting.escalation_within_90_days", queue)
        p = probability(f"waiting.escalation_within_90_days.{queue}", p, below_one=True)
        if p > 0:
            scale[QUEUES[queue]] = REFERENCE_DAYS / (-math.log1p(-p)) ** (1.0 / shape)
    dropout: dict[str, float] = {}
    for queue, rate in dict(spec.dropout_per_year).items():
        _queue("waiting.dropout_per_year", queue)
        rate = non_negative(f"waiting.dropout_per_year.{queue}", rate)
        if rate > 0:
            dropout[QUEUES[queue]] = rate / 365.0
    v = spec.vervolgmelding
    rates = VervolgmeldingRates(non_negative("waiting.vervolgmelding.pending_per_day", v.pending_per_day),
                                non_negative("waiting.vervolgmelding.casework_per_day", v.casework_per_day),
                                non_negative("waiting.vervolgmelding.triage_hours", v.triage_hours))
    return WaitingDynamics(shape, scale, dropout, rates)


def _queue(field_name: str, queue: Any) -> None:
    if queue not in QUEUES:
        raise ConfigError(f"{field_name}.{queue} = {queue!r} (a queue is one of: {', '.join(QUEUES)})")


def step_time(scale: float, shape: float, waited: float, e: float) -> tuple[float, float]:
    """The wait (days since the family joined the list) at which the next colour step falls, and its cumulative
    hazard, for a family that has waited ``waited`` days without a step since the hazard ``h`` was last reset and
    an Exp(1) draw ``e``: the Weibull clock conditioned on survival, ``H(t) = (t / scale)^shape = H(waited) + e``."""
    target = (waited / scale) ** shape + e
    return scale * target ** (1.0 / shape), target


class Waiting:
    """The mechanisms in one replication of one workflow (``attach``): hooks on the pools, clocks per wait."""

    def __init__(self, wf: Any, dyn: WaitingDynamics) -> None:
        self.wf, self.dyn, self.engine = wf, dyn, wf.engine
        s = wf.streams
        self.escalation_u = s.bernoulli("waiting.escalation")
        self.dropout_u = s.bernoulli("waiting.dropout")
        self.gap_u = s.bernoulli("vervolgmelding.gap")
        self.accept_u = s.bernoulli("vervolgmelding.accept")
        self.marks: dict[tuple[int, str], float] = {}  # (id(family), pool) -> when its current wait there began
        for pool in self.engine.pools.values():
            kind = kind_pool(pool.name)
            if kind in dyn.escalation_scale or kind in dyn.dropout_per_day:
                pool.on_wait = self._hook(pool, kind)
        self.vt_pools = [p for p in self.engine.pools.values() if p.org == "veilig_thuis"]
        # the same test as pool.name in fam.holds or pool.is_waiting(fam) for every VT pool, without a call per pool
        self._vt_names = frozenset(p.name for p in self.vt_pools)
        self._vt_waiting = [p.waiting_index for p in self.vt_pools]
        v = dyn.vervolgmelding
        self.v_max = max(v.pending_per_day, v.casework_per_day)

    # ------------------------------------------------------------------ waiting lists
    def _hook(self, pool: Any, kind: str):
        scale = self.dyn.escalation_scale.get(kind)
        dropout = self.dyn.dropout_per_day.get(kind)
        shape = self.dyn.escalation_shape
        engine = self.engine

        def joined(fam: Any, since: float) -> None:
            if not isinstance(fam, Family):  # places a family in care takes later (the team's second member): not a wait
                return
            self.marks[(id(fam), pool.name)] = since
            waited = engine.now - since
            if scale is not None and fam.colour != "rood":
                at, target = step_time(scale, shape, waited, -math.log1p(-self.escalation_u.next()))
                engine.at(at - waited, self._escalate, (fam, pool, since, scale, target))
            if dropout is not None:
                engine.at(-math.log1p(-self.dropout_u.next()) / dropout, self._drop_out, (fam, pool, since))

        return joined

    def _still_waiting(self, fam: Any, pool: Any, since: float) -> bool:
        """The wait the clock was started for is still going on (not granted, left or a later wait)."""
        return pool.is_waiting(fam) and self.marks.get((id(fam), pool.name)) == since

    def _escalate(self, key: tuple) -> None:
        fam, pool, since, scale, target = key
        if not self._still_waiting(fam, pool, since) or fam.colour == "rood":
            return
        fam.colour = COLOURS[COLOURS.index(fam.colour) + 1]
        fam.worsened += 1
        self.wf.log(fam, "verergering", pool.org, "complete")
        if fam.colour == "rood":
            fam.escalated_at = self.engine.now
            self.wf.escalated_to_crisis(fam, pool)
            return
        shape = self.dyn.escalation_shape
        nxt = scale * (target - math.log1p(-self.escalation_u.next())) ** (1.0 / shape)
        waited = self.engine.now - since
        self.engine.at(max(nxt - waited, 0.0), self._escalate,
                       (fam, pool, since, scale, (nxt / scale) ** shape))

    def _drop_out(self, key: tuple) -> None:
        fam, pool, since = key
        if not self._still_waiting(fam, pool, since) or fam.measure or fam.colour == "rood":
            return
        self.wf.leave_list(fam, pool)
        fam.dropped_out_at = self.engine.now
        self.wf.log(fam, "uitval", pool.org, "complete")
        self.wf.close(fam, DROPOUT_OUTCOME)

    # ------------------------------------------------------------------ vervolgmeldingen
    def known(self, fam: Any) -> None:
        """A melding episode entered the chain: Veilig Thuis knows the family from now on."""
        if self.v_max > 0 and fam.route != "direct":
            self.engine.at(-math.log1p(-self.gap_u.next()) / self.v_max, self._vervolgmelding, fam)

    def vt_involved(self, fam: Any) -> float:
        """The rate (per day) of vervolgmeldingen about ``fam`` now: pending veiligheidsbeoordeling, VT casework
        (a VT place held or queued for), or 0 once Veilig Thuis is no longer involved."""
        if fam.closed == fam.closed:  # not NaN: the episode closed
            return 0.0
        v = self.dyn.vervolgmelding
        if fam.triage_end != fam.triage_end:
            return v.pending_per_day
        holds = fam.holds
        if holds and not self._vt_names.isdisjoint(holds):  # a VT place held
            return v.casework_per_day
        key = id(fam)
        for waiting in self._vt_waiting:  # or queued for
            if key in waiting:
                return v.casework_per_day
        return 0.0

    def _vervolgmelding(self, fam: Any) -> None:
        rate = self.vt_involved(fam)
        if rate <= 0 and fam.triage_end == fam.triage_end:
            return  # Veilig Thuis is done with the family: no more vervolgmeldingen in this episode
        if rate > 0 and self.accept_u.next() * self.v_max < rate:
            fam.vervolgmeldingen += 1
            self.wf.log(fam, "vervolgmelding", "veilig_thuis", "complete")
            hours = self.dyn.vervolgmelding.triage_hours
            vt = self.wf.actors.get("veilig_thuis")
            if vt is not None and hours > 0:
                vt.spend_at_front_desk(fam, hours)
        self.engine.at(-math.log1p(-self.gap_u.next()) / self.v_max, self._vervolgmelding, fam)


def attach(wf: Any) -> Waiting | None:
    """The mechanisms for one replication (None when ``model.waiting`` is absent or every rate is zero)."""
    dyn = getattr(wf.model, "waiting", None)
    if dyn is None or not dyn.on:
        return None
    return Waiting(wf, dyn)
