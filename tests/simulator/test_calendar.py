"""Regional calendars: the counterpart bron keeps to its holiday region's klaarzet date (po-vo, the
generated spring wave) and summer holiday (expiry), as oso.calendar has them or as the scenario says."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fixtures import pools
from oso import calendar, faults
from oso.calendar import Region
from oso.codec import DUTCH_TIME
from oso.faults import OsoFault
from oso.profiles import Profile
from simulator.calendar import Calendars, RegionDates


def test_a_scenarios_dates_replace_the_regions_in_their_school_year_only():
    own = RegionDates(klaarzetten=date(2026, 3, 20), zomervakantie=date(2026, 7, 11))
    cals = Calendars({"90AA": Region.NOORD, "90AB": Region.ZUID}, {Region.NOORD: own})
    noord = cals.of("90AA", 2025)
    assert noord is not None and (noord.klaarzetten, noord.zomervakantie) == (date(2026, 3, 20), date(2026, 7, 11))
    assert noord.ophalen == calendar.calendar(Region.NOORD, 2025).ophalen  # not given: oso.calendar's
    assert cals.of("90AA", 2026) == calendar.calendar(Region.NOORD, 2026)  # another school year
    assert cals.of("90AB", 2025) == calendar.calendar(Region.ZUID, 2025)
    assert cals.of("12XY", 2025) is None  # a school without a holiday region (a vendor's own)


def _ask(world, pupil, doel, at: date) -> str:
    """Set the simulator's clock to noon on ``at``; what the bron answers a documentRequest then."""
    world.admin.post("/admin/clock", json={"set": datetime.combine(at, time(12), DUTCH_TIME).isoformat()})
    try:
        return world.document(pupil, doel, world.overdracht(pupil, doel)).resultaat
    except OsoFault as fault:
        return fault.code


def test_the_counterpart_bron_keeps_to_its_holiday_regions_dates(world):
    sim, doel = world.sim, world.school("vo")
    region = {s.brin: s.vakantieregio for s in pools.schools_per_region()}
    seen = set()
    for key in sim.catalogue.cohort[Profile.POVO][:40]:
        catalogued = sim.catalogue.get(key)
        if region[catalogued.school] in seen:
            continue
        seen.add(region[catalogued.school])
        prepared = sim.catalogue.versions(catalogued)[0].prepared.date()
        cal = calendar.calendar(region[catalogued.school], calendar.school_year_of(prepared))
        pupil = world.pupil(key)
        assert _ask(world, pupil, doel, cal.klaarzetten - timedelta(days=1)) == faults.DOSSIER_NIET_GEREED
        assert _ask(world, pupil, doel, cal.klaarzetten) == faults.GESLAAGD
        assert _ask(world, pupil, doel, cal.zomervakantie - timedelta(days=1)) == faults.GESLAAGD
        assert _ask(world, pupil, doel, cal.zomervakantie) == faults.DOSSIER_VERLOPEN
    assert len(seen) >= 2, "pupils of schools in two holiday regions, whose dossiers expire on different days"
