from pathlib import Path

import pytest
from lxml import etree

from reports.junit import SUITE_NAME, classname, junit_xml
from reports.results import Results

XSD = Path(__file__).with_name("junit.xsd")


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def parse(results: Results) -> etree._Element:
    return etree.fromstring(junit_xml(results))


def props(element: etree._Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in element.findall("properties/property")}


def check_cases(root: etree._Element) -> list[etree._Element]:
    """The testcases of checks (not those of rules that had no check to run)."""
    return [c for c in root.findall("testsuite/testcase") if "check" in props(c)]


def test_matches_the_common_junit_shape(sample, junit_schema):
    document = etree.fromstring(junit_xml(sample))
    junit_schema.assertValid(document)
    assert document.tag == "testsuites"
    assert junit_xml(sample).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')


def test_one_suite_with_correct_counts(sample):
    root = parse(sample)
    (suite,) = root.findall("testsuite")
    # 6 checks and OVa.LL13, which applies but had no check: a skipped testcase, so CI does not show green
    expected = {"tests": "7", "failures": "2", "errors": "1", "skipped": "2", "time": "34.500"}
    for element in (root, suite):
        assert {k: element.get(k) for k in expected} == expected
    assert suite.get("name") == SUITE_NAME
    assert suite.get("timestamp") == "2025-03-01T09:00:00"  # 10:00+01:00 in UTC, no offset (Ant's schema)
    assert len(suite.findall("testcase")) == len(sample.checks) + 1
    assert len(suite.findall("testcase/failure")) == 2
    assert len(suite.findall("testcase/error")) == 1
    assert len(suite.findall("testcase/skipped")) == 2


def test_what_was_not_tested_is_a_skipped_testcase_with_why_and_remedy(sample):
    cases = parse(sample).findall("testsuite/testcase")
    untested = [c for c in cases if "check" not in props(c)]
    assert [(c.get("classname"), c.get("name")) for c in untested] == [("osokit.bron.OVa_LL13", "OVa.LL13: not tested")]
    assert untested[0].find("skipped").get("message") == (
        "[MUST] not tested: osokit has no check for this rule yet; to test it: none in this osokit version: "
        "the verdict cannot be PASS until osokit checks it"
    )
    skipped_check = check_cases(parse(sample))[2].find("skipped").get("message")
    assert skipped_check.startswith("[MUST] not tested: not applicable: the bron side never calls sessiecontrole")
    assert skipped_check.endswith("to test it: " + sample.untested[0].remedy)


def test_suite_properties(sample):
    suite = parse(sample).find("testsuite")
    p = props(suite)
    assert p["seed"] == "42" and p["target"] == "mutant:skip-inzage" and p["mutant"] == "skip-inzage"
    assert p["command"] == sample.run.command and p["verdict"] == "fail"
    assert p["version.osokit"] == "0.1.0" and p["version.gegevensset"] == "2019.1"


def test_testcases_are_named_by_rule(sample):
    cases = check_cases(parse(sample))
    for case, check in zip(cases, sample.checks, strict=True):
        assert case.get("name") == f"{check.rule}: {check.name}"
        assert case.get("classname") == classname(check)
        assert case.get("time") == f"{check.duration_s:.3f}"
        p = props(case)
        assert p == {
            "check": check.id,
            "rule": check.rule,
            "level": check.level,
            "role": check.role or "",
            "transfer": check.transfer or "",
            "rerun": check.rerun,
        }
    assert [c.get("classname") for c in cases] == [
        "osokit.doel.OVa_IZ02",
        "osokit.bron.OVa_IZ02",
        "osokit.bron.OSOKIT-TR-SC01",
        "osokit.doel.OSOKIT-TR-SC01",
        "osokit.dossier.OG_cat_03",
        "osokit.doel.OSOKIT-TR-SC01",
    ]


def test_failure_error_and_skip_carry_message_rerun_and_evidence(sample):
    cases = check_cases(parse(sample))
    failure = cases[1].find("failure")
    assert failure.get("type") == "osokit.MUST"
    assert failure.get("message") == "[MUST] " + sample.checks[1].message  # < & " survive escaping
    assert failure.text.startswith(
        "expected: inzage true\n"
        'found:    "false" (the LAS sent <script>alert(1)</script> & more)\n'
        "where:    <dossier> at /Envelope/Body/documentResponse\n"
    )
    assert f"rerun: {sample.checks[1].rerun}" in failure.text
    assert "add --show-pgn to the re-run line" in failure.text  # the evidence was masked
    assert "evidence (>> marks the messages that show the failure):" in failure.text
    assert "  >> #18 in document /schools/RK-BRON-01 HTTP 200 vendor mutant" in failure.text
    assert "  #17 out document" in failure.text
    assert "rule:  OVa.IZ02 (MUST, Edustandaard" in failure.text
    error = cases[3].find("error")
    assert error.get("message").startswith("[MUST] TimeoutError") and "fault Timeout" in error.text
    assert cases[4].find("failure").get("type") == "osokit.SHOULD"
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None


def test_colliding_names_get_the_check_id(sample_dict):
    twin = dict(sample_dict["checks"][0], id="conformance/other.py::test_inzage[doel-povo]")
    sample_dict["checks"].append(twin)
    sample_dict["rules"][0]["checks"].append(twin["id"])
    sample_dict["summary"].update(total=7, passed=3)
    names = [c.get("name") for c in parse(Results.from_dict(sample_dict)).findall("testsuite/testcase")]
    assert len(set(names)) == len(names)
    assert names[-1] == f"OVa.IZ02: test_inzage[doel-povo] [{twin['id']}]"


def test_characters_xml_cannot_carry_are_made_visible(sample_dict):
    sample_dict["checks"][1]["message"] = "bad byte \x01 and \x1b[31m and a lone \ud800 surrogate"
    text = junit_xml(Results.from_dict(sample_dict))
    failure = check_cases(etree.fromstring(text))[1].find("failure")
    assert "bad byte \u2401 and \u241b[31m and a lone \ufffd surrogate" in failure.get("message")


def test_scales_to_thousands_of_checks(large, junit_schema):
    results = large(2000)
    document = etree.fromstring(junit_xml(results))
    junit_schema.assertValid(document)
    assert len(document.findall("testsuite/testcase")) == 2000
    assert document.find("testsuite").get("failures") == "200"
