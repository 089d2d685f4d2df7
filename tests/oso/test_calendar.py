from datetime import date, timedelta

import pytest

from oso import calendar
from oso.calendar import Region


def test_the_published_pattern_reproduces_every_published_summer():
    """Years outside the table are extrapolated by a rule; the rule gives every date of the table."""
    for year, starts in calendar.OFFICIAL_SUMMER.items():
        for region, start in starts.items():
            assert start.weekday() == 5  # a Saturday
            assert calendar.pattern_summer_start(region, year) == start, (year, region)


def test_each_year_the_three_regions_start_a_week_apart():
    for year in range(2018, 2035):
        starts = sorted(calendar.summer_start(r, year) for r in Region)
        assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == [timedelta(weeks=1)] * 2
        assert date(year, 7, 4) <= starts[0] <= date(year, 7, 10)
    # the order rotates: over six years each region is first twice
    firsts = [min(Region, key=lambda r, y=y: calendar.summer_start(r, y)) for y in range(2024, 2030)]
    assert sorted(firsts) == sorted([*Region] * 2)


def test_summer_2026_as_published():
    assert calendar.summer_holiday(Region.NOORD, 2026) == (date(2026, 7, 4), date(2026, 8, 16))
    assert calendar.summer_holiday(Region.MIDDEN, 2026) == (date(2026, 7, 18), date(2026, 8, 30))
    assert calendar.summer_holiday(Region.ZUID, 2026) == (date(2026, 7, 11), date(2026, 8, 23))


def test_region_calendar_of_a_school_year():
    cal = calendar.calendar(Region.MIDDEN, 2025)
    assert cal.eerste_schooldag == date(2025, 9, 1)  # midden's summer 2025 ran 19 July - 31 August
    assert cal.zomervakantie == date(2026, 7, 18) and cal.laatste_schooldag == date(2026, 7, 17)
    assert cal.klaarzetten == date(2026, 3, 24) and cal.ophalen == (date(2026, 3, 25), date(2026, 3, 31))
    assert cal.official
    assert not calendar.calendar(Region.MIDDEN, 2030).official
    noord = calendar.calendar(Region.NOORD, 2025)
    assert noord.zomervakantie < cal.zomervakantie and noord.klaarzetten == cal.klaarzetten


def test_expiry_per_region_and_the_national_default():
    prepared = date(2026, 3, 20)
    assert calendar.expires_on(prepared) == date(2026, 8, 1)  # the old national date, unchanged
    assert calendar.expires_on(prepared, national=(7, 15)) == date(2026, 7, 15)
    assert calendar.expires_on(prepared, Region.NOORD) == date(2026, 7, 4)
    assert calendar.expires_on(prepared, Region.ZUID) == date(2026, 7, 11)
    assert calendar.expires_on(prepared, Region.MIDDEN) == date(2026, 7, 18)
    # prepared during the summer holiday: not before it, so it lasts until the next one
    assert calendar.expires_on(date(2026, 7, 10), Region.NOORD) == calendar.summer_start(Region.NOORD, 2027)
    assert calendar.expires_on(date(2026, 7, 10), Region.MIDDEN) == date(2026, 7, 18)
    assert calendar.expires_on(date(2025, 9, 1)) == date(2026, 8, 1)


@pytest.mark.parametrize("school_year", [2021, 2022, 2023, 2025])
def test_povo_timeline_is_in_order(school_year):
    t = calendar.povo(school_year)
    assert t.advies <= t.toets[0] < t.toets[1] < t.uitslag <= t.definitief
    assert t.klaarzetten < t.ophalen[0] <= t.ophalen[1]
    assert t.doorstroomtoets == (school_year >= 2023)
    if t.doorstroomtoets:  # the February window, definitive advice by 24 March, registration week after it
        assert t.toets[0].month == 2 and t.definitief == date(school_year + 1, 3, 24)
        assert t.ophalen == (date(school_year + 1, 3, 25), date(school_year + 1, 3, 31))
    else:
        assert t.toets[0].month == 4 and t.uitslag.month == 5


def test_school_year_of():
    assert calendar.school_year_of(date(2025, 8, 1)) == 2025
    assert calendar.school_year_of(date(2026, 7, 31)) == 2025
