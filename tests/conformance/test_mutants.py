"""The suite proves itself: it catches every built-in faulty LAS, and every rule it checks is shown to fail.

Slow (about five minutes on two busy cores: each mutant is a run of its role's suite, on one worker process
per core). CI runs it in full. The worker pool itself (order, crashes, time-outs, --jobs): test_mutation.py.
"""

from __future__ import annotations

import json

import pytest

from conformance.run import coverage
from simulator.mutants import MUTANTS, conformance_mutants
from tests.conformance.conftest import osokit


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_mutant_is_caught_and_every_checked_rule_fails_on_one(tmp_path):
    done = osokit("conformance", "mutants", "--out", str(tmp_path), timeout=1800)
    lines = done.stdout.strip().splitlines()
    counted = conformance_mutants()
    assert lines[-1] == f"mutation score: {len(counted)}/{len(counted)}", done.stdout[-4000:] + done.stderr[-2000:]
    assert done.returncode == 0 and len(counted) >= 20
    report = json.loads((tmp_path / "mutants.json").read_text())
    caught_by = {rule.split(" ")[0] for m in report["mutants"] for rule in m["caught_by"]}
    assert sorted(set(coverage()) - caught_by) == [], "rules whose checks no mutant makes fail"
    for name in counted:
        assert any(line.startswith(name + " ") and "CAUGHT by" in line for line in lines), name
    assert not any(line.startswith("bron-slow-document ") for line in lines), "a performance mutant breaks no rule"


def test_listing_the_mutants_names_each_defect():
    done = osokit("conformance", "mutants", "--list")
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == len(MUTANTS)
    assert "doel-closes-twice" in done.stdout and "sends the afmelding twice" in done.stdout


def test_a_mutation_run_of_one_mutant_scores_it(tmp_path):
    done = osokit("conformance", "mutants", "--only", "bron-serves-not-ready", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bron-serves-not-ready" in done.stdout and "CAUGHT by BRON-REFUSE-01" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "mutation score: 1/1"


def test_an_unknown_mutant_is_a_usage_error():
    done = osokit("conformance", "mutants", "--only", "doel-perfect")
    assert done.returncode == 2 and "unknown mutant(s): doel-perfect" in done.stderr


def test_a_performance_mutant_breaks_no_rule_and_is_listed_as_such(tmp_path):
    """Slow is not wrong: the suite passes bron-slow-document, so the mutation run must not count it
    (the capacity tests catch it: tests/load/test_capacity.py)."""
    done = osokit(
        "conformance", "run", "--target", "mutant:bron-slow-document", "--role", "bron", "--out", str(tmp_path)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    listed = osokit("conformance", "mutants", "--list", "--only", "bron-slow-document").stdout
    assert "(performance: not in the mutation run)" in listed


def test_each_way_to_get_a_collective_re_request_or_a_step_re_run_wrong_is_caught_by_its_rule(tmp_path):
    """A collective re-request (DOEL-VERZ-03) that asks only its first pupil for the update or imports the
    others as new pupils; step-wise import (DOEL-STEP-*): all three at once, a step never run again, a step
    run from the first dossier, a second pupil record. Each breaks the rule it should."""
    expected = {
        "doel-batch-update-first-only": "DOEL-VERZ-03",
        "doel-batch-update-new-pupils": "DOEL-VERZ-03",
        "doel-steps-all-at-once": "DOEL-STEP-02",
        "doel-step-runs-once": "DOEL-STEP-01",
        "doel-step-keeps-old-data": "DOEL-STEP-01",
        "doel-step-new-record": "DOEL-STEP-03",
    }
    done = osokit("conformance", "mutants", *[a for m in expected for a in ("--only", m)], "--out", str(tmp_path))
    assert (
        done.returncode == 0
        and done.stdout.strip().splitlines()[-1] == f"mutation score: {len(expected)}/{len(expected)}"
    ), done.stdout
    report = {m["name"]: m for m in json.loads((tmp_path / "mutants.json").read_text())["mutants"]}
    for name, rule in expected.items():
        assert any(caught.startswith(rule) for caught in report[name]["caught_by"]), (name, report[name])
