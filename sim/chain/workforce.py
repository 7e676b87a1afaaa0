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

Workload feedback (``staff_dynamics.workload_feedback``, conf/workload_feedback/, issue 16 item 2): an
pool's caseload pressure is the load it carries over the places its available staff give at the caseload norm,
``P = (places in use + waiting_weight x places waiting) / places now``, an organisation's the same sums over its own
pools and its FTE share of the pools it staffs with partners (the team's, the experts on duty); both smoothed
exponentially with a memory of ``pressure_memory_days`` (staff react to sustained pressure, not to a busy week).
Above the norm (P > 1) leaving (per organisation: one workforce, sim.chain.workforce.Workforce) and sickness (per
pool: each pool loses the staff its own pressure makes ill) rise as power laws with named elasticities:
``leavers_per_year x P^turnover_elasticity`` and an absence share ``min(absence_max, absence_at_norm x
P^sickness_elasticity)`` that takes ``(1 - absence) / (1 - absence_at_norm)`` of the present staff (presence at the
norm is already ``productive_share``). At or below the norm nothing changes, and at zero elasticities the model is
bit for bit the one without feedback: fewer staff, more pressure, fewer staff is the vicious circle it shows.

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
class WorkloadFeedback:
    """How caseload pressure feeds back on leaving and sickness (every organisation with staff dynamics)."""

    turnover_elasticity: float  # leavers per year x pressure^this above the norm (0: no feedback)
    sickness_elasticity: float  # absence share x pressure^this above the norm (0: no feedback)
    absence_at_norm: float  # share of staff absent (sick) at the norm, part of productive_share already
    absence_max: float  # absence share never exceeds this
    waiting_weight: float  # a place waiting counts this much as a place in use (0: places in use only)
    pressure_memory_days: float  # exponential smoothing of the pressure (days)
    pressure_max: float  # pressure counted at most (a pool with no places left has infinite pressure)

    @property
    def neutral(self) -> bool:
        return self.turnover_elasticity == 0.0 and self.sickness_elasticity == 0.0

    def leaving_factor(self, pressure: float) -> float:
        """Multiplier of ``leavers_per_year`` at ``pressure`` (1 at or below the norm)."""
        return max(pressure, 1.0) ** self.turnover_elasticity

    def absence(self, pressure: float) -> float:
        """Share of staff absent at ``pressure`` (``absence_at_norm`` at or below the norm)."""
        return min(self.absence_max, self.absence_at_norm * max(pressure, 1.0) ** self.sickness_elasticity)

    def presence_factor(self, pressure: float) -> float:
        """Multiplier of the present FTE at ``pressure``: staff off sick beyond the norm's absence."""
        return (1.0 - self.absence(pressure)) / (1.0 - self.absence_at_norm)


@dataclass(frozen=True)
class StaffDynamics:
    deterministic: bool
    step_days: float
    orgs: Mapping[str, OrgDynamics]
    feedback: WorkloadFeedback | None = None  # None: leaving and sickness do not depend on workload


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
        raise ConfigError("staff_dynamics.orgs = {} (name at least one of: " + ", ".join(STAFFED_ORGS) + "; "
                          "workload feedback needs staff dynamics: +staff_dynamics=nl_2023 +workload_feedback=on)")
    return StaffDynamics(bool(spec.deterministic), step, orgs, validate_feedback(getattr(spec, "workload_feedback", None)))


def validate_feedback(spec: Any) -> WorkloadFeedback | None:
    """The ``staff_dynamics.workload_feedback`` section (or None: no feedback). Raises ConfigError."""
    if spec is None:
        return None
    f = "staff_dynamics.workload_feedback"
    fb = WorkloadFeedback(
        turnover_elasticity=non_negative(f"{f}.turnover_elasticity", spec.turnover_elasticity),
        sickness_elasticity=non_negative(f"{f}.sickness_elasticity", spec.sickness_elasticity),
        absence_at_norm=probability(f"{f}.absence_at_norm", spec.absence_at_norm, below_one=True),
        absence_max=probability(f"{f}.absence_max", spec.absence_max, below_one=True),
        waiting_weight=probability(f"{f}.waiting_weight", spec.waiting_weight),
        pressure_memory_days=positive(f"{f}.pressure_memory_days", spec.pressure_memory_days),
        pressure_max=positive(f"{f}.pressure_max", spec.pressure_max))
    if fb.absence_max < fb.absence_at_norm:
        raise ConfigError(f"{f}.absence_max = {spec.absence_max!r} (must be at least absence_at_norm = "
                          f"{spec.absence_at_norm!r})")
    if fb.pressure_max < 1.0:
        raise ConfigError(f"{f}.pressure_max = {spec.pressure_max!r} (must be at least 1: the norm)")
    return fb


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

    def step(self, t: float, dt: float, leaving_factor: float = 1.0) -> None:
        """Advance from ``t - dt`` to ``t``: leavers during the step open vacancies; due vacancies are filled.

        ``leaving_factor`` multiplies ``leavers_per_year`` (workload feedback; 1: the configured rate)."""
        filled = self.filled
        rate = self.dyn.leavers_per_year if leaving_factor == 1.0 else self.dyn.leavers_per_year * leaving_factor
        p = 1.0 - math.exp(-rate * dt / 365.0)
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

    ``trace[org]`` holds (day, paper FTE, filled FTE, available FTE) at every step, from day 0; with workload
    feedback ``pressure_trace[org]`` holds (day, smoothed pressure, absence share, leaving factor) beside it.
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
        self.feedback = dyn.feedback
        self.pressure: dict[str, float] = {}  # organisation -> smoothed pressure (sets its leaving)
        self.pool_pressure: dict[str, float] = {}  # pool name -> smoothed pressure (sets its sickness)
        self.pool_presence: dict[str, float] = {}  # pool name -> share of its present staff not off sick extra
        self.presence: dict[str, float] = {org: 1.0 for org in dyn.orgs}  # place-weighted over the org's pools
        self.pressure_trace: dict[str, list[tuple[float, float, float, float]]] = {org: [] for org in dyn.orgs}
        if self.feedback is not None:  # today's open cases are seeded before staff dynamics start (Workflow.run)
            self.pressure, self.pool_pressure = self.measure()
            self._feedback_levels(0.0)
        self._apply(0.0)
        self.engine.at(dyn.step_days, self._tick, None)

    def _cap(self, load: float, places: float) -> float:
        fb = self.feedback
        assert fb is not None
        if places > 0:
            return min(load / places, fb.pressure_max)
        return fb.pressure_max if load > 0 else 1.0

    def measure(self) -> tuple[dict[str, float], dict[str, float]]:
        """Caseload pressure now, (places in use + waiting_weight x places waiting) / places, at most
        ``pressure_max``: per organisation over its own pools and its FTE share of the pools it staffs with partners,
        and per pool."""
        fb = self.feedback
        assert fb is not None
        load = {org: 0.0 for org in self.workforce}
        places = {org: 0.0 for org in self.workforce}
        per_pool: dict[str, float] = {}
        for org, pools in self.pools.items():
            for pool, _ in pools:
                pool_load = pool.busy + fb.waiting_weight * pool.waiting_places()
                per_pool[pool.name] = self._cap(pool_load, pool.capacity)
                load[org] += pool_load
                places[org] += pool.capacity
        for pool, _, origin in self.mixed:
            pool_load = pool.busy + fb.waiting_weight * pool.waiting_places()
            per_pool[pool.name] = self._cap(pool_load, pool.capacity)
            total = sum(origin.values())
            for org, fte in origin.items():
                if org in load and total > 0:
                    share = fte / total
                    load[org] += share * pool_load
                    places[org] += share * pool.capacity
        return {org: self._cap(load[org], places[org]) for org in self.workforce}, per_pool

    def _feedback_levels(self, t: float) -> None:
        """Each pool's sickness from its own pressure; an organisation's presence is their place-weighted mean."""
        fb = self.feedback
        assert fb is not None
        self.pool_presence = {name: fb.presence_factor(p) for name, p in self.pool_pressure.items()}
        weight = {org: 0.0 for org in self.workforce}
        present = {org: 0.0 for org in self.workforce}
        for org, pools in self.pools.items():
            for pool, slots in pools:
                weight[org] += slots
                present[org] += slots * self.pool_presence[pool.name]
        for pool, slots, origin in self.mixed:
            total = sum(origin.values())
            for org, fte in origin.items():
                if org in weight and total > 0:
                    weight[org] += slots * fte / total
                    present[org] += slots * fte / total * self.pool_presence[pool.name]
        for org, p in self.pressure.items():
            presence = present[org] / weight[org] if weight[org] > 0 else fb.presence_factor(p)
            self.presence[org] = presence
            absence = 1.0 - presence * (1.0 - fb.absence_at_norm)
            self.pressure_trace[org].append((t, p, absence, fb.leaving_factor(p)))

    def _apply(self, t: float) -> None:
        ratios: dict[str, float] = {}
        sick = self.pool_presence if self.feedback is not None else {}
        for org, w in self.workforce.items():
            avail = w.available(t)
            k = self.scale[org]
            shown = avail * self.presence[org] if self.feedback is not None else avail
            self.trace[org].append((t, w.paper * k, w.filled * k, shown * k))
            ratio = ratios[org] = avail / self.base[org] if self.base[org] > 0 else 0.0
            for pool, slots in self.pools[org]:
                target = int(round(slots * ratio * sick[pool.name])) if sick else int(round(slots * ratio))
                if target != pool.capacity:
                    pool.set_capacity(target)
        for pool, slots, origin in self.mixed:  # partners without dynamics keep their staff (ratio 1)
            total = sum(origin.values())
            ratio = sum(fte * ratios.get(org, 1.0) for org, fte in origin.items()) / total if total > 0 else 1.0
            if sick:
                ratio *= sick[pool.name]
            target = max(int(round(slots * ratio)), min(slots, 1))  # a duty of several partners keeps one place
            if target != pool.capacity:
                pool.set_capacity(target)

    def _tick(self, _: Any) -> None:
        t = self.engine.now
        fb = self.feedback
        if fb is not None:  # pressure of the step just ended, smoothed; it sets this step's leaving and sickness
            alpha = 1.0 - math.exp(-self.dyn.step_days / fb.pressure_memory_days)
            now, now_pool = self.measure()
            self.pressure = {org: p + alpha * (now[org] - p) for org, p in self.pressure.items()}
            self.pool_pressure = {name: p + alpha * (now_pool[name] - p) for name, p in self.pool_pressure.items()}
            for org, w in self.workforce.items():
                w.step(t, self.dyn.step_days, fb.leaving_factor(self.pressure[org]))
            self._feedback_levels(t)
        else:
            for w in self.workforce.values():
                w.step(t, self.dyn.step_days)
        self._apply(t)
        if t + self.dyn.step_days < self.engine.horizon:
            self.engine.at(self.dyn.step_days, self._tick, None)

    def kpis(self, observe_from: float, horizon: float) -> dict[str, float]:
        """Mean paper, filled (paid) and available FTE per organisation over the observation window (step-function
        average); with workload feedback also the mean pressure and absence."""
        out: dict[str, float] = {}
        for org, rows in self.trace.items():
            paper, filled, avail = _window_means(rows, (1, 2, 3), observe_from, horizon)
            out[kpis.of(kpis.PAPER_FTE_MEAN, org)] = paper
            out[kpis.of(kpis.FILLED_FTE_MEAN, org)] = filled
            out[kpis.of(kpis.AVAILABLE_FTE_MEAN, org)] = avail
        if self.feedback is not None:
            for org, rows in self.pressure_trace.items():
                pressure, absence = _window_means(rows, (1, 2), observe_from, horizon)
                out[kpis.of(kpis.PRESSURE_MEAN, org)] = pressure
                out[kpis.of(kpis.ABSENCE_MEAN, org)] = absence
        return out


def _window_means(rows: list[tuple[float, ...]], columns: tuple[int, ...], observe_from: float,
                  horizon: float) -> list[float]:
    """Time-weighted means over [observe_from, horizon] of the given columns of a step trace whose rows start with
    the day from which they hold (each value holds until the next row's day); NaN for an empty window."""
    sums = [0.0] * len(columns)
    total = 0.0
    for i, row in enumerate(rows):
        end = rows[i + 1][0] if i + 1 < len(rows) else horizon
        lo, hi = max(row[0], observe_from), min(end, horizon)
        if hi > lo:
            for k, c in enumerate(columns):
                sums[k] += row[c] * (hi - lo)
            total += hi - lo
    return [v / total if total else math.nan for v in sums]


def attach(wf: Any) -> StaffController | None:
    """Start staff dynamics for a workflow whose pools are built (None when the model has none)."""
    dyn = getattr(wf.model, "staff_dynamics", None)
    return StaffController(wf, dyn) if dyn is not None else None


__all__ = ["OrgDynamics", "StaffDynamics", "WorkloadFeedback", "validate_feedback", "Workforce", "StaffController", "validate", "attach"]
