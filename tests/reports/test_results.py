import copy
import json
from dataclasses import replace

import pytest

from reports import results as results_module
from reports.results import (
    SCHEMA_VERSION,
    V1,
    Results,
    ResultsError,
    SchemaFeatureError,
    Stopped,
    Summary,
    UnsupportedVersion,
    consistency,
    rule_outcome,
    schema,
    validate,
)


def test_sample_is_valid_and_consistent(sample_dict, sample):
    assert validate(sample_dict) == []
    assert consistency(sample) == []


def test_version_constant_matches_the_schema_file():
    assert schema()["properties"]["schema"]["const"] == SCHEMA_VERSION == "osokit-results/2"
    assert schema(V1)["properties"]["schema"]["const"] == V1 == "osokit-results/1"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["checks"][2].update(outcome="weird"),
            "checks[2].outcome: 'weird' not in ['passed', 'failed', 'skipped', 'error']",
        ),
        (lambda d: d["checks"][0].pop("rerun"), "checks[0]: missing required property 'rerun'"),
        (lambda d: d["run"].update(seed="42"), "run.seed: expected integer, got string '42'"),
        (lambda d: d["run"].update(seed=4.5), "run.seed: expected integer, got number 4.5"),
        (lambda d: d["run"].update(seed=True), "run.seed: expected integer, got boolean true"),
        (lambda d: d["summary"].update(total=-1), "summary.total: -1 is less than the minimum 0"),
        (lambda d: d["run"].update(colour="red"), "run: unexpected property 'colour'"),
        (lambda d: d.update(extra=1), "(document): unexpected property 'extra'"),
        (lambda d: d["run"].update(mutant=3), "run.mutant: expected string or null, got integer 3"),
        (lambda d: d["run"]["roles"].append("ouder"), "run.roles[2]: 'ouder' not in ['doel', 'bron']"),
        (lambda d: d["run"]["versions"].update(lxml=6), "run.versions.lxml: expected string, got integer 6"),
        (
            lambda d: d["run"]["simulator"].update(n=1),
            "run.simulator.n: expected string or null or boolean, got integer 1",
        ),
        (lambda d: d["checks"][3].update(role="ouder"), "checks[3].role: 'ouder' not in ['doel', 'bron', null]"),
        (
            lambda d: d["checks"][1]["evidence"][1].update(status="200"),
            "checks[1].evidence[1].status: expected integer or null, got string '200'",
        ),
        (
            lambda d: d["checks"][1]["evidence"][0].pop("endpoint"),
            "checks[1].evidence[0]: missing required property 'endpoint'",
        ),
        (lambda d: d["rules"][0].update(level="MAY"), "rules[0].level: 'MAY' not in ['MUST', 'SHOULD']"),
        (lambda d: d["rules"][0].update(checks="all"), "rules[0].checks: expected array, got string 'all'"),
        (lambda d: d["run"].update(started="yesterday"), "run.started: 'yesterday' is not an RFC 3339 date-time"),
        (
            lambda d: d["run"].update(started="2025-02-30T10:00:00Z"),
            "run.started: '2025-02-30T10:00:00Z' is not an RFC 3339 date-time",
        ),
        (lambda d: d.update(schema="osokit-results"), "schema: 'osokit-results' is not 'osokit-results/2'"),
        (lambda d: d.pop("untested"), "(document): missing required property 'untested'"),
        (
            lambda d: d["summary"].update(verdict="incomplete?"),
            "summary.verdict: 'incomplete?' not in ['pass', 'fail', 'incomplete', 'error']",
        ),
        (lambda d: d["untested"][0].pop("remedy"), "untested[0]: missing required property 'remedy'"),
        (
            lambda d: d["run"].update(stopped={"why": "bored", "message": "x"}),
            "run.stopped.why: 'bored' not in ['unreachable', 'setup', 'deadline']",
        ),
        (
            lambda d: d["checks"][1]["evidence"][0].update(offending="yes"),
            "checks[1].evidence[0].offending: expected boolean, got string 'yes'",
        ),
        (lambda d: d["run"].update({"a.b": 1}), "run: unexpected property 'a.b'"),
        (lambda d: d["run"]["versions"].update({"a b": 1}), "run.versions['a b']: expected string, got integer 1"),
    ],
)
def test_invalid_documents_get_precise_messages(sample_dict, change, expected):
    change(sample_dict)
    assert validate(sample_dict) == [expected]


def test_every_problem_is_reported(sample_dict):
    del sample_dict["summary"]
    sample_dict["checks"][0]["outcome"] = "ok"
    sample_dict["checks"][5]["duration_s"] = -1
    assert validate(sample_dict) == [
        "(document): missing required property 'summary'",
        "checks[0].outcome: 'ok' not in ['passed', 'failed', 'skipped', 'error']",
        "checks[5].duration_s: -1 is less than the minimum 0",
    ]


def test_not_an_object():
    assert validate([]) == ["(document): expected object, got array []"]


def test_integral_floats_are_integers_and_numbers_accept_ints(sample_dict):
    sample_dict["run"]["seed"] = 42.0
    sample_dict["run"]["duration_s"] = 34
    assert validate(sample_dict) == []
    assert Results.from_dict(sample_dict).run.seed == 42


def test_unknown_schema_version_is_one_clear_error(sample_dict):
    sample_dict["schema"] = "osokit-results/3"
    sample_dict["brand_new_field"] = {}
    problems = validate(sample_dict)
    assert len(problems) == 1
    assert "reads 'osokit-results/1' and 'osokit-results/2', these results are 'osokit-results/3'" in problems[0]
    with pytest.raises(UnsupportedVersion, match="osokit-results/3"):
        Results.from_dict(sample_dict)


def test_version_1_is_still_read_and_judged_again(v1_dict, sample):
    assert validate(v1_dict) == [] and validate({**v1_dict, "untested": []}) == [
        "(document): unexpected property 'untested'"
    ]
    old = Results.from_dict(v1_dict)
    assert old.schema == V1 and consistency(old) == []
    assert old.checks == tuple(
        replace(
            c,
            expected=None,
            found=None,
            where=None,
            masked=False,
            evidence=tuple(replace(e, headers=None, offending=False) for e in c.evidence),
        )
        for c in sample.checks
    )
    assert old.summary.must_failed == 1, "version 1 counted the error as a MUST failure; it is not a failed rule"
    assert {r.id: r.result for r in old.rules}["OSOKIT-TR-SC01"] == "error"
    assert [u.rule for u in old.untested] == ["OSOKIT-TR-SC01", "OVa.LL13"]
    assert "osokit-results/1 did not record whether it applied" in old.untested[1].reason
    assert old.to_dict()["schema"] == SCHEMA_VERSION and validate(old.to_dict()) == []


def test_a_version_1_pass_with_a_skipped_must_check_reads_as_incomplete(v1_dict):
    v1_dict["checks"] = [c for c in v1_dict["checks"] if c["outcome"] in ("passed", "skipped")]
    kept = {c["id"] for c in v1_dict["checks"]}
    v1_dict["rules"] = [{**r, "checks": [c for c in r["checks"] if c in kept]} for r in v1_dict["rules"][:2]]
    v1_dict["rules"][0]["result"], v1_dict["rules"][1]["result"] = "pass", "pass"
    v1_dict["summary"].update(total=3, passed=2, failed=0, errors=0, must_failed=0, should_failed=0, verdict="pass")
    old = Results.from_dict(v1_dict)
    assert old.summary.verdict == "incomplete" and [u.rule for u in old.untested] == ["OSOKIT-TR-SC01"]
    assert old.untested[0].reason == "not applicable: the bron side never calls sessiecontrole"
    assert consistency(old) == []


def test_an_invalid_version_1_document_names_its_own_schema(v1_dict):
    v1_dict["summary"]["verdict"] = "incomplete"
    with pytest.raises(ResultsError, match="do not match the osokit-results/1 schema") as caught:
        Results.from_dict(v1_dict)
    assert caught.value.problems == ["summary.verdict: 'incomplete' not in ['pass', 'fail', 'error']"]


def test_from_dict_refuses_invalid_documents_listing_problems(sample_dict):
    sample_dict["checks"][2]["outcome"] = "weird"
    with pytest.raises(ResultsError) as caught:
        Results.from_dict(sample_dict)
    assert caught.value.problems == ["checks[2].outcome: 'weird' not in ['passed', 'failed', 'skipped', 'error']"]
    assert "checks[2].outcome" in str(caught.value)


def _trimmed(written, given):
    """``written`` without the keys ``given`` left out, where to_dict wrote them as null, false or empty."""
    if isinstance(written, dict):
        return {
            k: _trimmed(v, given.get(k)) for k, v in written.items() if k in given or v not in (None, False, [], {})
        }
    if isinstance(written, list):
        return [_trimmed(w, g) for w, g in zip(written, given, strict=True)]
    return written


def test_round_trip_through_dict_and_file(sample_dict, sample, tmp_path):
    written = sample.to_dict()
    assert Results.from_dict(written) == sample and Results.from_dict(written).to_dict() == written
    # the sample leaves some optional fields out; to_dict writes them as empty or null, nothing else changes
    assert written["rules"][2]["roles"] == [] and "roles" not in sample_dict["rules"][2]
    assert written["checks"][3]["evidence"][0]["body"] is None and written["run"]["stopped"] is None
    assert written["checks"][0]["masked"] is False and written["checks"][3]["evidence"][0]["offending"] is False
    assert _trimmed(written, sample_dict) == sample_dict
    path = sample.dump(tmp_path / "sub" / "results.json")
    assert Results.load(path) == sample
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temporary file left


def test_optional_fields_are_written_as_null_or_empty(sample_dict):
    check = sample_dict["checks"][4]
    for key in ("role", "transfer", "message", "evidence"):
        check.pop(key)
    del sample_dict["run"]["mutant"], sample_dict["run"]["simulator"], sample_dict["rules"][0]["roles"]
    written = Results.from_dict(sample_dict).to_dict()
    assert written["checks"][4]["role"] is None and written["checks"][4]["evidence"] == []
    assert written["run"]["mutant"] is None and written["run"]["simulator"] == {} and written["rules"][0]["roles"] == []
    assert validate(written) == []


def test_file_format_is_stable_utf8_indent_1(sample, tmp_path):
    named = Results.from_dict({**sample.to_dict(), "run": {**sample.to_dict()["run"], "target": "Zoë's LAS"}})
    text = named.dump(tmp_path / "r.json").read_text(encoding="utf-8")
    assert "Zoë" in text and "\\u" not in text
    assert text.startswith('{\n "schema": "osokit-results/2",\n "run": {\n  "id": ')
    assert text.endswith("}\n")
    assert list(json.loads(text)) == ["schema", "run", "summary", "untested", "rules", "checks"]
    assert list(json.loads(text)["checks"][0]) == list(schema()["properties"]["checks"]["items"]["properties"])
    assert named.dump(tmp_path / "again.json").read_bytes() == text.encode("utf-8")


def test_load_reports_the_file_and_the_problem(tmp_path, sample_dict):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"bad\.json: not JSON"):
        Results.load(bad_json)
    invalid = tmp_path / "invalid.json"
    sample_dict["summary"]["verdict"] = "maybe"
    invalid.write_text(json.dumps(sample_dict), encoding="utf-8")
    with pytest.raises(ResultsError, match=r"invalid\.json: .*\n  summary\.verdict: 'maybe' not in"):
        Results.load(invalid)


def test_summary_of_checks(sample):
    assert Summary.of(sample.checks, sample.untested, sample.run.stopped) == sample.summary
    passing = [c for c in sample.checks if c.outcome == "passed"]
    assert Summary.of(passing).verdict == "pass"
    errored = [c for c in sample.checks if c.outcome in ("passed", "error")]
    assert Summary.of(errored, sample.untested).verdict == "incomplete"  # an error is not a failed rule
    assert Summary.of(errored, [replace(u, level="SHOULD") for u in sample.untested]).verdict == "pass"
    assert Summary.of(sample.checks, sample.untested).verdict == "fail"  # a failed MUST check wins
    assert Summary.of([replace(c, level="SHOULD") for c in sample.checks]).must_failed == 0
    assert Summary.of([c for c in sample.checks if c.outcome == "error"]).verdict == "error"  # no verdict reached
    assert Summary.of([]).verdict == "error"
    stopped = Stopped(why="unreachable", message="the LAS's control API stopped answering")
    assert Summary.of(passing, (), stopped).verdict == "error"
    assert Summary.of(passing, sample.untested, replace(stopped, why="deadline")).verdict == "incomplete"


def test_consistency_catches_what_the_schema_cannot(sample_dict):
    sample_dict["summary"]["passed"] = 3
    sample_dict["checks"][5]["rule"] = "NOPE"
    sample_dict["rules"][0]["checks"].append("ghost")
    sample_dict["checks"][1]["id"] = sample_dict["checks"][0]["id"]
    problems = consistency(Results.from_dict(sample_dict))
    assert "summary.passed: 3, but the checks give 2" in problems
    assert "checks[5].rule: 'NOPE' is not in rules" in problems
    assert "rules[0].checks: 'ghost' is not in checks" in problems
    assert f"check id {sample_dict['checks'][0]['id']!r} appears more than once" in problems


def test_rule_results_must_follow_from_their_checks(sample_dict, sample):
    applicable = [r for r in sample.rules if r.result != "not-applicable"]
    assert [rule_outcome(c for c in sample.checks if c.id in r.checks) for r in applicable] == [
        r.result for r in applicable
    ]
    only_skipped = [c for c in sample.checks if c.outcome == "skipped"]
    assert rule_outcome(only_skipped) == "skip" and rule_outcome([]) == "untested"
    assert rule_outcome(sample.checks[2:4]) == "error" and rule_outcome([sample.checks[0], sample.checks[2]]) == "skip"
    sample_dict["rules"][2]["result"] = "pass"
    assert consistency(Results.from_dict(sample_dict)) == ["rules[2].result: 'pass', but its checks give 'fail'"]


def test_every_rule_left_open_is_listed_as_not_tested_and_nothing_else(sample_dict):
    listed = sample_dict["untested"]
    sample_dict["untested"] = [listed[0], {**listed[1], "rule": "OVa.IZ02"}, {**listed[1], "rule": "GHOST"}]
    sample_dict["summary"]["untested"] = 3
    assert consistency(Results.from_dict(sample_dict)) == [
        "rules[3]: OVa.LL13 (untested) is not listed in untested",
        "untested[1].rule: OVa.IZ02 has result 'fail', so it was tested",
        "untested[2].rule: 'GHOST' is not in rules",
    ]
    sample_dict["rules"][4].update(checks=[sample_dict["checks"][0]["id"]])
    assert "rules[4].result: 'not-applicable', but its checks give 'pass'" in consistency(
        Results.from_dict(sample_dict)
    )


def test_failures_are_must_first(sample):
    assert [(c.level, c.outcome) for c in sample.failures] == [
        ("MUST", "failed"),
        ("MUST", "error"),
        ("SHOULD", "failed"),
    ]


def test_schema_keywords_outside_the_subset_are_refused(tmp_path, monkeypatch, sample_dict):
    extended = copy.deepcopy(schema())
    extended["properties"]["run"]["properties"]["id"]["pattern"] = "^run-"
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(extended), encoding="utf-8")
    monkeypatch.setattr(results_module, "SCHEMA_PATH", path)
    schema.cache_clear()
    try:
        with pytest.raises(SchemaFeatureError, match=r"#/properties/run/properties/id: keyword\(s\) \['pattern'\]"):
            validate(sample_dict)
    finally:
        schema.cache_clear()


def test_the_checker_reads_the_schema_file(tmp_path, monkeypatch, sample_dict):
    changed = copy.deepcopy(schema())
    changed["properties"]["summary"]["properties"]["verdict"]["enum"].append("maybe")
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    monkeypatch.setattr(results_module, "SCHEMA_PATH", path)
    schema.cache_clear()
    try:
        sample_dict["summary"]["verdict"] = "maybe"
        assert validate(sample_dict) == []
    finally:
        schema.cache_clear()


def test_one_of_takes_the_profiles_enums_and_refuses_what_the_results_cannot_hold():
    from oso.profiles import Role as ProfileRole
    from oso.profiles import TransferKind
    from reports.results import ROLES, TRANSFERS, one_of

    assert [one_of(ROLES, r) for r in ProfileRole] == [r.value for r in ProfileRole]
    assert {one_of(TRANSFERS, k) for k in TransferKind} == set(TRANSFERS)
    with pytest.raises(ValueError, match="'swv' is not one of popo, povo"):
        one_of(TRANSFERS, "swv")
