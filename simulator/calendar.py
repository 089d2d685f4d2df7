"""Regional agreements: per region, when po schools prepare (klaarzetten) their po-vo dossiers and when
the summer holiday runs, which decides when a school year's dossiers expire.

The Netherlands has three holiday regions (noord, midden, zuid) with summer holidays that rotate
each year, and po-vo agreements (the klaarzet date after the definitive schooladvies) are made per
region. A scenario gives them per synthetic region of its register (``[settings.calendar.<region>]``);
the simulator's counterpart bron schools then answer ``DossierNietGereed`` to a po-vo request
before their region's klaarzet date and ``DossierVerlopen`` once their region's summer holiday is
over. A region without a calendar keeps the national rule (``settings.dossier_expiry``). The vendor's
own LAS is never held to a region's dates: its contract (docs/conformance.md) is the national rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-([0-2][0-9]|3[01])")


def month_day(text: object) -> tuple[int, int] | None:
    """``MM-DD`` as (month, day), or None when it is not one."""
    found = MONTH_DAY.fullmatch(str(text))
    return (int(found.group(1)), int(found.group(2))) if found else None


def school_year(moment: datetime | date) -> int:
    """The school year a moment falls in, by its first calendar year: 1 August Y to 31 July Y+1 is Y."""
    return moment.year if moment.month >= 8 else moment.year - 1


def on(year: int, md: tuple[int, int]) -> date:
    """MM-DD in the school year starting in ``year``: August to December in it, January to July after it."""
    return date(year if md[0] >= 8 else year + 1, *md)


@dataclass(frozen=True)
class RegionCalendar:
    """One region's dates, as MM-DD of the school year (August to July; the summer holiday after it)."""

    klaarzetten: tuple[int, int] | None = None  # po-vo dossiers are prepared from this day (spring)
    summer: tuple[tuple[int, int], tuple[int, int]] | None = None  # the summer holiday after the school year

    def ready(self, prepared: datetime, now: datetime) -> bool:
        """A po-vo dossier prepared in a school year may go out from the region's klaarzet date on."""
        return self.klaarzetten is None or now.date() >= on(school_year(prepared), self.klaarzetten)

    def expires(self, prepared: datetime) -> date | None:
        """The day a dossier prepared in a school year expires: after the summer holiday that ends it."""
        if self.summer is None:
            return None
        year = school_year(prepared) + 1  # the summer holiday after the school year lies in its second year
        last = date(year, *self.summer[1])
        return date.fromordinal(last.toordinal() + 1)
