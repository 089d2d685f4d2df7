"""Pupil numbers (PGNs) stay out of the OSO wire, the evidence log, the server's logs and the reports
(unless asked for with --show-pgn), and the reports carry no secrets."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from lxml import etree

from oso import faults
from oso import transport as t
from oso.namespaces import DOSSIER, SERVICE
from oso.zoeksleutel import pgns_in_clear
from simulator.service import DB_NAME, Config
from simulator.testing import World
from tests.simulator.conftest import SMALL_COHORT
from tests.simulator.durability import Workload
from tests.simulator.hostile import REQUESTS, ZS, valid
from tests.simulator.serve import SMALL_COHORT_ARGS, start

MASKED = re.compile(r"\*{7}\d\d")


def full_transfer(world) -> tuple[dict, t.OverdrachtResponse]:
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    assert world.document(pupil, doel, granted).resultaat == "OverdrachtGeslaagd"
    world.oso.afmelding(sessie_id=granted.sessie_id, doel_rk=doel[1], resultaat="OverdrachtGeslaagd")
    return pupil, granted


def pgn_in_clear_request(url: str, pgn: str) -> None:
    body = valid(REQUESTS[0]).replace(ZS.zoeksleutel.encode(), pgn.encode())
    answer = httpx.post(f"{url}/tc", content=body, headers={"content-type": "text/xml"}, timeout=10)
    assert f"<code>{faults.PGN_ONVERSLEUTELD}</code>" in answer.text and pgn not in answer.text


@pytest.mark.parametrize("show_pgn", [False, True], ids=["default", "show-pgn"])
def test_the_evidence_log_masks_pupil_numbers_unless_asked(tmp_path, show_pgn):
    world = World(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT, show_pgn=show_pgn))
    try:
        pupil, _ = full_transfer(world)
        pgn_in_clear_request(world.url, pupil["pgn"])
        bodies = world.admin.get("/admin/messages", params={"body": 1, "limit": 1000}).json()["messages"]
    finally:
        world.close()
    in_clear = {n for m in bodies for n in pgns_in_clear(m["body"] or "")}
    dossier = next(m["body"] for m in bodies if m["operation"] == "documentResponse")
    refusal = next(m["exchange"] for m in bodies if m["fault"] == faults.PGN_ONVERSLEUTELD)
    refused = next(m["body"] for m in bodies if m["exchange"] == refusal and m["direction"] == "in")
    if show_pgn:
        assert pupil["pgn"] in dossier and pupil["pgn"] in refused and pupil["pgn"] in in_clear
    else:
        assert in_clear == set()
        assert f"*******{pupil['pgn'][-2:]}" in dossier and f"*******{pupil['pgn'][-2:]}" in refused


def test_no_pupil_number_on_the_wire_outside_the_dossier(world):
    """The transport messages carry zoeksleutels, never a PGN; only the dossier itself holds the BSN
    (inside TLS, by design)."""
    pupil, _ = full_transfer(world)
    seen = dossiers = 0
    for exchange in world.oso.exchanges:
        for data in (exchange.request, exchange.response):
            root = etree.fromstring(data)
            for dossier in root.iterfind(f".//{{{SERVICE}}}documentResponse/{{{DOSSIER}}}dossier"):
                assert pupil["pgn"] in etree.tostring(dossier).decode()  # the dossier is where it belongs
                dossier.getparent().remove(dossier)
            assert pgns_in_clear(etree.tostring(root).decode()) == [], exchange.url
            seen += 1
            dossiers += b"<dossier" in data
    assert seen == 6 and dossiers == 1  # overdracht, document, afmelding: requests and answers


def test_server_output_has_no_pupil_number_or_key(tmp_path):
    served = start(tmp_path / "data", *SMALL_COHORT_ARGS, "--log-level", "debug")
    try:
        with httpx.Client(base_url=served.url, timeout=10) as admin, httpx.Client(timeout=10) as http:
            pupil = admin.get("/admin/pupils/povo").json()
            vo = next(s for s in admin.get("/admin/register").json()["schools"] if s["sector"] == "vo")
            load = Workload(served.url, pupil, (vo["brin"], vo["endpoints"][0]["routeringskenmerk"]))
            load.transfer(http)
            pgn_in_clear_request(served.url, pupil["pgn"])
            http.post(f"{served.url}/tc", content=b"<x", headers={"content-type": "text/xml"})
    finally:
        served.stop()
    assert list(load.acknowledged.values()) == ["afgemeld"]
    with sqlite3.connect(tmp_path / "data" / DB_NAME) as db:
        key = db.execute("SELECT value FROM meta WHERE key = 'zoeksleutel_key'").fetchone()[0]
    output = served.output()
    assert "listening on" in output and pgns_in_clear(output) == []
    assert key not in output and key.upper() not in output


# --- the reports of a conformance run ------------------------------------------------------------


def conformance_run(tmp_path: Path, *flags: str) -> tuple[dict[str, str], list[str]]:
    """A bron run against the mutant that leaks a PGN, so failures carry evidence with pupil numbers.
    Returns the three reports, and the secrets of the run: its zoeksleutel key and its private keys."""
    out, work = tmp_path / "out", tmp_path / "tmp"
    work.mkdir(parents=True)
    command = [sys.executable, "-m", "osokit.cli", "conformance", "run", "--target", "mutant:bron-leaks-pgn", "--keep"]
    done = subprocess.run(
        [*command, "--role", "bron", "--transfer", "povo", "--out", str(out), *flags],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ | {"TMPDIR": str(work)},
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]  # the mutant fails TC-PGN-01
    reports = {name: (out / name).read_text() for name in ("results.json", "junit.xml", "report.html")}
    (run_dir,) = work.glob("osokit-conformance-*")
    with sqlite3.connect(run_dir / "simulator" / DB_NAME) as db:
        key = db.execute("SELECT value FROM meta WHERE key = 'zoeksleutel_key'").fetchone()[0]
    pem_lines = [
        line
        for pem in run_dir.glob("pki/**/*.key")
        for line in pem.read_text().splitlines()
        if line and not line.startswith("-----")
    ]
    assert pem_lines, "the run made no private keys: nothing to look for"
    return reports, [key, *pem_lines]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("conformance")
    return {"default": conformance_run(base / "default"), "show-pgn": conformance_run(base / "show", "--show-pgn")}


def evidence_bodies(results_json: str) -> str:
    data = json.loads(results_json)
    found = []

    def walk(node):
        if isinstance(node, dict):
            found.extend(e.get("body") or "" for e in node.get("evidence", []) if isinstance(e, dict))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return "\n".join(found)


def test_a_run_leaves_no_keys_behind_unless_asked(tmp_path):
    command = [sys.executable, "-m", "osokit.cli", "conformance", "run", "--role", "bron", "--transfer", "povo"]
    work = tmp_path / "tmp"
    work.mkdir()
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ | {"TMPDIR": str(work)},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert list(work.iterdir()) == [], "the run's simulator data and test keys stay behind"


def test_report_evidence_is_masked_by_default_and_in_clear_with_show_pgn(runs):
    masked, shown = (evidence_bodies(runs[kind][0]["results.json"]) for kind in ("default", "show-pgn"))
    assert MASKED.search(masked) and pgns_in_clear(masked) == []
    assert pgns_in_clear(shown) and not MASKED.search(shown)
    assert MASKED.search(runs["default"][0]["report.html"])  # the page shows the same, masked, evidence


def test_reports_carry_no_pupil_number_anywhere_by_default(runs):
    reports, _ = runs["default"]
    for name, text in reports.items():
        assert pgns_in_clear(text) == [], name


@pytest.mark.parametrize("kind", ["default", "show-pgn"])
def test_reports_carry_no_secrets(runs, kind):
    reports, secrets = runs[kind]
    for name, text in reports.items():
        assert "PRIVATE KEY" not in text, name
        for secret in secrets:
            assert secret not in text, (name, secret[:8])
