"""The long runs: the spring calendar over locust's master and workers, and a big replay with flat memory.

Slow; OSOKIT_REDUCED=1 (CI) runs them shorter and smaller.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REDUCED
from tests.load.test_run import osokit


@pytest.mark.slow
def test_the_spring_peak_over_two_processes_plays_every_phase(tmp_path):
    duration = "40s" if REDUCED else "120s"
    done = osokit(
        "load",
        "run",
        "--start-simulator",
        "--cohort",
        "3000",
        "--shape",
        "spring-peak",
        "--users",
        "12",
        "--duration",
        duration,
        "--processes",
        "2",
        "--slo",
        "errors=0,conformance=0",
        "--out",
        str(tmp_path),
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"full transfer", "re-request transfer", "collective request (groep 8)"} <= set(summary["flows"])
    assert summary["conformance_failures"] == 0 and summary["soap"]["failures"] == 0


@pytest.mark.slow
def test_a_big_replay_loses_nothing_and_keeps_memory_flat(tmp_path):
    pupils = 3_000 if REDUCED else 30_000
    done = osokit("load", "replay", "--cohort", str(pupils), "--processes", "2", "--out", str(tmp_path), timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    figures = json.loads((tmp_path / "replay.json").read_text())
    assert figures["sent"] == figures["acknowledged"] == figures["stored"] == pupils and figures["lost"] == 0
    growth = figures["simulator_peak_rss_mb"] - figures["simulator_rss_mb"]
    assert growth < 120, f"the simulator grew {growth} MB over {pupils:,} transfers"
