"""Sample results for the report tests: small and hand-made, with the awkward parts on purpose.

Six checks over five rules: a pass, a MUST failure (expected, found, where) whose evidence is XML
full of ``<``, ``&``, ``"`` and a ``<script>`` element, a skip, an error, a SHOULD failure, a rule
left untested and one that does not apply; the two MUST rules left open are listed as not tested.
``v1_document()`` is the same run as osokit-results/1 wrote it.
``python tests/reports/conftest.py sample.json`` writes the sample (docs/report-screenshot.png is made from it).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from reports.results import Results

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OSO = "http://xml.kennisnet.nl/schemas/Overstapservice/20200910"

EVIL_BODY = (
    f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
    f'<documentResponse xmlns="{OSO}"><resultaat>DossierGeleverd</resultaat>'
    '<dossier><naam achternaam="Jansen &amp; &quot;Zn&quot;">Piet &lt;b&gt;</naam>'
    '<script>alert("owned")</script><inzage>false</inzage></dossier>'
    "</documentResponse></soap:Body></soap:Envelope>"
)
RUN_CMD = "osokit conformance run --target mutant:skip-inzage --seed 42 --out out/conformance"


def _check(node: str, rule: str, level: str, outcome: str, **extra: Any) -> dict[str, Any]:
    check = {
        "id": f"conformance/{node}",
        "name": node.split("::")[-1],
        "rule": rule,
        "level": level,
        "role": None,
        "transfer": None,
        "outcome": outcome,
        "duration_s": 0.25,
        "message": None,
        "evidence": [],
        "rerun": f"osokit conformance run --target mutant:skip-inzage --seed 42 --only 'conformance/{node}'",
    }
    check.update(extra)
    return check


def sample_document() -> dict[str, Any]:
    checks = [
        _check("test_dossier.py::test_inzage[doel-povo]", "OVa.IZ02", "MUST", "passed", role="doel", transfer="povo"),
        _check(
            "test_dossier.py::test_inzage[bron-povo]",
            "OVa.IZ02",
            "MUST",
            "failed",
            role="bron",
            transfer="povo",
            duration_s=1.5,
            message='expected inzage true; found "false" (the LAS sent <script>alert(1)</script> & more) '
            "(where: <dossier> at /Envelope/Body/documentResponse)",
            expected="inzage true",
            found='"false" (the LAS sent <script>alert(1)</script> & more)',
            where="<dossier> at /Envelope/Body/documentResponse",
            masked=True,
            no_evidence=None,
            evidence=[
                {
                    "id": 17,
                    "at": "2025-03-01T10:00:01.250+01:00",
                    "direction": "out",
                    "endpoint": "/schools/RK-BRON-01",
                    "operation": "document",
                    "vendor": "reference",
                    "status": None,
                    "fault": None,
                    "headers": {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"document"'},
                    "offending": False,
                    "body": f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><documentRequest xmlns="{OSO}">'
                    "<koppelsleutel>ab12</koppelsleutel></documentRequest></soap:Body></soap:Envelope>",
                },
                {
                    "id": 18,
                    "at": "2025-03-01T10:00:01.900+01:00",
                    "direction": "in",
                    "endpoint": "/schools/RK-BRON-01",
                    "operation": "document",
                    "vendor": "mutant",
                    "status": 200,
                    "fault": None,
                    "headers": None,
                    "offending": True,
                    "body": EVIL_BODY,
                },
            ],
        ),
        _check(
            "test_transport.py::test_sessiecontrole[bron-vovo]",
            "OSOKIT-TR-SC01",
            "MUST",
            "skipped",
            role="bron",
            transfer="vovo",
            message="not applicable: the bron side never calls sessiecontrole",
            duration_s=0.0,
        ),
        _check(
            "test_transport.py::test_sessiecontrole[doel-popo]",
            "OSOKIT-TR-SC01",
            "MUST",
            "error",
            role="doel",
            transfer="popo",
            message="TimeoutError: the doel LAS did not answer within 30 s",
            duration_s=30.0,
            evidence=[{"direction": "out", "endpoint": "/tc", "operation": "sessiecontrole", "fault": "Timeout"}],
        ),
        _check(
            "test_dossier.py::test_categories_declared",
            "OG.cat_03",
            "SHOULD",
            "failed",
            message="categorie_uitlevering lists 'toets' but the dossier has no toetsen",
        ),
        _check(
            "test_transport.py::test_sessiecontrole[doel-vovo]",
            "OSOKIT-TR-SC01",
            "MUST",
            "passed",
            role="doel",
            transfer="vovo",
        ),
    ]
    ids = [c["id"] for c in checks]
    rules = [
        {
            "id": "OVa.IZ02",
            "text": "Parents have seen the dossier: inzage is true.",
            "source": "Edustandaard OSO gegevensset 2019.1, bedrijfsregels OVa",
            "level": "MUST",
            "roles": ["doel", "bron"],
            "checks": ids[0:2],
            "result": "fail",
        },
        {
            "id": "OSOKIT-TR-SC01",
            "text": "A doel LAS calls sessiecontrole before it accepts a document.",
            "source": "docs/transport.md",
            "level": "MUST",
            "roles": ["doel"],
            "checks": [ids[2], ids[3], ids[5]],
            "result": "error",
        },
        {
            "id": "OG.cat_03",
            "text": "Declared categories are present & non-empty (<categorie_uitlevering>).",
            "source": "Edustandaard OSO gegevensset 2019.1",
            "level": "SHOULD",
            "checks": [ids[4]],
            "result": "fail",
        },
        {
            "id": "OVa.LL13",
            "text": "A POVO dossier after the eindtoets carries its result.",
            "source": "Edustandaard OSO gegevensset 2019.1, bedrijfsregels OVa",
            "level": "MUST",
            "roles": ["bron"],
            "checks": [],
            "result": "untested",
        },
        {
            "id": "OVb.LL01",
            "text": "A binnen-BRIN dossier names the pupil.",
            "source": "Edustandaard OSO gegevensset 2019.1, bedrijfsregels OVb",
            "level": "MUST",
            "roles": ["bron"],
            "checks": [],
            "result": "not-applicable",
        },
    ]
    untested = [
        {
            "rule": "OSOKIT-TR-SC01",
            "level": "MUST",
            "reason": "not applicable: the bron side never calls sessiecontrole; the check could not reach a "
            "verdict: TimeoutError: the doel LAS did not answer within 30 s",
            "remedy": "make the LAS's control API answer every call, within --timeout (30 s), and run again",
            "checks": [ids[2], ids[3]],
        },
        {
            "rule": "OVa.LL13",
            "level": "MUST",
            "reason": "osokit has no check for this rule yet",
            "remedy": "none in this osokit version: the verdict cannot be PASS until osokit checks it",
            "checks": [],
        },
    ]
    return {
        "schema": "osokit-results/2",
        "run": {
            "id": "run-20250301-100000-42",
            "started": "2025-03-01T10:00:00+01:00",
            "finished": "2025-03-01T10:00:34.5+01:00",
            "duration_s": 34.5,
            "seed": 42,
            "target": "mutant:skip-inzage",
            "mutant": "skip-inzage",
            "roles": ["doel", "bron"],
            "transfers": ["popo", "povo", "vovo"],
            "adapter": "simulator",
            "simulator": {"faults": "none", "tls": True, "clock": None},
            "versions": {"osokit": "0.1.0", "python": "3.11.7", "gegevensset": "2019.1"},
            "command": RUN_CMD,
        },
        "summary": {
            "total": 6,
            "passed": 2,
            "failed": 2,
            "skipped": 1,
            "errors": 1,
            "must_failed": 1,
            "should_failed": 1,
            "untested": 2,
            "verdict": "fail",
        },
        "untested": untested,
        "rules": rules,
        "checks": checks,
    }


def v1_document() -> dict[str, Any]:
    """The sample as osokit-results/1 wrote it: errors counted as failures, no list of what was not tested."""
    doc = sample_document()
    doc["schema"] = "osokit-results/1"
    del doc["untested"], doc["summary"]["untested"]
    doc["summary"]["must_failed"] = 2
    doc["rules"] = [r for r in doc["rules"] if r["result"] != "not-applicable"]
    doc["rules"][1]["result"] = "fail"
    for check in doc["checks"]:
        for key in ("expected", "found", "where", "masked", "no_evidence"):
            check.pop(key, None)
        for e in check["evidence"]:
            e.pop("headers", None), e.pop("offending", None)
    return doc


def large_document(n: int) -> dict[str, Any]:
    """``n`` checks over ``n // 10`` rules, every tenth failing with the evil body as evidence."""
    base = sample_document()
    failing = base["checks"][1]
    rules, checks = [], []
    for r in range(max(1, n // 10)):
        rule_id = f"OVa.X{r:03d}"
        ids = []
        for k in range(10):
            c = copy.deepcopy(failing) if k == 0 else _check("t.py::x", rule_id, "MUST", "passed")
            c["id"] = c["name"] = f"conformance/test_bulk.py::test_{r}_{k}"
            c["rule"] = rule_id
            checks.append(c)
            ids.append(c["id"])
        rules.append(
            {
                "id": rule_id,
                "text": f"bulk rule {r}",
                "source": "bulk",
                "level": "MUST",
                "checks": ids,
                "result": "fail",
            }
        )
    checks = checks[:n]
    failed = sum(c["outcome"] == "failed" for c in checks)
    base["rules"], base["checks"] = rules, checks
    base["summary"] = {
        "total": len(checks),
        "passed": len(checks) - failed,
        "failed": failed,
        "skipped": 0,
        "errors": 0,
        "must_failed": failed,
        "should_failed": 0,
        "untested": 0,
        "verdict": "fail",
    }
    base["untested"] = []
    return base


@pytest.fixture
def sample_dict() -> dict[str, Any]:
    return sample_document()


@pytest.fixture
def sample() -> Results:
    return Results.from_dict(sample_document())


@pytest.fixture
def v1_dict() -> dict[str, Any]:
    return v1_document()


@pytest.fixture
def large() -> Callable[[int], Results]:
    return lambda n: Results.from_dict(large_document(n))


if __name__ == "__main__":
    import sys

    Results.from_dict(sample_document()).dump(sys.argv[1])
