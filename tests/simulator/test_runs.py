"""Conformance runs as subprocesses: one at a time, stopped whole when the simulator shuts down,
shown as interrupted after a restart, the oldest pruned, nothing outside a run's report folder served."""

from __future__ import annotations

import json
import time

import pytest

from simulator.runs import Run, RunError, RunManager

LONG = {"target": "reference", "role": "both", "transfers": ["popo", "povo", "vovo"]}


def test_shutting_down_stops_a_run_and_its_process_group(tmp_path):
    runs = RunManager(tmp_path)
    run = runs.start(LONG)
    deadline = time.monotonic() + 60
    while run.progress()["done"] == 0 and time.monotonic() < deadline:  # under way: pytest has started
        time.sleep(0.1)
    with pytest.raises(RunError) as busy:
        runs.start(LONG)
    assert busy.value.status == 409
    runs.close()
    assert run.proc is not None and run.proc.poll() is not None
    saved = Run.load(run.folder)
    assert saved is not None and saved.state == "finished" and saved.code == 130  # interrupted, no verdict
    assert saved.note == "stopped: the simulator shut down" and saved.status()["verdict"] == "STOPPED"
    assert "osokit: interrupted" in saved.status()["console"] and saved.status()["reports"] == []


def test_a_run_that_was_going_when_the_simulator_stopped_is_shown_as_interrupted(tmp_path):
    folder = tmp_path / "20260101-120000-abcd"
    folder.mkdir()
    Run("20260101-120000-abcd", "reference", "both", ("popo",), time.time(), folder=folder).save()
    (found,) = RunManager(tmp_path).list()
    assert found.state == "interrupted" and "stopped while this run was going" in found.note
    assert found.status()["verdict"] is None and found.report_file("report.html") is None


def test_the_oldest_finished_runs_are_pruned(tmp_path):
    for n in range(4):
        folder = tmp_path / f"20260101-12000{n}-abcd"
        folder.mkdir()
        Run(folder.name, "reference", "bron", ("popo",), time.time(), code=0, state="finished", folder=folder).save()
    runs = RunManager(tmp_path, keep=3)
    runs._prune()  # what start() does before a new run
    assert [r.id for r in runs.list()] == ["20260101-120003-abcd", "20260101-120002-abcd"]


def test_ids_and_names_cannot_reach_outside_the_runs(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "run.json").write_text(json.dumps({"id": "x"}))
    runs = RunManager(tmp_path)
    assert runs.get("../secret") is None and runs.get("secret") is None
    folder = tmp_path / "20260101-120000-abcd"
    (folder / "report").mkdir(parents=True)
    (folder / "report" / "report.html").write_text("ok")
    run = Run(folder.name, "reference", "bron", ("popo",), time.time(), folder=folder)
    assert run.report_file("report.html") == folder / "report" / "report.html"
    for name in ("../run.json", "..", ".", "", "report/../../x", "a\\b"):
        assert run.report_file(name) is None, name
