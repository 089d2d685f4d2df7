from reports.diff import diff, render_diff_text
from reports.results import Results


def changed(document, **outcomes):
    """``document`` with check n's outcome set, e.g. ``c1="passed"``; summary left as is (diff ignores it)."""
    for key, outcome in outcomes.items():
        document["checks"][int(key[1:])].update(outcome=outcome)
    return document


def test_identical_runs_have_no_differences(sample):
    d = diff(sample, sample)
    assert d.empty and not d.regressed
    assert "no differences in check outcomes or rule results" in render_diff_text(d)


def test_newly_failing_newly_passing_and_other_changes(sample_dict, sample):
    new_dict = changed(sample_dict, c0="failed", c1="passed", c3="skipped", c5="error")
    new_dict["rules"][0]["result"] = "fail"  # unchanged
    new_dict["rules"][1]["result"] = "skip"
    new = Results.from_dict(new_dict)
    d = diff(sample, new)
    assert [(c.id.split("::")[1], c.old, c.new) for c in d.newly_failing] == [
        ("test_inzage[doel-povo]", "passed", "failed"),
        ("test_sessiecontrole[doel-vovo]", "passed", "error"),
    ]
    assert [(c.old, c.new) for c in d.newly_passing] == [("failed", "passed")]
    assert [(c.old, c.new) for c in d.changed] == [("error", "skipped")]  # stopped running is not fixed
    assert [(r.id, r.old, r.new) for r in d.rules_changed] == [("OSOKIT-TR-SC01", "error", "skip")]
    assert d.regressed and not d.added and not d.removed


def test_added_and_removed_checks_and_rules(sample_dict, sample):
    gone = sample_dict["checks"].pop(4)
    sample_dict["rules"].pop(2)
    extra = dict(
        sample_dict["checks"][0], id="conformance/test_new.py::test_new", outcome="failed", message="new\nmore"
    )
    sample_dict["checks"].append(extra)
    sample_dict["run"].update(seed=7, id="run-2", versions={**sample_dict["run"]["versions"], "osokit": "0.2.0"})
    sample_dict["summary"]["verdict"] = "pass"
    d = diff(sample, Results.from_dict(sample_dict))
    assert [c.id for c in d.added] == [extra["id"]] and [c.id for c in d.removed] == [gone["id"]]
    assert [(r.id, r.old, r.new) for r in d.rules_changed] == [("OG.cat_03", "fail", None)]
    assert d.regressed  # an added check that fails counts
    assert d.notes == ("different seed: 42 -> 7", "osokit 0.1.0 -> 0.2.0")
    text = render_diff_text(d)
    assert "verdict: FAIL -> PASS" in text
    assert "note: different seed: 42 -> 7" in text
    assert f"added checks (1):\n  ✘ OVa.IZ02 (MUST)  {extra['id']}  failed" in text
    assert f"removed checks (1):\n  ✘ OG.cat_03 (SHOULD)  {gone['id']}  failed" in text
    assert "rules changed (1):\n  OG.cat_03 (SHOULD): fail -> (absent)" in text
    assert "newly failing (" not in text  # empty sections are left out
    assert text.endswith("0 newly failing, 0 newly passing, 0 other changes, 1 added, 1 removed, 1 rules changed\n")


def test_text_shows_the_new_failure_message(sample, sample_dict):
    sample_dict["checks"][0].update(outcome="failed", message="expected inzage true\nfound false")
    text = render_diff_text(diff(sample, Results.from_dict(sample_dict)))
    assert (
        "newly failing (1):\n"
        "  ✘ OVa.IZ02 (MUST)  conformance/test_dossier.py::test_inzage[doel-povo]  passed -> failed\n"
        "      expected inzage true\n" in text
    )
