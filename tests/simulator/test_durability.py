"""Restart after kill -9 loses nothing acknowledged: a real `osokit serve` process under load from
several doel schools, killed at random (seeded) moments and restarted on the same data dir."""

import random

import pytest

from tests.conftest import REDUCED
from tests.simulator.durability import kill_loop


@pytest.mark.timeout(120)
def test_kill_9_loses_nothing_acknowledged(tmp_path):
    tally = kill_loop(tmp_path / "data", random.Random(1), kills=1, workers=1, min_acks=20)
    print(tally)
    assert tally.kills == 1 and tally.transfers_acknowledged >= 20
    assert tally.lost == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_repeated_kill_9_under_concurrent_load_loses_nothing(tmp_path):
    kills = 5 if REDUCED else 20
    tally = kill_loop(tmp_path / "data", random.Random(7), kills=kills, workers=3)
    print(f"\n{tally}")
    assert tally.kills == kills
    assert tally.transfers_acknowledged >= 5 * kills  # every round carried real load before its kill
    assert tally.lost == [], tally.lost[:10]
