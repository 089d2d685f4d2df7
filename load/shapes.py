"""Load shapes as pure functions of the run's progress: how many users, doing what, at each moment.

``spring-peak`` plays the po-vo calendar, compressed into the run: aanmelding at the vo schools
opens in February, requests climb to the 15 March deadline and fall away, April is quiet, and the
eindtoets results in mid-May bring the wave of re-requests for the updated dossier. ``steady`` holds
the peak; ``spike`` jumps from a low baseline to the peak and back. Locust drives them through
``OsoShape`` in ``load/locustfile.py``; keeping the calendar here makes it testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SHAPES = ("spring-peak", "steady", "spike", "constant")

FIRST_DAY, LAST_DAY = date(2026, 2, 1), date(2026, 6, 15)
CALENDAR_DAYS = (LAST_DAY - FIRST_DAY).days

# (date, share of the peak users, what happens, the user classes at work from that date on)
SPRING: tuple[tuple[date, float, str, tuple[str, ...]], ...] = (
    (date(2026, 2, 1), 0.10, "aanmelding opens: first po-vo requests, po-po moves", ("DoelLas", "NotifyingBron")),
    (date(2026, 3, 1), 0.35, "requests climb towards the deadline", ("DoelLas", "BatchDoelLas", "NotifyingBron")),
    (date(2026, 3, 15), 1.00, "the 15 March deadline", ("DoelLas", "BatchDoelLas", "NotifyingBron")),
    (date(2026, 3, 22), 0.20, "after the deadline: stragglers", ("DoelLas",)),
    (date(2026, 4, 1), 0.05, "a quiet April", ("DoelLas",)),
    (date(2026, 5, 11), 0.10, "eindtoets results come in", ("DoelLas", "ReRequestLas")),
    (date(2026, 5, 22), 0.70, "the re-request wave for the updated dossiers", ("ReRequestLas", "DoelLas")),
    (date(2026, 6, 5), 0.15, "the tail of the school year", ("ReRequestLas", "DoelLas")),
    (date(2026, 6, 15), 0.05, "done", ("DoelLas",)),
)


@dataclass(frozen=True)
class Moment:
    users: float  # share of the peak users, 0..1
    label: str
    classes: tuple[str, ...] | None  # the user classes at work; None: all of them
    day: date | None = None  # the calendar day played (spring-peak)


def at(shape: str, progress: float) -> Moment:
    """The load at ``progress`` (0 = start, 1 = end of the run) of ``shape``."""
    progress = min(max(progress, 0.0), 1.0)
    if shape in ("steady", "constant"):
        return Moment(1.0, shape, None)
    if shape == "spike":
        inside = 0.4 <= progress < 0.55
        return Moment(1.0 if inside else 0.2, "spike" if inside else "baseline", None)
    if shape == "spring-peak":
        return _spring(progress)
    raise ValueError(f"unknown load shape '{shape}' (known: {', '.join(SHAPES)})")


def _spring(progress: float) -> Moment:
    """Linear between the calendar's points; the classes of the last point passed."""
    day = progress * CALENDAR_DAYS
    points = [((d - FIRST_DAY).days, share, label, classes) for d, share, label, classes in SPRING]
    for (d0, s0, label, classes), (d1, s1, _, _) in zip(points, points[1:], strict=False):
        if d0 <= day <= d1:
            share = s0 + (s1 - s0) * (day - d0) / (d1 - d0)
            return Moment(share, label, classes, date.fromordinal(FIRST_DAY.toordinal() + int(day)))
    last = points[-1]
    return Moment(last[1], last[2], last[3], LAST_DAY)


def seconds_per_day(duration_s: float) -> float:
    """How long one calendar day of spring-peak lasts in a run of ``duration_s``."""
    return duration_s / CALENDAR_DAYS
