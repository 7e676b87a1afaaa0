"""The integrated workflow: one team (Veiligheidsteam / regionaal veiligheidsteam) instead of four waiting lists.

Read beside seed 000 (Ketenversnelling, Utrecht Overvecht: the Veiligheidsteam of Lokalis, Veilig Thuis, SAVE,
William Schrikker Stichting and the RvdK; "twee medewerkers uit het team zijn en blijven betrokken bij het
gezin"; "je deelt je hele verhaal maar één keer"), seed 002 (Toekomstscenario kind- en gezinsbescherming:
"rechtsbeschermend": the court's protection stays) and domain.md 2b. What the team changes, per family it serves
(``scenario.team.coverage`` of the region's families; the others follow today's chain):

    melding -> joint triage at the team's desk (one intake form, the crisismeter): the family tells its story once
        rood -> the joint crisis MDO (scenario.meetings.crisis: VT, GI, RvdK and vertrouwensarts at once) decides
        close -> closed
        overdracht -> the duo gives the voluntary help (holds_voluntary: overdracht), else the lokaal team as today
        VT onderzoek / voorwaarden en vervolg -> the duo's joint assessment: the VT stage's length x
            effects.assessment_factor, with expert consults in parallel (scenario.consults); then the same decision
            as today's VT stage: close | voluntary help by the duo | the RvdK's judgement
        verzoek tot onderzoek -> the RvdK's judgement
    direct request -> the duo (holds_voluntary: direct), else the lokaal team; failed voluntary help comes to the team
    the RvdK's judgement: with team.rvdk_member the Raad's member of the team investigates on the team's places
        (its intake hours and the Raad's norm in hours, the team's wait instead of the Raad's list); otherwise
        legal protection stays outside the team, so a measure still needs the Raad: no hand-off or
        transfer (the team stays), but the Raad's own intake (it interviews parents and child: one more story, its
        intake hours), its own waiting list, length x effects.rvdk_duration_factor; before it, the team resolves
        effects.resolved_without_measure of these cases with voluntary help, which suffices with the family's own
        chance (Workflow.suffices), else escalates inside the team as any failed help
    kinderrechter: unchanged (hand-off, hearing, same decision)
    measure -> the duo continues under the GI mandate (gi_mandate: duo; no GI waiting list, no new intake)
        or the GI takes over as today (gi_mandate: gi)
    spoed (rood) -> the duo is assigned and the spoedverzoek goes to the court; the RvdK investigates during the vOTS

The same decision streams as today's chain are used (``route.vt_triage``, ``route.vt_onderzoek``, ...), and the
joint assessment and the duo's help draw from the streams of the stages they replace (``duration.vt_onderzoek``,
``duration.buurtteam_help``), so paired differences with today's chain are tight. The costs of the team are
modelled: two places per family for the whole trajectory (``sim/actors/veiligheidsteam.py``), joint meetings and
consults that need experts' time (``sim/actors/expertise.py``), coordination hours per family. Staff: the team,
the experts and the partners together have exactly the partners' FTE of today's chain.

Every effect is an assumption (``conf/scenario/integrated.yaml``: default, range, why): no pilot has published an
effect size (domain.md 1e). With ``scenario.team.enabled=false`` the workflow is today's chain, bit for bit.
Its parameters: ``params.py``; where today's open cases stand in it: ``today.py``; its analytic twin: ``twin.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sim.actors.expertise import Expertise
from sim.actors.veiligheidsteam import Veiligheidsteam
from sim.chain.entities import Family
from sim.scenarios.integrated.params import IntegratedParams
from sim.scenarios.integrated.today import IntegratedToday
from sim.scenarios.sequential import Sequential


class Integrated(IntegratedToday, Sequential):
    name = "integrated"

    structural_assumptions = (
        ("structure.help_start", "end of the joint assessment",
         "assumption: the duo's help counts as started when the joint assessment ends (voluntary-help entries: when "
         "the duo takes the family on); the duo works with the family before that, so lead times are conservative"),
        ("structure.rvdk_judgement", "own intake, no transfer, own waiting list",
         "assumption: the Raad works from the team's file without a hand-off, but keeps its own capacity and queue "
         "and its own intake: it interviews the parents and the child, so the family tells its story there"),
        ("structure.moved_staff", "partner's productive share and vacancy",
         "assumption: staff moved into the team are present and filled as in their own organisation"),
        ("structure.spoed", "duo first, then the spoedverzoek",
         "assumption: a rood family gets its duo (crisis priority and reserve) before the court's spoedmachtiging"),
        ("structure.escalation", "routing.buurtteam_escalation",
         "assumption: failed voluntary help inside the team follows today's split: veilig_thuis -> a new joint "
         "assessment, rvdk -> the RvdK's judgement"),
    )

    # ------------------------------------------------------------------ composition
    def build(self) -> None:
        p: IntegratedParams = self.model.scenario.params
        self.params = p
        self.team_on = p.team.enabled and p.team.coverage > 0
        if self.team_on:
            self.model = replace(self.model, staffing=p.staffing)  # the partners' actors get what is left
        super().build()
        if not self.team_on:
            return
        self.team = self.add(Veiligheidsteam(self, p.team, self.vt.triage_time, self.buurtteam.team,
                                             workload=p.effects.duo_workload))
        self.expertise = self.add(Expertise(self, p.experts, self.model.work_hours_per_day, p.meetings))
        self.consult_needed = {name: self.streams.bernoulli(f"route.consult.{name}") for name in p.consults}
        self.team_resolves = self.streams.bernoulli("route.team_resolves")
        crisis = p.meetings.get("crisis")
        self.crisis_meeting = crisis if crisis is not None and crisis.enabled else None
        self.help_time = self.buurtteam.help_time  # the duo's help draws from the lokaal team's streams
        self.escalate_after = self.buurtteam.escalate_after
        self._covered = None

    def covered(self, fam: Family) -> bool:
        """Does the family live where the team works? Drawn once per family (stream ``team.coverage``)."""
        if self._covered is None:  # the run's families, then those known before the start (run.start=today)
            n = len(self.arrivals) + (len(self.preexisting.n_children) if self.preexisting is not None else 0)
            u = self.streams.generator("team.coverage").random(n)
            self._covered = u < self.params.team.coverage
        return bool(self._covered[fam.family_id])

    def in_team(self, fam: Family) -> bool:
        return self.team_on and self.covered(fam)

    # ------------------------------------------------------------------ entry
    def arrive(self, fam: Family) -> None:
        if not self.in_team(fam):
            super().arrive(fam)
            return
        spec = self.params.team
        if fam.route == "direct":
            if "direct" in spec.holds_voluntary:
                self.team_intake(fam)
                self.team.take_on(fam, lambda f, _: self.duo_help(f), function="voluntary")
            else:
                super().arrive(fam)  # the lokaal team, as today; a failed help comes to the team
            return
        self.team_intake(fam)
        if self.crisis_meeting is not None and fam.colour in self.crisis_meeting.colours:
            self.expertise.meeting(fam, self.crisis_meeting, self.after_crisis_meeting, on_start=self._meeting_starts)
        else:
            self.team.joint_triage(fam, self.after_joint_triage)

    def team_intake(self, fam: Family) -> None:
        """The one joint intake: the family tells its story once, whichever partners become involved (a
        repeated intake, from the lokaal team, takes the team's staff time by the rule of every intake)."""
        self.intake(fam, self.team.org, hours=self.params.team.intake_hours)

    def handoff_to_team(self, fam: Family, then) -> None:
        """The lokaal team hands a family over to the team: transfer delay, the team's intake, one more story."""
        fam.handoffs += 1
        self.team_intake(fam)
        self.log(fam, "overdracht", self.team.org, "complete")
        self.engine.at(self.transfer_time.next(), then, fam)

    def _meeting_starts(self, fam: Family) -> None:
        fam.involve(self.team.org)
        fam.triage_start = self.engine.now  # the crisis MDO is this family's veiligheidsbeoordeling

    def after_crisis_meeting(self, fam: Family, _: str) -> None:
        fam.triage_end = self.engine.now
        self.after_joint_triage(fam, _)

    def after_joint_triage(self, fam: Family, _: str) -> None:
        if fam.crisis and self.spoed.chance(self.model.rood_spoed):
            self.team.take_on(fam, lambda f, _: self.team_spoed(f))
            return
        route = self.triage_route.next()
        if route == "close":
            self.close(fam, "einde_bemoeienis_team")
        elif route == "buurtteam":
            if "overdracht" in self.params.team.holds_voluntary:
                self.team.take_on(fam, lambda f, _: self.duo_help(f), function="voluntary")
            else:
                self.handoff(fam, "buurtteam", self.vrijwillige_hulp)  # the lokaal team, as today
        elif route in ("vt_onderzoek", "vt_vervolg"):
            self.team.take_on(fam, lambda f, _, path=route: self.joint_assessment(f, path))
        else:
            self.team.take_on(fam, lambda f, _: self.naar_raad_team(f))

    # ------------------------------------------------------------------ the lokaal team's families
    def after_vrijwillige_hulp(self, fam: Family, outcome: str) -> None:
        if outcome == "done" or not self.in_team(fam):
            super().after_vrijwillige_hulp(fam, outcome)
            return
        fam.escalations += 1
        route = self.escalation_route.next()
        if self.params.team.vast_gezicht:  # the vast gezicht brings a team professional in: no hand-off
            self.team.take_on(fam, lambda f, _: self.after_team_escalation(f, route))
        else:
            def taken_on(f: Family, _: str) -> None:
                self.buurtteam.discharge(f)  # the lokaal team keeps the family until the duo has it
                self.after_team_escalation(f, route)

            self.handoff_to_team(fam, lambda f: self.team.take_on(f, taken_on))

    def after_team_escalation(self, fam: Family, route: str) -> None:
        if route == "rvdk":
            self.naar_raad_team(fam)
        else:
            self.joint_assessment(fam, "vt_onderzoek")

    # ------------------------------------------------------------------ the duo
    def joint_assessment(self, fam: Family, path: str) -> None:
        """The duo assesses with the partners' expertise in parallel instead of in sequence; the assessment ends
        when its own work and every consult are done. ``path`` is the VT stage it replaces."""
        p = self.params
        sampler = self.vt.onderzoek_time if path == "vt_onderzoek" else self.vt.vervolg_time
        length = sampler.next() * p.effects.assessment_factor
        setattr(fam, f"{path}_start", self.engine.now)
        self.log(fam, f"gezamenlijke_{path}", self.team.org, "start")
        needed = [c for name, c in p.consults.items() if self.consult_needed[name].chance(c.need[fam.colour])]
        pending = [1 + len(needed)]

        def one_done(f: Family, *_: Any) -> None:
            pending[0] -= 1
            if pending[0] == 0:
                setattr(f, f"{path}_end", self.engine.now)
                self.log(f, f"gezamenlijke_{path}", self.team.org, "complete")
                self.after_assessment(f, path)

        self.engine.at(length, one_done, fam)
        for c in needed:
            self.expertise.consult(fam, c, one_done)

    def after_assessment(self, fam: Family, path: str) -> None:
        route = (self.onderzoek_route if path == "vt_onderzoek" else self.vervolg_route).next()
        if route == "close":
            self.team_close(fam, "afgesloten_door_team")
        elif route == "buurtteam":
            self.duo_help(fam)
        else:
            self.naar_raad_team(fam)

    def duo_help(self, fam: Family) -> None:
        """Voluntary help by the duo (with vast gezicht: by the vast gezicht, the team professional steps back).
        Same draws, in the same order, as the lokaal team's help; failed help is escalated inside the team."""
        spec = self.params.team
        if spec.vast_gezicht:
            self.team.step_back(fam)
        length = self.help_time.next()
        ok = self.suffices(fam)
        escalate_at = None if ok else min(self.escalate_after.next(), length)
        if fam.help_start != fam.help_start:
            fam.help_start = self.engine.now
        org = "buurtteam" if spec.vast_gezicht else self.team.org
        self.log(fam, "vrijwillige_hulp", org, "start")
        if escalate_at is None:
            self.engine.at(length, self._duo_help_done, fam)
        else:
            self.engine.at(escalate_at, self._duo_help_failed, fam)

    def _duo_help_done(self, fam: Family) -> None:
        self.log(fam, "vrijwillige_hulp", "buurtteam" if self.params.team.vast_gezicht else self.team.org, "complete")
        self.team_close(fam, "vrijwillige_hulp_afgerond")

    def _duo_help_failed(self, fam: Family) -> None:
        fam.escalations += 1
        route = self.escalation_route.next()
        if self.params.team.vast_gezicht:  # the team professional rejoins the vast gezicht
            self.team.take_on(fam, lambda f, _: self.after_team_escalation(f, route))
        else:  # safety is at stake: a family held by one professional gets its full duo
            self.team.complete_duo(fam, lambda f, _: self.after_team_escalation(f, route))

    def team_close(self, fam: Family, outcome: str) -> None:
        self.team.release(fam)
        self.close(fam, outcome)

    # ------------------------------------------------------------------ the RvdK's judgement and the court
    def naar_raad_team(self, fam: Family) -> None:
        """A measure may be needed: the team resolves some cases itself; the others go to the RvdK's judgement,
        without a hand-off or a transfer delay (the team stays and the Raad reads its file)."""
        p = self.params
        if self.team_resolves.chance(p.effects.resolved_without_measure):
            self.log(fam, "opgelost_zonder_maatregel", self.team.org, "complete")
            self.duo_help(fam)  # helped as any family: its own chance that voluntary help suffices
            return
        self.team_raadsonderzoek(fam, self.after_team_raadsonderzoek)

    def team_raadsonderzoek(self, fam: Family, then) -> None:
        """The RvdK's beschermingsonderzoek of a team family: with the Raad a member of the team
        (``scenario.team.rvdk_member``, seed 000) its member investigates inside the team: its intake (the interviews
        with parents and child) and the onderzoek are team time on the team's places, the wait is the team's; otherwise
        the Raad's own intake, waiting list and raadsonderzoekers."""
        factor = self.params.effects.rvdk_duration_factor
        if self.params.team.rvdk_member:
            # the Raad's member still interviews the parents and the child (its independent judgement): a story
            # and the Raad's intake hours, spent as team time (the team's places pay for it)
            self.intake(fam, self.team.org, hours=self.model.intake_hours.get(self.rvdk.org, 0.0))
            self.team.raadsonderzoek(fam, self.rvdk.onderzoek_time, self.rvdk.outcome, factor, then)
            return
        self.raad_intake(fam)
        self.rvdk.beschermingsonderzoek(fam, then, duration_factor=factor)

    def raad_intake(self, fam: Family) -> None:
        """The Raad's own intake of a team family: it reads the team's file, yet its independent judgement rests on
        interviews with the parents and the child (domain.md 2a, step 5), so the family tells its story there and the Raad
        spends its intake hours, as when today's chain hands a family over (no hand-off: the team stays)."""
        self.intake(fam, self.rvdk.org)

    def after_team_raadsonderzoek(self, fam: Family, outcome: str) -> None:
        if outcome == "verzoek":
            self.handoff(fam, "kinderrechter", lambda f: self.court.verzoekschrift(f, self.after_team_beschikking))
        elif outcome == "buurtteam":
            self.duo_help(fam)
        else:
            self.team_close(fam, "afgesloten_door_raad")

    def after_team_beschikking(self, fam: Family, measure: str) -> None:
        if measure == "afgewezen":
            fam.escalations += 1  # the court judged voluntary help enough
            self.duo_help(fam)
            return
        fam.measure = measure
        if self.params.team.gi_mandate == "duo":
            self.duo_mandate(fam)
            self.gi.uitvoeren(fam, measure, self._team_measure_ended)
        else:
            self.handoff(fam, "gi", lambda f: self.gi.toewijzen(f, self._gi_took_over))

    def duo_mandate(self, fam: Family) -> None:
        """The duo holds the GI mandate: the measure starts at once, without a waiting list or a new intake."""
        now = self.engine.now
        for milestone in ("gi_request", "gi_assigned", "gi_first_contact", "help_start"):
            if getattr(fam, milestone) != getattr(fam, milestone):  # NaN: not yet reached
                setattr(fam, milestone, now)
        self.team.to_measure(fam)  # the duo carries the measure: its hours at the GI's norm per child
        self.log(fam, "mandaat_gi_duo", self.team.org, "start")

    def _team_measure_ended(self, fam: Family, outcome: str) -> None:
        self.team_close(fam, "meerderjarig" if outcome == "aged_out" else "maatregel_beeindigd")

    def _gi_took_over(self, fam: Family, outcome: str) -> None:
        self.team.release(fam)  # the duo stays until the jeugdbeschermer has met the family
        self.maatregel_gestart(fam, outcome)

    # ------------------------------------------------------------------ crisis (spoed)
    def escalated_to_crisis(self, fam: Family, pool) -> None:
        """A family turned rood while waiting (sim/chain/waiting.py). A family of the team waits on with crisis
        priority (the duo holds it and brings it to the crisis MDO through its own triage: the team's lists are
        where it waits); a family outside the team follows today's chain's rule."""
        if self.in_team(fam):
            pool.promote(fam)
            return
        super().escalated_to_crisis(fam, pool)

    def team_spoed(self, fam: Family) -> None:
        self.handoff(fam, "kinderrechter", lambda f: self.court.spoedmachtiging(f, self.team_vots), urgent=True)

    def team_vots(self, fam: Family, outcome: str) -> None:
        if self.params.team.gi_mandate == "gi":
            self.team.release(fam)
            self.voorlopige_ots(fam, outcome)  # the GI takes over: today's crisis path from here
            return
        fam.measure = "vots"
        self.duo_mandate(fam)
        self.team_raadsonderzoek(fam, self.after_team_vots_onderzoek)

    def after_team_vots_onderzoek(self, fam: Family, _: str) -> None:
        if self.vots_to_ots.chance(self.model.vots_to_ots):
            self.handoff(fam, "kinderrechter", lambda f: self.court.verzoekschrift(f, self.after_team_vots_beschikking))
        else:
            self.team_einde_vots(fam)

    def after_team_vots_beschikking(self, fam: Family, measure: str) -> None:
        if measure == "afgewezen":
            self.team_einde_vots(fam)
            return
        fam.measure = measure
        self.gi.uitvoeren(fam, measure, self._team_measure_ended)

    def team_einde_vots(self, fam: Family) -> None:
        fam.measure = "vots_beeindigd"
        fam.escalations += 1
        fam.measure_end = self.engine.now
        self.duo_help(fam)
