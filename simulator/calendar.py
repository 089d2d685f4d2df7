"""The counterpart schools' calendar: :mod:`oso.calendar`'s dates for each school's holiday region, with
the scenario's own dates where it gives them (``[settings.calendar.<noord|midden|zuid>]``).

The simulator's bron schools keep to it: a generated po-vo dossier is not ready (``DossierNietGereed``)
before its region's klaarzet date, and a dossier expires (``DossierVerlopen``) on the first day of
the summer holiday after the school year it was prepared in. The vendor's LAS under test is never
held to it: its contract (docs/conformance.md) is the national rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from oso import calendar
from oso.calendar import Region, RegionCalendar


@dataclass(frozen=True)
class RegionDates:
    """A scenario's dates for one holiday region, in one school year (the one its dates fall in)."""

    klaarzetten: date | None = None  # po-vo dossiers klaargezet by this day
    ophalen: tuple[date, date] | None = None  # the main window in which vo schools fetch them
    zomervakantie: date | None = None  # the first day of the summer holiday: dossiers expire on it

    @property
    def school_year(self) -> int | None:
        given = [d for d in (self.klaarzetten, *(self.ophalen or ()), self.zomervakantie) if d is not None]
        years = {calendar.school_year_of(d) for d in given}
        return years.pop() if len(years) == 1 else None


@dataclass(frozen=True)
class Calendars:
    """Per school (BRIN) its holiday region; per region the scenario's dates, over oso.calendar's."""

    regions: Mapping[str, Region]
    given: Mapping[Region, RegionDates]

    def of(self, brin: str, school_year: int) -> RegionCalendar | None:
        """The calendar of the school's region in that school year; None for a school without a region."""
        region = self.regions.get(brin)
        if region is None:
            return None
        found = calendar.calendar(region, school_year)
        own = self.given.get(region)
        if own is None or own.school_year != school_year:
            return found
        return replace(
            found,
            klaarzetten=own.klaarzetten or found.klaarzetten,
            ophalen=own.ophalen or found.ophalen,
            zomervakantie=own.zomervakantie or found.zomervakantie,
        )
