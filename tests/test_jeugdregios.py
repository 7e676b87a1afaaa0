"""Gelderland's seven youth-care regions (``region.jeugdregios``, issue 18): a family's jeugdregio is drawn within its
Veilig Thuis organisation, its GI from the GIs working in that jeugdregio (Jeugd Veilig Verder in two of the seven).

Tiers: the simulated share of families per jeugdregio and per GI within each jeugdregio lie within binomial 99 %
bounds of the configured shares; Jeugd Veilig Verder gets families only in its two regions; without jeugdregio's
every draw but the GI's is unchanged (and the GI's too when the GIs' catchments are left as they were, which the
golden test covers for regions without units); a GI's catchment is derived from the jeugdregio's (a given one is
only checked), so varying a jeugdregio's or a VT organisation's share keeps every GI's catchment coherent;
inconsistent configurations are one line naming the field.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.chain import demand
from sim.chain.checks import ConfigError
from sim.kernel.streams import Streams
from tests.conftest import make_model

Z99 = 2.5758  # two-sided 99 % normal quantile
OVER = ["region=gelderland", "run.start=empty", "run.years=20", "run.warmup_years=0", "run.quiet=true"]
FIELDS = ("time", "route", "colour", "n_children", "voluntary_u", "reentry_u", "return_after", "vt_unit")


def within(k: int, n: int, p: float) -> bool:
    return abs(k - n * p) <= Z99 * math.sqrt(n * p * (1 - p)) + 1e-9


@pytest.fixture(scope="module")
def drawn():
    model = make_model(OVER)
    return model, demand.generate(model, Streams(model.run.seed, 0))


def test_families_per_jeugdregio_and_gi_within_binomial_bounds(drawn):
    model, a = drawn
    n = len(a)
    assert len(model.jeugdregios) == 7 and n > 50_000
    vts = model.units_of("veilig_thuis")
    for i, r in enumerate(model.jeugdregios):
        p = vts[r.vt].catchment * r.share  # the region's share of all families
        rows = a.jeugdregio == i
        assert within(int(rows.sum()), n, p), (r.name, int(rows.sum()), n, p)
        assert (a.vt_unit[rows] == r.vt).all(), r.name  # a jeugdregio lies inside one VT organisation
        m = int(rows.sum())
        for j, share in enumerate(r.gi):
            k = int((a.gi_unit[rows] == j).sum())
            assert (k == 0) if share == 0 else within(k, m, share), (r.name, j, k, m, share)


def test_jeugd_veilig_verder_works_in_its_two_regions_only(drawn):
    model, a = drawn
    names = [g.name for g in model.units_of("gi")]
    jvv = names.index("jeugd_veilig_verder")
    regions = {model.jeugdregios[i].name for i in np.unique(a.jeugdregio[a.gi_unit == jvv])}
    assert regions == {"foodvalley", "noord_veluwe"}
    catchments = [g.catchment for g in model.units_of("gi")]
    assert len(set(catchments)) > 1  # no longer four equal shares
    k = int((a.gi_unit == jvv).sum())
    assert within(k, len(a), catchments[jvv])  # its catchment is the one its regions imply


def test_without_jeugdregios_nothing_but_the_gi_draw_moves(drawn):
    model, a = drawn
    plain = make_model(OVER + ["region.jeugdregios=null"] + [f"+region.units.gi.{g.name}.catchment={g.catchment!r}"
                                                             for g in model.units_of("gi")])
    b = demand.generate(plain, Streams(plain.run.seed, 0))
    assert plain.jeugdregios == () and b.jeugdregio is None
    for field in FIELDS:
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


@pytest.mark.parametrize("override,message", [
    # a GI's catchment is derived from the jeugdregio's; one still given is only checked against it
    ("+region.units.gi.jeugdbescherming_gelderland.catchment=0.598,+region.units.gi.jeugd_veilig_verder.catchment=0.122",
     "region.units.gi.jeugdbescherming_gelderland.catchment = 0.598 (its jeugdregio's shares imply 0.6880: leave the "
     "catchment out (it is derived) or set it to that, within 0.005)"),
    ("region.jeugdregios=null", "region.units.gi.jeugdbescherming_gelderland.catchment is missing (catchment: share "
     "of the region's families that belong to this organisation (sums to 1 over the kind); derived only from "
     "region.jeugdregios: without them give it)"),
    ("region.jeugdregios.foodvalley.vt=gelderland_noord",
     "region.jeugdregios.foodvalley.vt = 'gelderland_noord' (allowed: gelderland_midden, gelderland_zuid, "
     "noord_oost_gelderland)"),
    ("region.jeugdregios.foodvalley.share=0.5",
     "region.jeugdregios of gelderland_midden shares sum to 1.1117 (must sum to 1)"),
    ("region.jeugdregios.achterhoek.gi.leger_des_heils=0.3",
     "region.jeugdregios.achterhoek.gi shares sum to 1.16 (must sum to 1)"),
])
def test_inconsistent_jeugdregios_are_one_line(override, message):
    with pytest.raises(ConfigError) as err:
        make_model(OVER + override.split(","))
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_a_gis_catchment_is_derived_from_the_jeugdregios(drawn):
    """One home per fact: the GIs' catchments follow the regions' shares (and the VT organisations' catchments)
    whatever varies them, summing to 1; the conf's regions imply the catchments the GIs had before (0.688, 0.14,
    0.14, 0.032)."""
    model, _ = drawn
    assert [g.catchment for g in model.units_of("gi")] == [0.688, 0.14, 0.14, 0.032]  # bit for bit: golden unmoved
    varied = make_model(OVER + ["region.jeugdregios.foodvalley.share=0.45", "region.jeugdregios.centraal_gelderland.share=0.55",
                                "region.units.veilig_thuis.gelderland_zuid.catchment=0.5",
                                "region.units.veilig_thuis.gelderland_midden.catchment=0.2573",
                                "region.units.veilig_thuis.noord_oost_gelderland.catchment=0.2427"])
    vts = varied.units_of("veilig_thuis")
    gis = varied.units_of("gi")
    for j, g in enumerate(gis):
        implied = sum(vts[r.vt].catchment * r.share * r.gi[j] for r in varied.jeugdregios)
        assert g.catchment == pytest.approx(implied, abs=2e-4), g.name  # to 4 decimals, scaled to sum to 1
        if g.name in ("jeugdbescherming_gelderland", "jeugd_veilig_verder"):  # WSS and LdH: 0.14 in every region
            assert abs(g.catchment - model.units_of("gi")[j].catchment) > 1e-3, g.name  # moved, not as stored
    assert sum(g.catchment for g in gis) == pytest.approx(1.0, abs=1e-12)
    more = make_model(OVER + ["region.jeugdregios.foodvalley.share=0.45", "region.jeugdregios.centraal_gelderland.share=0.55"])
    jvv = [g.name for g in gis].index("jeugd_veilig_verder")
    assert more.units_of("gi")[jvv].catchment > model.units_of("gi")[jvv].catchment  # more FoodValley, more JVV


def test_a_gi_without_fte_share_takes_its_derived_catchment():
    """fte_share defaults to the catchment (sim.config.gate.units) also when the catchment is derived."""
    gis = ("jeugdbescherming_gelderland", "william_schrikker", "leger_des_heils", "jeugd_veilig_verder")
    model = make_model(OVER + [f"region.units.gi.{g}.fte_share=null" for g in gis]
                       + ["region.jeugdregios.foodvalley.gi.william_schrikker=0.2",
                          "region.jeugdregios.foodvalley.gi.jeugdbescherming_gelderland=0.51"])
    units = model.units_of("gi")
    assert units[1].name == "william_schrikker" and units[1].catchment > 0.14 + 1e-3
    for u in units:
        assert u.fte_share == u.catchment == u.triage_fte_share, u.name
