"""Honest verdicts: what was not tested is never under a PASS banner, and it is listed first, with why."""

from __future__ import annotations

import re

from lxml import etree

from reports.results import Results
from tests.conformance.conftest import control_front, osokit, served

CLOCK_RULES = {"BRON-VERZ-01", "BRON-REFUSE-03"}


def test_a_las_without_clock_is_incomplete_with_the_reason_first(tmp_path, vendor_environment):
    """The contract lets /clock answer 404; the checks that need another date then cannot run: INCOMPLETE,
    exit 3, those rules listed first (console, report, results.json) and as skipped testcases in junit.xml."""
    front = control_front(f"{vendor_environment.url}/control", missing={"PUT /clock"})
    with served(front) as url:
        done = osokit(
            "conformance", "run", "--target", url, "--role", "bron", "--transfer", "povo", "--out", str(tmp_path)
        )
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    results = Results.load(tmp_path / "results.json")
    assert results.summary.verdict == "incomplete" and results.summary.failed == 0
    untested = {u.rule: u for u in results.untested}
    assert set(untested) >= CLOCK_RULES and untested.keys() <= CLOCK_RULES | {"BRON-CERT-01"}
    for rule in CLOCK_RULES:
        assert "answers 404 to PUT /clock" in untested[rule].reason
        assert "implement PUT /clock" in untested[rule].remedy and untested[rule].checks
    assert results.summary.untested == len(untested)
    assert {r.id: r.result for r in results.rules}["BRON-VERZ-01"] == "skip"

    out = done.stdout
    pytest_summary = re.search(r"\d+ passed.* in [\d.]+s\n", out).end()  # pytest's own last line
    assert pytest_summary <= out.index("not tested:") < out.index("BRON-VERZ-01") < out.index("verdict: INCOMPLETE")
    assert "to test it: implement PUT /clock" in out

    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "◐ INCOMPLETE" in html and '<header class="top incomplete">' in html
    assert html.index('<section id="untested">') < html.index('<section id="run">') < html.index('id="summary"')

    junit = etree.parse(str(tmp_path / "junit.xml"))
    skipped = {
        case.find("properties/property[@name='rule']").get("value"): case.find("skipped").get("message")
        for case in junit.iterfind(".//testcase")
        if case.find("skipped") is not None
    }
    assert set(skipped) == set(untested)
    assert all(message.startswith("[MUST] not tested: ") and "to test it: " in message for message in skipped.values())
    suite = junit.getroot()
    assert int(suite.get("skipped")) == len(skipped) and int(suite.get("tests")) == results.summary.total


def test_a_run_of_one_check_is_never_a_pass(tmp_path):
    """--only runs one check; every other rule that applies is listed as not selected."""
    check = "test_bron.py::test_no_dossier_before_it_is_prepared"
    done = osokit("conformance", "run", "--role", "bron", "--transfer", "povo", "--only", check, "--out", str(tmp_path))
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    results = Results.load(tmp_path / "results.json")
    assert [c.outcome for c in results.checks] == ["passed"]
    assert "BRON-REFUSE-01" not in {u.rule for u in results.untested}
    assert all(u.reason == "not selected: the run was limited to some checks (--only)" for u in results.untested)
    assert len(results.untested) > 50 and "and " in done.stdout  # grouped on the console, not one line per rule


def test_the_binnen_brin_rules_do_not_apply_to_the_transfer_kinds_certified(tmp_path):
    """The OVb.* rules concern a move inside one school board: listed as not applicable, never untested."""
    done = osokit("conformance", "run", "--role", "bron", "--transfer", "vovo", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout[-2000:]
    results = Results.load(tmp_path / "results.json")
    not_applicable = {r.id for r in results.rules if r.result == "not-applicable"}
    binnen_brin = {r.id for r in results.rules if r.id.startswith("OVb.")}
    assert len(binnen_brin) == 10 and binnen_brin <= not_applicable
    assert {"OVa.LL13", "OVa.OA02", "OVa.AI01"} <= not_applicable, "rules of po dossiers do not apply to vo-vo"
    assert results.untested == () and results.summary.verdict == "pass"
