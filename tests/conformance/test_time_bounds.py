"""Time bounds: a control API that hangs ends the run quickly with exit 2; a run stops at its deadline."""

from __future__ import annotations

import time

import pytest

from osokit.cli import main
from reports.results import Results
from tests.conformance.conftest import control_front, osokit, served

ACTIONS = {"POST /transfers", "POST /dossiers", "POST /imports"}


def test_a_control_api_that_hangs_ends_the_run_in_seconds_with_exit_2(tmp_path, vendor_environment):
    """/info, /setup and /reset answer, every action hangs: each call times out (an error of that check,
    not a failed rule) and after three calls in a row without an answer the run stops."""
    front = control_front(f"{vendor_environment.url}/control", missing={"PUT /clock"}, hanging=ACTIONS)
    with served(front) as url:
        started = time.monotonic()
        done = osokit(
            "conformance", "run", "--target", url, "--role", "doel", "--timeout", "1", "--out", str(tmp_path),
            timeout=180,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-2000:]
    assert elapsed < 90, f"the run took {elapsed:.0f} s: a hung control API must stop it in seconds"
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("osokit: error: the LAS's control API stopped answering: control API POST ")
    assert "no answer within 1 s (3 calls in a row without an answer)" in line
    results = Results.load(tmp_path / "results.json")
    assert results.run.stopped is not None and results.run.stopped.why == "unreachable"
    assert results.summary.verdict == "error" and results.summary.failed == 0, "a timeout is not a failed rule"
    assert [c.outcome for c in results.checks[:3]] == ["error"] * 3
    assert "no answer within 1 s" in results.checks[0].message
    not_run = [c for c in results.checks if c.outcome == "skipped"]
    assert len(not_run) == len(results.checks) - 3 and all("not run: the LAS's" in c.message for c in not_run)


def test_a_control_api_that_never_answers_is_found_before_the_first_check(tmp_path, vendor_environment):
    front = control_front(f"{vendor_environment.url}/control", hanging={"*"})
    with served(front) as url:
        done = osokit("conformance", "run", "--target", url, "--timeout", "1", "--out", str(tmp_path), timeout=120)
    assert done.returncode == 2 and done.stdout == "", done.stdout[-2000:]
    assert done.stderr.strip().splitlines() == [
        f"osokit: error: --target {url} is not reachable as a control API: control API GET {url}/info: "
        "no answer within 1 s"
    ]
    assert not (tmp_path / "results.json").exists()


def test_a_run_stops_at_its_deadline_and_says_what_it_did_not_test(tmp_path):
    done = osokit("conformance", "run", "--role", "doel", "--deadline", "0.5", "--out", str(tmp_path))
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    results = Results.load(tmp_path / "results.json")
    assert results.run.stopped is not None and results.run.stopped.why == "deadline"
    assert results.summary.verdict == "incomplete" and results.summary.passed >= 1
    not_run = [c for c in results.checks if c.outcome == "skipped"]
    assert not_run and all(c.message == "not run: the run passed its deadline of 0.5 s (--deadline)" for c in not_run)
    assert {u.rule for u in results.untested} == {c.rule for c in not_run}
    assert all("--deadline, now 0.5 s" in u.remedy for u in results.untested)
    assert "not tested:" in done.stdout and "--deadline" in done.stdout


@pytest.mark.parametrize("flag", ["--timeout", "--deadline"])
@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf"])
def test_time_bounds_must_be_positive_seconds(tmp_path, capsys, flag, value):
    assert main(["conformance", "run", flag, value, "--out", str(tmp_path)]) == 2
    assert f"argument {flag}: '{value}': give a number of seconds greater than 0" in capsys.readouterr().err
