"""Regional calendars: when dossiers must be klaargezet, when they are fetched, and when they expire.

The Netherlands has three school-holiday regions (noord, midden, zuid) whose summer holidays start on
different Saturdays, rotating each year. A dossier prepared before the summer can no longer be fetched
once its region's summer holiday has begun, so expiry is regional; the po-vo dates (advice, eindtoets,
klaarzetten, the national registration week) are national. Pure data and date arithmetic, no I/O;
docs/synthetic-data.md gives the sources of every date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache


class Region(StrEnum):
    """A school-holiday region (vakantieregio) as the Rijksoverheid publishes them."""

    NOORD = "noord"
    MIDDEN = "midden"
    ZUID = "zuid"


N, M, Z = Region.NOORD, Region.MIDDEN, Region.ZUID

# First day (a Saturday) of the six-week summer holiday per region, as published by the Rijksoverheid
# (schoolvakanties). Years outside this table follow the published pattern, see summer_start().
OFFICIAL_SUMMER: dict[int, dict[Region, date]] = {
    2022: {M: date(2022, 7, 9), N: date(2022, 7, 16), Z: date(2022, 7, 23)},
    2023: {M: date(2023, 7, 8), Z: date(2023, 7, 15), N: date(2023, 7, 22)},
    2024: {Z: date(2024, 7, 6), M: date(2024, 7, 13), N: date(2024, 7, 20)},
    2025: {Z: date(2025, 7, 5), N: date(2025, 7, 12), M: date(2025, 7, 19)},
    2026: {N: date(2026, 7, 4), Z: date(2026, 7, 11), M: date(2026, 7, 18)},
}
# The order in which the regions start their summer repeats every six years (2018 = 2024, 2019 = 2025,
# 2020 = 2026 in the published schedules): the six orders of three regions, one per year.
_ROTATION: tuple[tuple[Region, Region, Region], ...] = (
    (Z, M, N),  # 2018, 2024
    (Z, N, M),  # 2019, 2025
    (N, Z, M),  # 2020, 2026
    (N, M, Z),  # 2021, 2027
    (M, N, Z),  # 2022, 2028
    (M, Z, N),  # 2023, 2029
)
SUMMER_WEEKS = 6
FIRST_DOORSTROOMTOETS_YEAR = 2023  # school year 2023-2024: the doorstroomtoets replaces the April eindtoets
NATIONAL_EXPIRY = (8, 1)  # (month, day): the one national expiry date osokit used before regions


def summer_start(region: Region, year: int) -> date:
    """The first day of the region's summer holiday in calendar year ``year``: from the published table
    where it has the year, otherwise from the pattern the published years follow."""
    if year in OFFICIAL_SUMMER:
        return OFFICIAL_SUMMER[year][region]
    return pattern_summer_start(region, year)


def pattern_summer_start(region: Region, year: int) -> date:
    """The published pattern (every year of the table, and 2018-2021, follow it): the first region starts
    on the first Saturday on or after 4 July, the next two one and two weeks later, in the six-year
    rotation above."""
    first = date(year, 7, 4)
    first += timedelta(days=(5 - first.weekday()) % 7)
    return first + timedelta(weeks=_ROTATION[(year - 2018) % 6].index(region))


def summer_holiday(region: Region, year: int) -> tuple[date, date]:
    """First day (a Saturday) and last day (the Sunday six weeks later) of the region's summer holiday."""
    start = summer_start(region, year)
    return start, start + timedelta(weeks=SUMMER_WEEKS, days=1)


def school_year_of(day: date) -> int:
    """The school year a day belongs to, by its first calendar year (OSO: 1 August - 31 July)."""
    return day.year if day.month >= 8 else day.year - 1


def doorstroomtoets_era(school_year: int) -> bool:
    return school_year >= FIRST_DOORSTROOMTOETS_YEAR


@dataclass(frozen=True)
class PoVo:
    """The national po-vo timeline of one school year: advice, eindtoets, klaarzetten, registration.

    Since 2023-2024: provisional advice in January, the doorstroomtoets in February, results to the
    schools in March, the definitive (possibly raised) advice by 24 March, then the national
    registration week. Before: the advice in February and the dossier klaargezet before 1 March, the
    eindtoets in April, results in May, and a revised advice (herzien) after them.
    """

    school_year: int
    advies: date  # the (provisional) school advice is given by this day
    toets: tuple[date, date]  # the window the eindtoets / doorstroomtoets is taken in
    uitslag: date  # the schools have the toets results
    definitief: date  # the definitive advice, with any revision after the toets, by this day
    klaarzetten: date  # the po school has the dossier klaargezet by this day
    ophalen: tuple[date, date]  # the main window in which vo schools fetch it

    @property
    def doorstroomtoets(self) -> bool:
        return doorstroomtoets_era(self.school_year)


@cache
def povo(school_year: int) -> PoVo:
    y = school_year + 1  # the calendar year of the spring
    if doorstroomtoets_era(school_year):
        return PoVo(
            school_year,
            advies=date(y, 1, 31),
            toets=(date(y, 2, 2), date(y, 2, 13)),
            uitslag=date(y, 3, 9),
            definitief=date(y, 3, 24),
            klaarzetten=date(y, 3, 24),
            ophalen=(date(y, 3, 25), date(y, 3, 31)),
        )
    return PoVo(
        school_year,
        advies=date(y, 2, 1),
        toets=(date(y, 4, 15), date(y, 4, 24)),
        uitslag=date(y, 5, 13),
        definitief=date(y, 6, 12),
        klaarzetten=date(y, 3, 1) - timedelta(days=1),  # "before 1 March"
        ophalen=(date(y, 3, 1), date(y, 3, 15)),
    )


@dataclass(frozen=True)
class RegionCalendar:
    """One region's school year: the dates a dossier's life depends on."""

    region: Region
    school_year: int
    eerste_schooldag: date  # the first school day after the previous summer holiday
    klaarzetten: date  # po-vo dossiers klaargezet by this day
    ophalen: tuple[date, date]  # the main window in which they are fetched
    zomervakantie: date  # first day of the summer holiday: dossiers prepared before it expire on it
    official: bool  # the summer dates come from the published table (False: from its pattern)

    @property
    def laatste_schooldag(self) -> date:
        return self.zomervakantie - timedelta(days=1)


@cache
def calendar(region: Region, school_year: int) -> RegionCalendar:
    """The calendar of ``region`` in school year ``school_year``-``school_year + 1``."""
    timeline = povo(school_year)
    return RegionCalendar(
        region=region,
        school_year=school_year,
        eerste_schooldag=summer_holiday(region, school_year)[1] + timedelta(days=1),
        klaarzetten=timeline.klaarzetten,
        ophalen=timeline.ophalen,
        zomervakantie=summer_start(region, school_year + 1),
        official=school_year in OFFICIAL_SUMMER and school_year + 1 in OFFICIAL_SUMMER,
    )


def expires_on(prepared: date, region: Region | None = None, national: tuple[int, int] = NATIONAL_EXPIRY) -> date:
    """The day from which a dossier prepared on ``prepared`` can no longer be fetched.

    With a region: the first day of that region's first summer holiday after the preparation. Without
    one: the single national date of before (``national``, MM-DD, default 1 August) after the school
    year the dossier was prepared in.
    """
    if region is None:
        return date(school_year_of(prepared) + 1, *national)
    start = summer_start(region, prepared.year)
    return start if prepared < start else summer_start(region, prepared.year + 1)
