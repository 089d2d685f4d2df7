"""Failures a vendor can fix: expected vs found in words, the messages that show it marked, the LAS's own
exchanges always in the evidence, evidence or the reason there is none, an osokit re-run line."""

from __future__ import annotations

import shlex

import pytest

from conformance.plugin import evidence_rows
from reports.results import Results
from reports.text import MASKED_HINT
from tests.conformance.conftest import osokit


@pytest.fixture(scope="module")
def closes_twice(tmp_path_factory):
    out = tmp_path_factory.mktemp("closes-twice")
    done = osokit("conformance", "run", "--target", "mutant:doel-closes-twice", "--role", "doel", "--out", str(out))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    return Results.load(out / "results.json"), out


def test_a_failure_says_expected_and_found_in_words_not_pytest_assertion_text(closes_twice):
    results, _ = closes_twice
    failed = [c for c in results.checks if c.outcome == "failed"]
    assert failed and all(c.rule in ("TC-AFMELD-01", "DOEL-ROBUST-01") for c in failed)
    for c in failed:
        assert c.expected.startswith("exactly one afmelding") and c.found == "2 afmelding(en)", c
        assert c.message.startswith(f"expected {c.expected}; found {c.found}")
        assert "assert " not in c.message and "AssertionError" not in c.message and "Seen(" not in c.message
    per_session = next(c for c in failed if c.rule == "TC-AFMELD-01")
    assert per_session.where.startswith("session ")


def test_the_messages_that_show_the_failure_are_marked_and_the_las_exchanges_are_there(closes_twice):
    results, _ = closes_twice
    for c in (c for c in results.checks if c.failing):
        marked = [e for e in c.evidence if e.offending]
        assert [e.operation for e in marked] == ["afmeldingRequest", "afmeldingResponse"] * 2, c.id
        assert all(e.vendor == "vut" for e in marked), "the afmeldingen are the LAS's own"
        assert {e.operation for e in c.evidence} >= {"overdrachtRequest", "documentRequest", "afmeldingRequest"}


def test_every_failing_check_has_evidence_or_says_why_and_a_rerun_command(closes_twice):
    results, out = closes_twice
    for c in (c for c in results.checks if c.failing):
        assert c.evidence or c.no_evidence, c.id
        rerun = shlex.split(c.rerun)
        assert rerun[:3] == ["osokit", "conformance", "run"] and rerun[rerun.index("--only") + 1] == c.id
    junit = (out / "junit.xml").read_text(encoding="utf-8")
    assert "expected: exactly one afmelding" in junit and "found:    2 afmelding(en)" in junit
    assert "evidence (&gt;&gt; marks the messages that show the failure):" in junit and "  &gt;&gt; #" in junit
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<dl class="said"><dt>expected</dt><dd>exactly one afmelding' in html
    assert '<details class="offending" open><summary><span class="mark">▶ shows the failure</span>' in html


def test_masked_pupil_numbers_come_with_a_show_pgn_hint(tmp_path):
    done = osokit(
        "conformance", "run", "--target", "mutant:bron-leaks-pgn", "--role", "bron", "--transfer", "povo",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:]
    results = Results.load(tmp_path / "results.json")
    leak = next(c for c in results.checks if c.failing and c.rule == "TC-PGN-01")
    assert leak.masked and "--show-pgn" not in leak.rerun
    assert MASKED_HINT in (tmp_path / "junit.xml").read_text() and MASKED_HINT in (tmp_path / "report.html").read_text()
    assert not any(c.masked for c in results.checks if c.outcome == "passed")


def test_the_evidence_keeps_what_matters_when_the_window_is_long():
    """60 messages, a limit of 40: the failure's exchange and the LAS's own (the last ones) are kept."""
    rows = [{"id": n, "exchange": n - n % 2} for n in range(1, 61)]
    kept = evidence_rows(rows, {10}, {56, 58}, limit=40)
    ids = [m["id"] for m in kept]
    assert len(ids) == 40 and ids == sorted(ids)
    assert {10, 11, 56, 57, 58, 59} <= set(ids) and 60 not in ids
    assert evidence_rows(rows[:5], set(), limit=40) == rows[:5]
