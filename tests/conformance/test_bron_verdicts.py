"""The bron verdicts mean what they say: the vendor's own export is what is checked, a refusal must carry
its documented code, and the dossier must be the pupil's asked for."""

from __future__ import annotations

import pytest

from reports.results import Results
from tests.conformance.conftest import osokit

REFUSE = "test_bron.py::test_no_dossier_before_it_is_prepared"
SESSION = "test_bron.py::test_no_dossier_for_a_session_the_tc_refuses"


def run(out, *args: str) -> tuple[int, Results, str]:
    done = osokit("conformance", "run", "--role", "bron", "--transfer", "povo", "--out", str(out), *args)
    assert done.returncode in (1, 3), done.stdout[-2000:] + done.stderr[-2000:]  # a run of some checks: never PASS
    return done.returncode, Results.load(out / "results.json"), done.stdout


def failing(results: Results) -> dict[str, str]:
    return {c.rule: c.message or "" for c in results.checks if c.failing}


def test_the_vendors_own_export_is_checked_and_passthrough_says_it_was_not(tmp_path):
    """A LAS whose export ignores the school's choice of categories: caught in export mode, invisible in
    passthrough mode, where the check's rule is not tested (never a PASS) and the report says why."""
    only = ["--only", "test_bron.py::test_the_dossier_carries_what_was_prepared[opt-out-povo]"]
    code, results, _ = run(tmp_path / "export", "--target", "mutant:bron-export-ignores-deliver", *only)
    assert code == 1 and results.run.prepare == "export"
    message = failing(results)["BRON-DOSSIER-03"]
    assert "/dossier/metadata/categorie_uitlevering/cat_verzuim: expected 'OPT-UIT'" in message
    assert "/dossier/huidigeschool/leerling/verzuim: expected nothing: verzuim is left out" in message

    code, results, stdout = run(
        tmp_path / "passthrough", "--target", "mutant:bron-export-ignores-deliver", "--prepare", "passthrough", *only
    )
    assert code == 3 and results.run.prepare == "passthrough" and results.run.export_untested
    check = next(c for c in results.checks if c.rule == "BRON-DOSSIER-03")
    assert check.outcome == "skipped" and check.message.startswith("passthrough mode: the LAS's own export")
    untested = next(u for u in results.untested if u.rule == "BRON-DOSSIER-03")
    assert untested.remedy.startswith("run in export mode (--prepare export")
    assert "note: passthrough mode: the LAS's own export (klaarzetten) was not tested" in stdout
    assert "own export (klaarzetten) was not tested" in (tmp_path / "passthrough" / "report.html").read_text()


@pytest.mark.parametrize(
    ("mutant", "says"),
    [
        ("bron-wrong-refusal-code", "found the refusal InterneFout"),
        ("bron-refusal-http-500", "found HTTP 500 without a SOAP fault"),
        ("bron-refusal-as-response", "found a malformed answer"),
        ("bron-dead-endpoint", "found no answer"),
    ],
)
def test_a_refusal_must_be_the_documented_fault(tmp_path, mutant, says):
    code, results, _ = run(tmp_path, "--target", f"mutant:{mutant}", "--only", REFUSE, "--only", SESSION)
    found = failing(results)
    assert code == 1 and set(found) == {"BRON-REFUSE-01", "BRON-SESSION-02"}
    assert found["BRON-REFUSE-01"].startswith("expected the SOAP fault DossierNietGereed (HTTP 500)")
    assert says in found["BRON-REFUSE-01"], found["BRON-REFUSE-01"]
    assert "SessieOnbekend" in found["BRON-SESSION-02"]


def test_another_pupils_dossier_is_caught(tmp_path):
    """Twins at one school: a lookup that serves the next pupil serves the twin (same surname, birth date)."""
    only = "test_bron.py::test_the_dossier_is_of_the_pupil_asked_for[full-popo]"
    done = osokit(
        "conformance",
        "run",
        "--target",
        "mutant:bron-serves-other-pupil",
        "--role",
        "bron",
        "--transfer",
        "popo",
        "--only",
        only,
        "--out",
        str(tmp_path),
    )
    message = failing(Results.load(tmp_path / "results.json"))["BRON-DOSSIER-02"]
    assert done.returncode == 1 and "expected the dossier of the pupil asked for" in message
    assert "found another pupil's" in message
    assert "/dossier/huidigeschool/leerling/bsn: expected" in message and "personalia.voornamen" in message
