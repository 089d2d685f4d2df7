"""Regional calendars: the counterpart bron keeps to its region's klaarzet date (po-vo, the generated
spring wave) and to the end of its region's summer holiday (expiry); the vendor's LAS never does."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from oso import faults
from oso.codec import DUTCH_TIME
from oso.faults import OsoFault
from simulator.calendar import RegionCalendar, on, school_year
from simulator.register import ScenarioError, parse_scenario

NOORD = RegionCalendar(klaarzetten=(2, 23), summer=((7, 4), (8, 16)))


def test_a_dossier_is_ready_from_the_klaarzet_date_and_expires_after_the_summer_holiday():
    prepared = datetime(2026, 1, 20, 10, tzinfo=DUTCH_TIME)  # school year 2025-2026
    assert school_year(prepared) == 2025
    assert on(2025, (2, 23)) == date(2026, 2, 23) and on(2025, (9, 1)) == date(2025, 9, 1)
    assert not NOORD.ready(prepared, datetime(2026, 2, 22, 23, tzinfo=DUTCH_TIME))
    assert NOORD.ready(prepared, datetime(2026, 2, 23, 0, tzinfo=DUTCH_TIME))
    assert NOORD.expires(prepared) == date(2026, 8, 17)  # the day after the last day of the holiday
    assert NOORD.expires(datetime(2025, 9, 1, tzinfo=DUTCH_TIME)) == date(2026, 8, 17)  # same school year
    assert RegionCalendar().ready(prepared, prepared) and RegionCalendar().expires(prepared) is None


REGIONS = "[register]\nsynthetic_regions = ['Noord']\n"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[settings.calendar.Zuid]\nklaarzetten = '03-01'", "settings.calendar.Zuid: no school of the register"),
        ("[settings.calendar.Noord]\nklaarzetten = '3 maart'", "settings.calendar.Noord.klaarzetten: '3 maart'"),
        ("[settings.calendar.Noord]\nklaarzetten = '09-01'", "is not MM-DD in January to July"),
        ("[settings.calendar.Noord]\nzomervakantie = ['08-16', '07-04']", "give [first day, last day]"),
        ("[settings.calendar.Noord]\nzomervakantie = '07-04'", "settings.calendar.Noord.zomervakantie"),
        ("[settings.calendar.Noord]\nkerst = '12-20'", "unknown key(s) kerst"),
    ],
)
def test_a_calendar_that_cannot_be_read_names_region_and_field(table, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(REGIONS + table)
    assert message in str(info.value)


def _ask(world, pupil, doel, at: date) -> str:
    """Set the simulator's clock to noon on ``at``; what the bron answers a documentRequest then."""
    world.admin.post("/admin/clock", json={"set": datetime.combine(at, time(12), DUTCH_TIME).isoformat()})
    try:
        return world.document(pupil, doel, world.overdracht(pupil, doel)).resultaat
    except OsoFault as fault:
        return fault.code


def test_the_counterpart_bron_keeps_to_its_regions_dates(world):
    sim = world.sim
    pupil = world.pupil("povo/0")
    catalogued = sim.catalogue.get("povo/0")
    region = sim.register.schools[catalogued.school].region
    calendar = sim.scenario.settings.calendar[region]
    prepared = sim.catalogue.versions(catalogued)[0].prepared
    ready, ends = on(school_year(prepared), calendar.klaarzetten), calendar.expires(prepared)
    doel = world.school("vo")
    assert _ask(world, pupil, doel, ready - timedelta(days=1)) == faults.DOSSIER_NIET_GEREED
    assert _ask(world, pupil, doel, ready) == faults.GESLAAGD
    assert _ask(world, pupil, doel, ends - timedelta(days=1)) == faults.GESLAAGD
    assert _ask(world, pupil, doel, ends) == faults.DOSSIER_VERLOPEN
    others = {r: c.expires(prepared) for r, c in sim.scenario.settings.calendar.items() if c.expires(prepared) != ends}
    assert others, "the regions' summer holidays differ: a dossier expires on another day elsewhere"
