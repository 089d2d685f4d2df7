"""Honest verdicts: what was not tested is never under a PASS banner, and it is listed first, with why."""

from __future__ import annotations

import httpx
from lxml import etree

from reports.results import Results
from tests.conformance.conftest import control_front, osokit, served

CERT = "BRON-CERT-01"


def test_a_url_target_on_its_own_clock_is_incomplete_only_for_mutual_tls(tmp_path, vendor_environment):
    """The path a vendor takes: its LAS at a URL, set up through its control API. Its clock says November
        and its control API has no PUT /clock (the contract allows both): every check runs on its own clock,
        the suite never asks to set it; only BRON-CERT-01, which needs mutual TLS (--tls on, not asked for
        here), is not tested, with the commands that make it testable. INCOMPLETE, exit 3, that rule
    listed first (console, report, results.json) and as a skipped testcase in junit.xml."""
    httpx.post(f"{vendor_environment.url}/admin/clock", json={"set": "2026-11-05T10:00:00+01:00"}).raise_for_status()
    front = control_front(f"{vendor_environment.url}/control", missing={"PUT /clock"})
    with served(front) as url:
        done = osokit("conformance", "run", "--target", url, "--out", str(tmp_path))
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    assert "PUT /clock" not in front.state.calls
    results = Results.load(tmp_path / "results.json")
    assert results.summary.verdict == "incomplete" and results.summary.failed == 0 and results.summary.errors == 0
    untested = {u.rule: u for u in results.untested}
    assert set(untested) == {CERT}
    assert "needs mutual TLS" in untested[CERT].reason
    remedy = "give the LAS the certificates of `osokit pki init --dir pki --vendor vut`"  # the vendor /info names
    assert untested[CERT].remedy.startswith(remedy) and untested[CERT].remedy.endswith("--tls on --pki-dir pki")
    assert [c.rule for c in results.checks if c.outcome != "passed"] == [CERT]
    assert results.summary.untested == 1 and results.run.simulator["tls"] is False
    assert {r.id: r.result for r in results.rules}[CERT] == "skip"

    out = done.stdout
    assert out.startswith("not tested: 1 MUST and 0 SHOULD rule(s)") and out.index(CERT) < out.index("verdict:")
    assert f"to test it: {remedy}" in out

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
