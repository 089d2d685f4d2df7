"""The knee of a capacity run (load/knee.py), the demand it is put beside (load/demand.py) and the plan
locust is given (load/plan.py): pure functions, checked on hand-made steps."""

from __future__ import annotations

import pytest

from load import demand, knee, slo
from load.plan import Plan

SLO = slo.parse("p99<250ms,errors=0,conformance=0")


def step(index: int, offered: float, *, transfers: int | None = None, p99: float = 100.0, **given) -> knee.Step:
    """A step of 10 s that completed ``transfers`` (default: all it was offered)."""
    done = round(offered * 10) if transfers is None else transfers
    return knee.Step(
        index, offered, max(1, int(offered)), 1000.0 + 10 * index, 1010.0 + 10 * index,
        requests=done, transfers=done, p50_ms=p99 / 2, p90_ms=p99, p95_ms=p99, p99_ms=p99, **given,
    )  # fmt: skip


def test_the_ladder_climbs_by_about_half_to_the_top_it_is_given():
    assert knee.ladder("bron", 20) == [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 20]
    assert knee.ladder("bron", 16) == [1, 1.5, 2, 3, 4, 6, 8, 12, 16]
    assert knee.ladder("bron", 0.5) == [0.5]
    doel = knee.ladder("doel", 20)
    assert doel[:5] == [1, 2, 3, 4, 6] and doel[-1] == knee.MAX_SCHOOLS and all(d == int(d) for d in doel)


def test_a_step_holds_when_every_objective_holds_and_the_las_kept_up():
    assert knee.judge("bron", step(0, 8), SLO, None) == []
    slow = knee.judge("bron", step(0, 8, p99=300), SLO, None)
    assert slow == ["p99<250ms (measured 300 ms)"]
    wrong = knee.judge("bron", step(0, 8, conformance=2, errors=2), SLO, None)
    assert wrong == ["errors=0 (measured 2)", "conformance=0 (measured 2)"]


def test_a_bron_that_answers_fewer_than_nine_in_ten_of_the_offered_transfers_did_not_keep_up():
    assert knee.judge("bron", step(0, 8, transfers=75), SLO, None) == []  # 80 offered, one short per user allowed
    behind = knee.judge("bron", step(0, 8, transfers=60), SLO, None)
    assert len(behind) == 1 and behind[0].startswith("kept up with 6.0 of 8 transfers/s")


def test_a_doel_step_holds_only_while_more_schools_still_mean_more_transfers():
    before = step(0, 2, transfers=100)
    assert knee.judge("doel", step(1, 3, transfers=150), SLO, before) == []
    flat = knee.judge("doel", step(1, 3, transfers=102), SLO, before)
    assert len(flat) == 1 and "does not go faster" in flat[0]
    assert knee.judge("doel", step(0, 1, transfers=10), SLO, None) == []  # the first step has nothing to beat


def test_a_step_the_simulator_failed_in_or_without_answers_did_not_measure_the_las():
    assert "did not measure the LAS" in knee.judge("bron", step(0, 4, simulator_errors=3), SLO, None)[0]
    assert "no answers at all" in knee.judge("bron", step(0, 4, transfers=0), SLO, None)


def test_the_knee_is_the_last_step_that_held_before_the_first_that_broke():
    steps = [step(0, 2), step(1, 4), step(2, 8, p99=400), step(3, 16)]  # step 3 holding again does not count
    knee.judge_all("bron", steps, SLO)
    found = knee.knee(steps)
    assert found.sustained is steps[1] and found.broke is steps[2]
    assert found.rate == pytest.approx(4.0) and found.p99_ms == 100
    assert found.as_dict()["found"] is True and found.as_dict()["breaches"] == ["p99<250ms (measured 400 ms)"]


def test_when_every_step_holds_there_is_no_knee_and_when_none_does_nothing_is_sustained():
    held = [step(0, 2), step(1, 4)]
    knee.judge_all("bron", held, SLO)
    assert knee.knee(held).broke is None and knee.knee(held).rate == pytest.approx(4.0)
    broken = [step(0, 2, p99=900)]
    knee.judge_all("bron", broken, SLO)
    assert knee.knee(broken).rate == 0 and knee.knee(broken).p99_ms == 900


def test_a_step_survives_json_and_the_slo_reads_its_summary():
    s = step(3, 6, p99=120, extra={"simulator_cores": 0.4})
    again = knee.Step.from_dict(s.as_dict())
    assert again == s and s.as_dict()["throughput_per_s"] == pytest.approx(6.0)
    assert slo.parse("rps>=5")[0].measure(s.summary()) == pytest.approx(6.0)
    assert slo.parse("transfer_p99<1s")[0].holds(s.summary()["flows"]["full transfer"]["p99_ms"])


def test_the_national_peak_is_the_busiest_hour_of_the_busiest_wave():
    national = demand.Demand.of("bron")
    march = demand.WAVES[0]
    by_hand = demand.PUPILS * march.share / march.days * march.peak_day * march.peak_hour / 3600
    assert national.needed_per_s == pytest.approx(by_hand) and national.share == 1
    assert national.needed_per_s == max(w.per_peak_hour(demand.PUPILS) for w in demand.WAVES) / 3600
    assert national.headroom(4 * national.needed_per_s) == pytest.approx(4)
    doc = national.as_dict()
    assert doc["sources"] and {w["name"] for w in doc["waves"]} == {"march", "re-request"}


def test_the_demand_scales_with_the_vendors_schools_or_share():
    po = demand.Demand.of("bron", schools=632)
    assert po.share == pytest.approx(632 / demand.SCHOOLS["bron"]) and po.schools == 632
    vo = demand.Demand.of("doel", schools=65)
    assert vo.needed_per_s == pytest.approx(demand.Demand.of("doel").needed_per_s * 65 / demand.SCHOOLS["doel"])
    assert demand.Demand.of("doel", share=0.25).needed_per_s == pytest.approx(demand.Demand.of("doel").needed_per_s / 4)
    with pytest.raises(demand.DemandError, match="use 1..650"):
        demand.Demand.of("doel", schools=651)


@pytest.mark.parametrize(("text", "share"), [("25%", 0.25), ("0.25", 0.25), ("100%", 1.0), (" 7.5% ", 0.075)])
def test_a_share_is_a_percentage_or_a_fraction(text, share):
    assert demand.parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["0", "0%", "101%", "1.5", "a quarter", "-3%", ""])
def test_a_share_outside_nothing_to_everything_is_refused(text):
    with pytest.raises(demand.DemandError, match="--share"):
        demand.parse_share(text)


def test_the_plan_goes_to_the_workers_as_json_and_paces_its_users():
    plan = Plan(
        role="bron", simulator="http://127.0.0.1:1", target="http://127.0.0.1:2/control", rates=(1.0, 3.0, 5.0),
        step_s=5, max_rate=5, pupils=(("999999990", "a2V5"),), doel_schools=(("80AB", "rk"),),
    )  # fmt: skip
    assert Plan.from_json(plan.to_json()) == plan
    assert plan.users(1) == (1, 1.0) and plan.users(5) == (3, 0.6)  # at most 2 transfers/s a user
    assert Plan.from_json(Plan(**{**plan.__dict__, "role": "doel"}).to_json()).users(4) == (4, 0.0)
