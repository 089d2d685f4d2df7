"""Schema-valid input gets a correct answer or a specific fault, never InterneFout; every answer is
well-formed XML built as a tree: a fault echoing bytes of the request, a prepared dossier carried in a
documentResponse (which the control API refuses at prepare time unless it is one well-formed element)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from lxml import etree

from oso import envelope, faults
from oso import transport as t
from oso.codec import DUTCH_TIME
from oso.faults import OsoFault
from oso.namespaces import DOSSIER, SERVICE, SOAP11
from oso.xmlmodel import XmlFragment
from simulator.mutants import vendor_under_test
from simulator.service import VUT_SCHOOLS, Config
from simulator.testing import World
from tests.simulator.conftest import SMALL_COHORT

XML = {"content-type": "text/xml; charset=utf-8"}
BSN = "999990111"  # the documented synthetic block (docs/synthetic-data.md), 11-proef valid


@pytest.mark.parametrize(("minutes", "served"), [(-30, True), (30, False)], ids=["before", "after"])
def test_a_verzameldatum_without_a_timezone_is_read_as_dutch_time(world, minutes, served):
    """Half an hour before or after the dossier was prepared, in Dutch time without the offset: as UTC
    (or compared naive with aware, which failed with InterneFout) "before" would not get the dossier."""
    pupil, doel = world.pupil("povo"), world.school("vo")
    prepared = world.sim.catalogue.versions(world.sim.catalogue.get("povo"))[0].prepared
    asked = (prepared.astimezone(DUTCH_TIME) + timedelta(minutes=minutes)).replace(tzinfo=None)
    granted = world.overdracht(pupil, doel)
    try:
        answer = world.document(pupil, doel, granted, dossier_verzameldatum=asked)
    except OsoFault as fault:
        assert not served and fault.code == faults.GEEN_NIEUWER_DOSSIER, fault
    else:
        assert served and answer.resultaat == faults.GESLAAGD


def test_a_terugkoppeling_carrying_another_dossier_element_is_a_schema_fault(world):
    brin, rk = world.school("po")
    request = t.TerugkoppelingRequest(
        bron_brin=brin,
        bron_rk=rk,
        doel_brin=brin,
        doel_rk=rk,
        koppelsleutel="0b1f5e12-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
        terugkoppeling=XmlFragment(f'<dossier xmlns="{DOSSIER}"><x/></dossier>'),
    )
    answer = world.admin.post(f"/schools/{rk}", content=envelope.message(request), headers=XML)
    fault = envelope.fault_in(answer.content)
    assert fault.code == faults.SCHEMA_FOUT and "<dossier>" in fault.message, fault


@pytest.mark.parametrize(
    ("echo", "shown"),
    [("%00", "AB\\x00CD"), ("%01%1b", "AB\\x01\\x1bCD"), ("%ED%A0%80", "AB\ufffd\ufffd\ufffdCD")],
    ids=["nul", "controls", "a-surrogate-uvicorn-replaces"],
)
def test_a_fault_echoing_bytes_xml_cannot_carry_stays_well_formed(world, echo, shown):
    pupil, doel = world.pupil("povo"), world.school("vo")
    request = t.DocumentRequest(
        sessie_id="00000000-0000-0000-0000-000000000000",
        bron_brin=pupil["bron_brin"],
        bron_rk=doel[1],
        doel_brin=doel[0],
        doel_rk=doel[1],
        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
        overdrachtsoort="overstapdossier",
    )
    answer = world.admin.post(f"/schools/AB{echo}CD", content=envelope.message(request), headers=XML)
    root = etree.fromstring(answer.content)  # raises if not well-formed
    melding = root.findtext(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault/detail/{{{SERVICE}}}fout/{{{SERVICE}}}melding")
    assert answer.status_code == 500 and melding == f"no aanleverpunt {shown} is served here", melding


@pytest.fixture
def vut(tmp_path):
    w = World(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT, vut=vendor_under_test("reference")))
    yield w
    w.close()


def prepare(vut, dossier: object, prepared: str = "2026-03-02T10:00:00+01:00") -> httpx.Response:
    bron = next(iter(VUT_SCHOOLS))
    body = {"bron_brin": bron, "pgn": BSN, "versions": [{"prepared": prepared, "dossier": dossier}]}
    return vut.admin.post("/control/dossiers", json=body)


GOOD = f'<dossier xmlns="{DOSSIER}"><metadata/></dossier>'


@pytest.mark.parametrize(
    "dossier",
    [
        f'<!DOCTYPE dossier [<!ENTITY x "y">]>{GOOD}',
        f"{GOOD}<leerling/>",  # a second element, pasted after the first
        f"</dossier></documentResponse><documentResponse>{GOOD}",
        '<dossier xmlns="x">not closed',
        "",
        5,
    ],
    ids=["doctype", "two-elements", "injection", "not-well-formed", "empty", "not-a-string"],
)
def test_the_control_api_refuses_a_dossier_that_is_not_one_well_formed_element(vut, dossier):
    answer = prepare(vut, dossier)
    assert answer.status_code == 400 and "versions[0]" in answer.json()["error"], answer.text


def test_the_control_api_refuses_a_prepared_moment_without_a_timezone(vut):
    answer = prepare(vut, GOOD, prepared="2026-03-02T10:00:00")
    assert answer.status_code == 400 and "timezone" in answer.json()["error"]


def test_a_prepared_dossier_goes_out_as_the_element_it_is(vut):
    assert prepare(vut, f"<!-- a comment -->\n{GOOD}").status_code == 204
    bron = next(iter(VUT_SCHOOLS))
    rk = vut.sim.register.endpoints_of(bron)[0].routeringskenmerk
    doel = vut.school("vo")
    zs = t.ZoeksleutelPgnfrag(zoeksleutel=vut.sim.scheme.zoeksleutel(BSN))
    granted = vut.oso.overdracht(
        bron_brin=bron, doel_brin=doel[0], doel_rk=doel[1], zoeksleutel_pgnfrag=zs, overdrachtsoort="overstapdossier"
    )
    request = t.DocumentRequest(
        sessie_id=granted.sessie_id,
        bron_brin=bron,
        bron_rk=rk,
        doel_brin=doel[0],
        doel_rk=doel[1],
        zoeksleutel_pgnfrag=zs,
        overdrachtsoort="overstapdossier",
    )
    answer = vut.admin.post(f"/schools/{rk}", content=envelope.message(request), headers=XML)
    body = etree.fromstring(answer.content).find(f"{{{SOAP11}}}Body/{{{SERVICE}}}documentResponse")
    assert [c.tag for c in body] == [f"{{{SERVICE}}}resultaat", f"{{{DOSSIER}}}dossier"], answer.text
