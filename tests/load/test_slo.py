"""The SLO gate: what it reads, what it refuses, and when a run breaches it."""

from __future__ import annotations

import math

import pytest

from load import slo

SUMMARY = {
    "soap": {"requests": 1000, "failures": 3, "p50_ms": 4, "p90_ms": 20, "p95_ms": 40, "p99_ms": 180, "rps": 250.0},
    "flows": {"full transfer": {"p50_ms": 12, "p99_ms": 400}},
    "conformance_failures": 1,
}


@pytest.mark.parametrize(
    ("spec", "holds"),
    [
        ("p99<250ms", [True]),
        ("p99<0.1s", [False]),
        ("p50<=4ms,p95<40", [True, False]),
        ("errors=0,conformance=0", [False, False]),
        ("errors<1%,conformance<=0.1%", [True, True]),
        ("rps>=200", [True]),
        ("transfer_p99<300ms", [False]),
    ],
)
def test_objectives_measure_the_summary(spec, holds):
    assert [ok for _, _, ok in slo.evaluate(slo.parse(spec), SUMMARY)] == holds


def test_a_missing_measurement_never_holds():
    objective = slo.parse("transfer_p99<300ms")[0]
    measured = objective.measure({**SUMMARY, "flows": {}})
    assert math.isnan(measured) and not objective.holds(measured)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("p99 under 250", "cannot read"),
        ("p42<10ms", "unknown metric 'p42'"),
        ("rps>10%", "only errors and conformance take a share"),
        ("p99<5%", "a latency takes ms or s"),
        ("errors<3ms", "takes no unit"),
        (" , ", "no objectives"),
    ],
)
def test_unreadable_objectives_say_why(spec, says):
    with pytest.raises(slo.SloError, match=says):
        slo.parse(spec)
