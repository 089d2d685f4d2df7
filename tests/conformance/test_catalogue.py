"""The rules catalogue: well-formed, and every rule the suite promises is covered by a check."""

from __future__ import annotations

import json
import re

from conformance.catalogue import FLOW_RULES, catalogue
from conformance.run import coverage
from oso import rules as dossier_rules
from oso.profiles import TransferKind
from tests.conformance.conftest import osokit


def test_every_rule_is_complete():
    for rule in catalogue().values():
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]+", rule.id), rule.id
        assert rule.level in ("MUST", "SHOULD") and rule.text and rule.source, rule.id
        assert set(rule.roles) <= {"doel", "bron"} and rule.roles, rule.id
    assert len({r.id for r in FLOW_RULES}) == len(FLOW_RULES)


def test_every_rule_has_a_check():
    """Every flow rule and every dossier rule, the binnen-BRIN (OVb) and SWV (PaO) ones included."""
    covered = coverage()
    assert all(rule in catalogue() for rule in covered), "a check names a rule outside the catalogue"
    assert [r.id for r in FLOW_RULES if r.id not in covered] == []
    checked = {c.rule.id for c in dossier_rules.CHECKS}
    assert sorted(checked - set(covered)) == []
    assert {r for r in covered if r.startswith(("OVb.", "PaO."))} == {
        r for r in checked if r.startswith(("OVb.", "PaO."))
    }
    assert len([r for r in covered if r.startswith("PaO.")]) > 40


def test_doel_rules_concern_the_kinds_the_doel_is_certified_for():
    doel_only = [r for r in catalogue().values() if r.roles == ("doel",)]
    assert doel_only and all({p.value for p in r.profiles} == {"popo", "povo", "vovo"} for r in doel_only)
    assert {p.value for p in catalogue()["BRON-DOSSIER-01"].profiles} >= {"binnenbrin", "poswv", "voswv"}
    assert not catalogue()["PaO.LL12"].applies(("bron",), (TransferKind.POVO,))
    assert catalogue()["PaO.LL12"].applies(("bron",), (TransferKind.POSWV,))
    assert catalogue()["OVb.LL01"].applies(("bron",), (TransferKind.BINNENBRIN,))


def test_rules_command_prints_coverage_and_the_last_result(tmp_path):
    listed = osokit("conformance", "rules", "--role", "doel")
    assert listed.returncode == 0
    assert "TC-AFMELD-01" in listed.stdout and "BRON-VERZ-01" not in listed.stdout
    assert re.search(r"TC-AFMELD-01 .*\n\s+\d+ check\(s\)", listed.stdout)

    run = osokit(
        "conformance",
        "run",
        "--target",
        "mutant:doel-never-closes",
        "--role",
        "doel",
        "--transfer",
        "popo",
        "--out",
        str(tmp_path),
    )
    assert run.returncode == 1
    rows = osokit("conformance", "rules", "--results", str(tmp_path / "results.json"), "--json")
    by_id = {r["id"]: r for r in __import__("json").loads(rows.stdout)}
    assert by_id["TC-AFMELD-01"]["last"] == "fail" and by_id["TC-SESSION-01"]["last"] == "pass"
    assert by_id["BRON-VERZ-01"]["last"] is None and by_id["TC-AFMELD-01"]["checks"]


def test_the_rules_listing_ends_with_no_rule_without_a_check_and_says_what_the_doel_is_certified_for():
    listed = osokit("conformance", "rules")
    assert listed.returncode == 0
    assert listed.stderr.strip().splitlines()[-1].endswith("rules without a check: none")
    assert "the doel role is certified for popo, povo, vovo; binnenbrin, poswv, voswv in the bron role only" in (
        listed.stderr
    )
    rows = {r["id"]: r for r in json.loads(osokit("conformance", "rules", "--json").stdout)}
    assert rows["DOEL-ASKED-01"]["transfers"] == ["popo", "povo", "vovo"]
    assert rows["OVb.LL01"]["transfers"] == ["binnenbrin"] and rows["PaO.VV01"]["transfers"] == ["voswv"]
