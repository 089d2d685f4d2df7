"""What a vendor's LAS must carry at the spring intake peak: the national po-vo demand model, scaled to
the vendor's share of the schools.

Every po school hands over its groep 8 as bron, every vo school fetches its intake as doel, in two
waves: the first requests right after the national registration week (since 2024, 25-31 March),
and the re-requests for the updated dossier (revised advice, the doorstroomtoets result; the May
wave of the eindtoets before 2024). Per wave: the pupils it moves, the school days it is spread
over, how much busier the peak day is than the average one, and the share of a day's transfers in
its busiest hour. The sources and what is assumed are in ``SOURCES`` and docs/load.md ("Demand").
"""

from __future__ import annotations

from dataclasses import dataclass

from oso.errors import UserError

PUPILS = 185_000  # [known] 175,000 to 185,000 pupils leave groep 8 each year (the upper end)
SCHOOLS = {"bron": 6_319, "doel": 650}  # po schools (bo 6,057 + sbo 262, CBS 03753, 2022/'23); vo schools (~650)
SECTOR = {"bron": "po", "doel": "vo"}

SOURCES = (
    "pupils: 175,000-185,000 leave groep 8 each year; since 2024 every pupil registers with a vo school in "
    "one national registration week, 25-31 March; about 170,000 took the doorstroomtoets in 2024 "
    "(Dutch news 2022-2025, as summarised in the project brief, oso.md 'Volumes and timing')",
    "po schools: CBS StatLine table 03753, 2022/'23 (provisional): basisonderwijs 6,057 + speciaal "
    "basisonderwijs 262 = 6,319",
    "vo schools: about 650, from the same family of figures (NJi 'Cijfers over Jeugd en Opvoeding': 7,389 "
    "po and vo institutions in 2018, of which CBS 03753 counts 6,741 po)",
    "the spread over days, the peak day and the peak hour are osokit's assumptions (no public source); "
    "they are printed with every result so that a reader can redo the sum with figures of their own",
)


@dataclass(frozen=True)
class Wave:
    name: str
    what: str
    share: float  # of the year's pupils that are requested in this wave
    days: int  # school days the wave is spread over
    peak_day: float  # the busiest day against the wave's average day
    peak_hour: float  # share of the peak day's transfers in its busiest hour

    def per_peak_day(self, pupils: float) -> float:
        return pupils * self.share / self.days * self.peak_day

    def per_peak_hour(self, pupils: float) -> float:
        return self.per_peak_day(pupils) * self.peak_hour


WAVES = (
    Wave(
        "march",
        "first requests after the national registration week (25-31 March)",
        share=1.0,
        days=10,
        peak_day=2.0,
        peak_hour=0.2,
    ),
    Wave(
        "re-request",
        "re-requests for the updated dossier (revised advice, doorstroomtoets result; the May wave before 2024)",
        share=0.5,
        days=10,
        peak_day=2.0,
        peak_hour=0.2,
    ),
)


class DemandError(UserError, ValueError):
    """A --schools or --share osokit cannot use; says which and why."""


def parse_share(text: str) -> float:
    """``25%`` or ``0.25`` -> 0.25; the vendor's share of the schools, above 0 and at most all of them."""
    value = text.strip()
    try:
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise DemandError(f"--share {text}: write a share such as 25% or 0.25") from None
    if not 0 < share <= 1:
        raise DemandError(f"--share {text}: use more than 0 and at most 100%")
    return share


@dataclass(frozen=True)
class Demand:
    """The vendor's part of the national peak, for one role."""

    role: str
    share: float  # of the sector's schools (1.0: the whole country)
    schools: int | None = None  # the vendor's schools, when given as a count

    @classmethod
    def of(cls, role: str, *, schools: int | None = None, share: float | None = None) -> Demand:
        if schools is not None:
            if not 0 < schools <= SCHOOLS[role]:
                raise DemandError(
                    f"--schools {schools}: use 1..{SCHOOLS[role]:,} (the {SECTOR[role]} schools of the country)"
                )
            return cls(role, schools / SCHOOLS[role], schools)
        return cls(role, 1.0 if share is None else share)

    @property
    def pupils(self) -> float:
        return PUPILS * self.share

    @property
    def needed_per_s(self) -> float:
        """Transfers per second in the busiest hour of the busiest wave."""
        return max(w.per_peak_hour(self.pupils) for w in WAVES) / 3600

    def headroom(self, sustainable_per_s: float) -> float:
        return sustainable_per_s / self.needed_per_s

    def as_dict(self) -> dict[str, object]:
        return {
            "role": self.role,
            "sector": SECTOR[self.role],
            "national_pupils": PUPILS,
            "sector_schools": SCHOOLS[self.role],
            "schools": self.schools,
            "share": round(self.share, 6),
            "pupils": round(self.pupils, 1),
            "waves": [
                {
                    "name": w.name,
                    "what": w.what,
                    "share": w.share,
                    "days": w.days,
                    "peak_day_factor": w.peak_day,
                    "peak_hour_share": w.peak_hour,
                    "peak_day": round(w.per_peak_day(self.pupils), 1),
                    "peak_hour": round(w.per_peak_hour(self.pupils), 1),
                    "peak_hour_per_s": round(w.per_peak_hour(self.pupils) / 3600, 4),
                }
                for w in WAVES
            ],
            "needed_per_s": round(self.needed_per_s, 4),
            "sources": list(SOURCES),
        }
