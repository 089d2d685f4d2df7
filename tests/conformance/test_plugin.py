"""The pytest plugin on its own: one result per check, selection by role and transfer, unknown rules refused."""

from __future__ import annotations

import subprocess
import sys

from reports.results import Results, consistency

CHECKS = """
import pytest

from conformance.expect import not_testable

pytestmark = pytest.mark.oso_role("doel")


@pytest.fixture
def breaks_on_teardown():
    yield
    raise RuntimeError("teardown broke")


@pytest.mark.oso_rule("TC-AFMELD-01")
def test_fails_then_errors(breaks_on_teardown):
    assert False, "the call failed"


@pytest.mark.oso_rule("TC-SESSION-01")
def test_skipped():
    pytest.skip("not for this LAS")


@pytest.mark.oso_rule("TC-SESSION-02")
def test_not_testable():
    not_testable("this LAS cannot do batches", "give it a batch mode")


@pytest.mark.oso_rule("TC-MSG-01")
@pytest.mark.parametrize("transfer", ["popo", "vovo"])
def test_per_transfer(transfer):
    pass
"""


def pytest_run(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_one_result_per_check_with_the_first_thing_that_went_wrong(tmp_path):
    (tmp_path / "test_checks.py").write_text(CHECKS)
    done = pytest_run(
        tmp_path, "--oso-role", "doel", "--oso-transfer", "popo", "--oso-results", str(tmp_path / "r.json")
    )
    assert done.returncode == 1, done.stdout
    results = Results.load(tmp_path / "r.json")
    assert consistency(results) == []
    by_name = {c.name: c for c in results.checks}
    assert sorted(by_name) == ["test_fails_then_errors", "test_not_testable", "test_per_transfer[popo]", "test_skipped"]
    assert by_name["test_fails_then_errors"].outcome == "failed"
    assert "the call failed" in by_name["test_fails_then_errors"].message
    assert by_name["test_skipped"].outcome == "skipped" and "not for this LAS" in by_name["test_skipped"].message
    assert results.rule("TC-AFMELD-01").result == "fail" and results.rule("TC-SESSION-01").result == "skip"
    assert results.rule("BRON-VERZ-01") is None, "bron rules are not part of a doel run"
    assert results.summary.verdict == "fail"
    untested = {u.rule: u for u in results.untested}
    assert untested["TC-SESSION-02"].reason == "this LAS cannot do batches"
    assert untested["TC-SESSION-02"].remedy == "give it a batch mode"
    assert untested["TC-SESSION-01"].reason == "not for this LAS"
    assert untested["DOEL-FETCH-01"].reason == "osokit has no check for this rule yet", "no check in this suite"
    assert "TC-AFMELD-01" not in untested, "it failed: that is tested"


def test_a_check_naming_an_unknown_rule_is_refused(tmp_path):
    (tmp_path / "test_checks.py").write_text(CHECKS.replace("TC-MSG-01", "TC-NO-SUCH-RULE"))
    done = pytest_run(tmp_path)
    assert done.returncode == 4
    assert "oso_rule('TC-NO-SUCH-RULE') is not in the rules catalogue" in done.stdout + done.stderr


def test_a_conformance_run_says_its_target_and_seed_first(tmp_path):
    (tmp_path / "test_checks.py").write_text(CHECKS, encoding="utf-8")
    done = pytest_run(tmp_path, "--oso-target", "mutant:doel-never-closes", "--oso-seed", "7", "-k", "per_transfer")
    assert "osokit conformance: target mutant:doel-never-closes, seed 7" in done.stdout, done.stdout[-2000:]
    plain = pytest_run(tmp_path, "-k", "per_transfer")
    assert "osokit conformance:" not in plain.stdout  # not a conformance run: no such header


def test_the_suite_config_is_strict(tmp_path):
    """The suite's pytest.ini: a misspelt setting and an xfail that passes are errors, not silence."""
    from conformance.run import SCENARIOS

    ini = (SCENARIOS / "pytest.ini").read_text(encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(ini + "xfail_strickt = true\n", encoding="utf-8")
    (tmp_path / "test_x.py").write_text(
        "import pytest\n\n@pytest.mark.xfail(reason='known')\ndef test_passes():\n    pass\n", encoding="utf-8"
    )
    misspelt = pytest_run(tmp_path, "-c", str(tmp_path / "pytest.ini"))
    assert misspelt.returncode != 0 and "xfail_strickt" in misspelt.stdout + misspelt.stderr
    (tmp_path / "pytest.ini").write_text(ini, encoding="utf-8")
    passing_xfail = pytest_run(tmp_path, "-c", str(tmp_path / "pytest.ini"))
    assert passing_xfail.returncode == 1 and "XPASS(strict)" in passing_xfail.stdout, passing_xfail.stdout[-2000:]


def test_the_time_bounds_are_options_of_the_plugin_too(tmp_path):
    (tmp_path / "test_checks.py").write_text(CHECKS)
    done = pytest_run(tmp_path, "--oso-timeout", "0")
    assert done.returncode == 4
    assert "argument --oso-timeout: '0': give a number of seconds greater than 0" in done.stderr
    done = pytest_run(
        tmp_path, "--oso-role", "doel", "--oso-deadline", "0.001", "--oso-results", str(tmp_path / "r.json")
    )
    results = Results.load(tmp_path / "r.json")
    assert results.run.stopped is not None and results.run.stopped.why == "deadline"
    not_run = [c for c in results.checks if c.message and c.message.startswith("not run: the run passed its deadline")]
    assert not_run and len(results.checks) == 5
