"""The load shapes: the spring calendar peaks at the 15 March deadline and again in the May re-request wave."""

from __future__ import annotations

from datetime import date

import pytest

from load import shapes


def progress_of(day: date) -> float:
    return (day - shapes.FIRST_DAY).days / shapes.CALENDAR_DAYS


def test_spring_peak_follows_the_calendar():
    deadline = shapes.at("spring-peak", progress_of(date(2026, 3, 15)))
    assert deadline.users == pytest.approx(1.0) and deadline.day == date(2026, 3, 15)
    assert "BatchDoelLas" in deadline.classes and "ReRequestLas" not in deadline.classes
    april = shapes.at("spring-peak", progress_of(date(2026, 4, 20)))
    assert april.users < 0.1 and april.classes == ("DoelLas",)
    may = shapes.at("spring-peak", progress_of(date(2026, 5, 22)))
    assert may.users >= 0.6 and "ReRequestLas" in may.classes
    samples = [shapes.at("spring-peak", i / 1000).users for i in range(1001)]
    assert max(samples) == pytest.approx(1.0, abs=0.01) and min(samples) > 0
    assert samples.index(max(samples)) == pytest.approx(1000 * progress_of(date(2026, 3, 15)), abs=2)


def test_spring_peak_climbs_to_the_deadline_without_jumps():
    before = [shapes.at("spring-peak", progress_of(date(2026, 3, 1)) + i / 10_000).users for i in range(100)]
    assert before == sorted(before), "the ramp to the deadline only climbs"
    steps = [abs(b - a) for a, b in zip(before, before[1:], strict=False)]
    assert max(steps) < 0.01


def test_steady_and_spike():
    assert {shapes.at("steady", p / 10).users for p in range(11)} == {1.0}
    spike = [shapes.at("spike", p / 100).users for p in range(101)]
    assert spike[10] == spike[90] == 0.2 and spike[45] == 1.0
    assert spike.count(1.0) == 15


def test_a_day_of_the_calendar_lasts_a_fixed_share_of_the_run():
    assert shapes.seconds_per_day(shapes.CALENDAR_DAYS * 2) == 2


def test_unknown_shapes_are_refused():
    with pytest.raises(ValueError, match="unknown load shape 'ramp'"):
        shapes.at("ramp", 0.5)
