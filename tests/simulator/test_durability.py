"""Restart after kill -9 loses nothing acknowledged (a real `osokit serve` process)."""

import random

import pytest

from tests.simulator.durability import crash_and_check


@pytest.mark.timeout(120)
def test_kill_9_loses_nothing_acknowledged(tmp_path):
    acknowledged, lost = crash_and_check(tmp_path / "data", random.Random(1), acks_before_kill=60)
    assert acknowledged >= 60
    assert lost == 0
