"""Staff dynamics: FTE on paper versus FTE available over time (leavers, hiring delay, onboarding, extra hires).

Models the workforce side of every staffed organisation of the chain (buurtteam, Veilig Thuis, Raad, GI): people
leave (``leavers_per_year``, a share of the filled FTE), their position stays vacant for ``hiring_delay_days``
until a new hire starts, and a new hire carries a growing share of a full caseload, linearly from
``onboarding_start_share`` to 1 over ``onboarding_weeks``. Presence (leave, sickness, training) stays the
region's ``staffing.<org>.productive_share``, so the static model is the special case "no leavers, no delay".
The positions vacant at the start (``staffing.<org>.vacancy_rate``) are in the hiring pipeline already: they fill
evenly over the first ``hiring_delay_days``. Extra hires (``extra_fte``, the lever of the backlog drain,
sim/backlog.py) are new positions whose hires start after the hiring delay, spread evenly over
``extra_spread_days``, and then onboard like any new hire.

Every ``step_days`` the available FTE of an organisation is recomputed and each of its caseload pools gets
``round(static places x available FTE / static available FTE)`` places through ``CaseloadPool.set_capacity``
(busy places are never pre-empted), so the engine stays ignorant of organisations and the workflows unchanged.
Pools staffed from several partners (the integrated team's, the experts on duty) name their origins in
``wf.staff_origins`` (pool name -> paper FTE per partner): they follow the FTE-weighted ratio of their partners,
so staff dynamics apply to every pool that has staff (issue 14, item 2).

Turnover, hiring delay and onboarding figures are NOT FOUND in the domain sources: every value in
``conf/staff_dynamics/*.yaml`` is an assumption with a range. ``deterministic: true`` replaces the random
leavers by their expected number per step (a fluid trace), which the tests check by hand.
Randomness: one named stream per organisation, ``staff.leavers.<org>``, so no other draw moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from sim.chain import kpis
from sim.chain.checks import STAFFED_ORGS, ConfigError, non_negative, positive, probability
from sim.chain.model import Staffing, present_fte


@dataclass(frozen=True)
class OrgDynamics:
    leavers_per_year: float  # share of filled FTE leaving per year
    hiring_delay_days: float  # days from a vacancy to the new hire's first day
    onboarding_weeks: float  # weeks until a new hire carries a full caseload
    onboarding_start_share: float  # share of a full caseload a hire carries on the first day
    fte_per_person: float  # FTE of one person (stochastic leavers come in whole persons)
    extra_fte: float = 0.0  # extra positions on paper from day 0 (hiring campaign)
    extra_spread_days: float = 0.0  # extra hires start evenly over this many days after the hiring delay


@dataclass(frozen=True)
class StaffDynamics:
    deterministic: bool
    step_days: float
    orgs: Mapping[str, OrgDynamics]


def validate(spec: Any) -> StaffDynamics | None:
    """The ``staff_dynamics`` section (or None: static staffing, today's behaviour). Raises ConfigError."""
    if spec is None:
        return None
    if not isinstance(spec.deterministic, bool):
        raise ConfigError(f"staff_dynamics.deterministic = {spec.deterministic!r} (must be true or false)")
    step = positive("staff_dynamics.step_days", spec.step_days)
    orgs: dict[str, OrgDynamics] = {}
    for org, o in dict(spec.orgs).items():
        f = f"staff_dynamics.orgs.{org}"
        if org not in STAFFED_ORGS:
            raise ConfigError(f"{f} is not an organisation (allowed: {', '.join(STAFFED_ORGS)})")
        orgs[org] = OrgDynamics(
            leavers_per_year=non_negative(f"{f}.leavers_per_year", o.leavers_per_year),
            hiring_delay_days=non_negative(f"{f}.hiring_delay_days", o.hiring_delay_days),
            onboarding_weeks=non_negative(f"{f}.onboarding_weeks", o.onboarding_weeks),
            onboarding_start_share=probability(f"{f}.onboarding_start_share", o.onboarding_start_share),
            fte_per_person=positive(f"{f}.fte_per_person", o.fte_per_person),
            extra_fte=non_negative(f"{f}.extra_fte", o.extra_fte),
            extra_spread_days=non_negative(f"{f}.extra_spread_days", o.extra_spread_days))
        if orgs[org].leavers_per_year * step / 365.0 >= 1.0:
            raise ConfigError(f"{f}.leavers_per_year = {o.leavers_per_year!r} (everyone would leave within one "
                              f"step of {step:g} days)")
    if not orgs:
        raise ConfigError("staff_dynamics.orgs = {} (name at least one of: " + ", ".join(STAFFED_ORGS) + ")")
    return StaffDynamics(bool(spec.deterministic), step, orgs)


class Workforce:
    """The staff of one organisation: veterans (full caseload), hires in onboarding, vacancies in the pipeline.

    Units: FTE and days. ``available(t)`` = presence x (veterans + sum of hires x onboarding share at their age).
    """

    def __init__(self, staffing: Staffing, dyn: OrgDynamics, draw_leavers=None) -> None:
        self.st, self.dyn = staffing, dyn
        self.paper = staffing.fte + dyn.extra_fte
        self.veterans = staffing.fte * (1.0 - staffing.vacancy_rate)
        self.hires: list[list[float]] = []  # [fte, start day]
        self.pipeline: list[tuple[float, float]] = []  # (fill day, fte), vacancies waiting for their hire
        self._draw = draw_leavers  # None: deterministic (expected leavers)
        open_fte = staffing.fte * staffing.vacancy_rate
        pieces = max(1, math.ceil(open_fte / dyn.fte_per_person - 1e-9)) if open_fte > 0 else 0
        for i in range(pieces):  # today's vacancies: already advertised, filled evenly over the hiring delay
            self.pipeline.append((dyn.hiring_delay_days * (i + 0.5) / pieces, open_fte / pieces))
        if dyn.extra_fte > 0:
            n = max(1, math.ceil(dyn.extra_fte / dyn.fte_per_person - 1e-9))
            for i in range(n):
                at = dyn.hiring_delay_days + (dyn.extra_spread_days * i / (n - 1) if n > 1 else 0.0)
                self.pipeline.append((at, dyn.extra_fte / n))
        self.pipeline.sort()

    def ramp(self, age_days: float) -> float:
        """Share of a full caseload a hire carries ``age_days`` after starting (linear, then 1)."""
        weeks = self.dyn.onboarding_weeks
        if weeks <= 0 or age_days >= weeks * 7.0:
            return 1.0
        s0 = self.dyn.onboarding_start_share
        return s0 + (1.0 - s0) * max(age_days, 0.0) / (weeks * 7.0)

    @property
    def filled(self) -> float:
        return self.veterans + sum(h[0] for h in self.hires)

    def available(self, t: float) -> float:
        carried = self.veterans + sum(fte * self.ramp(t - start) for fte, start in self.hires)
        # the vacancies are this model's own (leavers, hiring delay): only the productive share is taken off
        return present_fte(carried, self.st.productive_share, 0.0)

    def step(self, t: float, dt: float) -> None:
        """Advance from ``t - dt`` to ``t``: leavers during the step open vacancies; due vacancies are filled."""
        filled = self.filled
        p = 1.0 - math.exp(-self.dyn.leavers_per_year * dt / 365.0)
        if filled > 0 and p > 0:
            if self._draw is None:
                gone = filled * p
            else:
                persons = int(round(filled / self.dyn.fte_per_person))
                gone = min(filled, self._draw(persons, p) * self.dyn.fte_per_person)
            if gone > 0:
                keep = 1.0 - gone / filled  # leavers come from veterans and hires in proportion
                self.veterans *= keep
                for h in self.hires:
                    h[0] *= keep
                self.pipeline.append((t + self.dyn.hiring_delay_days, gone))
                self.pipeline.sort()
        while self.pipeline and self.pipeline[0][0] <= t + 1e-9:
            at, fte = self.pipeline.pop(0)
            self.hires.append([fte, at])
        # hires past onboarding become veterans (keeps the list short over long runs)
        done = [h for h in self.hires if self.ramp(t - h[1]) >= 1.0]
        if done:
            self.veterans += sum(h[0] for h in done)
            self.hires = [h for h in self.hires if self.ramp(t - h[1]) < 1.0]


class StaffController:
    """Applies staff dynamics to a workflow's pools every ``step_days`` and keeps the FTE trace.

    ``trace[org]`` holds (day, paper FTE, filled FTE, available FTE) at every step, from day 0.
    """

    def __init__(self, wf: Any, dyn: StaffDynamics) -> None:
        self.engine, self.dyn = wf.engine, dyn
        # an organisation's staff are one workforce wherever they work: the region's staffing, before a workflow
        # moved some into a team or onto expert duty (the partner's own pools keep ``scale`` of it)
        region, model = getattr(wf, "region_model", wf.model), wf.model
        self.workforce: dict[str, Workforce] = {}
        for org, od in dyn.orgs.items():
            draw = None
            if not dyn.deterministic:
                draw = wf.streams.generator(f"staff.leavers.{org}").binomial
            self.workforce[org] = Workforce(region.staffing[org], od, draw)
        self.base = {org: region.staffing[org].available_fte for org in dyn.orgs}
        self.scale = {org: model.staffing[org].fte / region.staffing[org].fte if region.staffing[org].fte > 0 else 0.0
                      for org in dyn.orgs}
        self.pools = {org: [(p, p.capacity) for p in wf.engine.pools.values() if p.org == org] for org in dyn.orgs}
        origins = getattr(wf, "staff_origins", {})
        self.mixed = [(p, p.capacity, {o: w for o, w in origins[p.name].items() if w > 0})
                      for p in wf.engine.pools.values() if p.name in origins and p.org not in dyn.orgs]
        self.trace: dict[str, list[tuple[float, float, float, float]]] = {org: [] for org in dyn.orgs}
        self._apply(0.0)
        self.engine.at(dyn.step_days, self._tick, None)

    def _apply(self, t: float) -> None:
        ratios: dict[str, float] = {}
        for org, w in self.workforce.items():
            avail = w.available(t)
            k = self.scale[org]
            self.trace[org].append((t, w.paper * k, w.filled * k, avail * k))
            ratio = ratios[org] = avail / self.base[org] if self.base[org] > 0 else 0.0
            for pool, slots in self.pools[org]:
                target = int(round(slots * ratio))
                if target != pool.capacity:
                    pool.set_capacity(target)
        for pool, slots, origin in self.mixed:  # partners without dynamics keep their staff (ratio 1)
            total = sum(origin.values())
            ratio = sum(fte * ratios.get(org, 1.0) for org, fte in origin.items()) / total if total > 0 else 1.0
            target = max(int(round(slots * ratio)), min(slots, 1))  # a duty of several partners keeps one place
            if target != pool.capacity:
                pool.set_capacity(target)

    def _tick(self, _: Any) -> None:
        t = self.engine.now
        for w in self.workforce.values():
            w.step(t, self.dyn.step_days)
        self._apply(t)
        if t + self.dyn.step_days < self.engine.horizon:
            self.engine.at(self.dyn.step_days, self._tick, None)

    def kpis(self, observe_from: float, horizon: float) -> dict[str, float]:
        """Mean paper and available FTE per organisation over the observation window (step-function average)."""
        out: dict[str, float] = {}
        for org, rows in self.trace.items():
            paper = avail = total = 0.0
            for i, (t, p, _, a) in enumerate(rows):
                end = rows[i + 1][0] if i + 1 < len(rows) else horizon
                lo, hi = max(t, observe_from), min(end, horizon)
                if hi > lo:
                    paper += p * (hi - lo)
                    avail += a * (hi - lo)
                    total += hi - lo
            out[kpis.of(kpis.PAPER_FTE_MEAN, org)] = paper / total if total else math.nan
            out[kpis.of(kpis.AVAILABLE_FTE_MEAN, org)] = avail / total if total else math.nan
        return out


def attach(wf: Any) -> StaffController | None:
    """Start staff dynamics for a workflow whose pools are built (None when the model has none)."""
    dyn = getattr(wf.model, "staff_dynamics", None)
    return StaffController(wf, dyn) if dyn is not None else None


__all__ = ["OrgDynamics", "StaffDynamics", "Workforce", "StaffController", "validate", "attach"]
