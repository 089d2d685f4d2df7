"""With --tls a vendor is its client certificate and may act only for the schools that mandated it:
every vendor x school x operation combination, and the certificates that must be refused."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest

from oso import faults
from oso import transport as t
from oso.faults import OsoFault
from simulator.client import OsoClient, tls_context
from simulator.pki import init_pki, issue_client_certificate
from simulator.service import Config
from tests.simulator.conftest import SMALL_COHORT, start_world

VENDORS = ("vendor-a", "vendor-b", "reference")
SCENARIO = """
[settings]
clock_start = 2026-03-02T09:00:00+01:00
[register]
synthetic_regions = ["Noord"]
[[vendor]]
id = "vendor-a"
number = 11
[[vendor]]
id = "vendor-b"
number = 12
[[school]]
brin = "12AA"
sector = "vo"
vendor = "vendor-a"
[[school.endpoint]]
url = "https://127.0.0.1:9/a"
[[school]]
brin = "13AA"
sector = "vo"
vendor = "vendor-b"
[[school.endpoint]]
url = "https://127.0.0.1:9/b"
[[pupil]]
label = "povo"
profile = "povo"
"""
AUTH_CODES = {faults.NIET_GEMACHTIGD, faults.CERTIFICAAT_ONTBREEKT, faults.CERTIFICAAT_ONBEKEND}


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    pki = init_pki(base / "pki", list(VENDORS))
    scenario = base / "scenario.toml"
    scenario.write_text(SCENARIO)
    world = start_world(
        Config(data_dir=base / "data", scenario=scenario, tls=True, pki_dir=pki.directory, cohort=SMALL_COHORT)
    )
    clients = {
        v: OsoClient(world.url, tls=tls_context(pki.ca_cert, pki.vendor_cert(v), pki.vendor_key(v))) for v in VENDORS
    }
    clients["none"] = OsoClient(world.url, tls=tls_context(pki.ca_cert))
    world.admin.close()
    world.admin = httpx.Client(base_url=world.url, verify=tls_context(pki.ca_cert), timeout=30)
    yield world, clients, pki, base
    for c in clients.values():
        c.close()
    world.close()


def schools(world):
    """One doel school per vendor: a's, b's, and one the reference LAS serves."""
    ref = next(b for b, s in world.sim.register.schools.items() if s.vendor == "reference" and s.sector == "vo")
    return {"vendor-a": "12AA", "vendor-b": "13AA", "reference": ref}


def rk_of(world, brin):
    return world.sim.register.endpoints_of(brin)[0].routeringskenmerk


def outcome(call) -> str:
    try:
        call()
    except OsoFault as fault:
        return fault.code if fault.code in AUTH_CODES else "allowed"
    return "allowed"


OPERATIONS = ("overdracht", "afmelding", "sessiecontrole", "meldenNotificatie", "document")


def attempt(world, client, operation, brin, pupil):
    rk = rk_of(world, brin)
    sessie = str(uuid.uuid4())
    zs = t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"])
    if operation == "overdracht":  # as doel school brin
        return lambda: client.overdracht(
            bron_brin=pupil["bron_brin"],
            doel_brin=brin,
            doel_rk=rk,
            zoeksleutel_pgnfrag=zs,
            overdrachtsoort="overstapdossier",
        )
    if operation == "afmelding":  # as doel, on a session granted to that doel
        granted = world.sim.tc.overdracht(
            t.OverdrachtRequest(
                bron_brin=pupil["bron_brin"],
                doel_brin=brin,
                doel_rk=rk,
                zoeksleutel_pgnfrag=zs,
                overdrachtsoort="overstapdossier",
            ),
            _trusted(),
        )
        return lambda: client.afmelding(sessie_id=granted.sessie_id, doel_rk=rk, resultaat="OverdrachtGeslaagd")
    if operation == "sessiecontrole":  # as bron school brin
        return lambda: client.sessiecontrole(
            bron_brin=brin,
            bron_rk=rk,
            doel_brin=pupil["bron_brin"],
            doel_rk=rk_of(world, pupil["bron_brin"]),
            zoeksleutel_pgnfrag=zs,
            overdrachtsoort="overstapdossier",
            sessie_id=sessie,
        )
    if operation == "meldenNotificatie":  # as bron school brin
        return lambda: client.tc(
            t.MeldenNotificatieRequest(
                bron_brin=brin, bron_rk=rk, doel_brin=pupil["bron_brin"], doel_rk=rk_of(world, pupil["bron_brin"])
            )
        )
    bron_rk = rk_of(world, pupil["bron_brin"])  # document: doel brin asks the reference LAS
    return lambda: client.document(
        f"{world.url}/schools/{bron_rk}",
        sessie_id=sessie,
        bron_brin=pupil["bron_brin"],
        bron_rk=bron_rk,
        doel_brin=brin,
        doel_rk=rk,
        zoeksleutel_pgnfrag=zs,
        overdrachtsoort="overstapdossier",
    )


def _trusted():
    from simulator.broker import Caller

    return Caller()


def test_authorisation_matrix(secure):
    world, clients, _, _ = secure
    pupil = world.admin.get("/admin/pupils/povo").json()
    table = schools(world)
    checked = 0
    for vendor, (owner, brin), operation in itertools.product(VENDORS, table.items(), OPERATIONS):
        with world.sim.store.transaction():
            call = attempt(world, clients[vendor], operation, brin, pupil)
        expected = "allowed" if vendor == owner else faults.NIET_GEMACHTIGD
        assert outcome(call) == expected, (vendor, brin, operation)
        checked += 1
    assert checked == len(VENDORS) * 3 * len(OPERATIONS)


def test_overzicht_needs_any_known_vendor(secure):
    world, clients, _, _ = secure
    assert clients["vendor-b"].tc(t.OverzichtAanleverpuntRequest()).aanleverpunt
    assert outcome(lambda: clients["none"].tc(t.OverzichtAanleverpuntRequest())) == faults.CERTIFICAAT_ONTBREEKT


def test_a_bron_endpoint_that_is_not_the_certificates_is_refused(secure):
    world, clients, _, _ = secure
    pupil = world.admin.get("/admin/pupils/povo").json()
    # vendor-a speaks for its own school but names vendor-b's aanleverpunt
    call = lambda: clients["vendor-a"].sessiecontrole(  # noqa: E731
        bron_brin="12AA",
        bron_rk=rk_of(world, "13AA"),
        doel_brin=pupil["bron_brin"],
        doel_rk=rk_of(world, pupil["bron_brin"]),
        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
        overdrachtsoort="overstapdossier",
        sessie_id=str(uuid.uuid4()),
    )
    with pytest.raises(OsoFault) as info:
        call()
    assert info.value.code == faults.NIET_GEMACHTIGD and rk_of(world, "13AA") in info.value.message


def test_missing_certificate_is_a_clear_fault(secure):
    world, clients, _, _ = secure
    pupil = world.admin.get("/admin/pupils/povo").json()
    with pytest.raises(OsoFault) as info:
        attempt(world, clients["none"], "overdracht", "12AA", pupil)()
    assert info.value.code == faults.CERTIFICAAT_ONTBREEKT and "certificate" in info.value.message


@pytest.mark.parametrize("kind", ["expired", "rogue_ca"])
def test_expired_and_wrong_ca_certificates_are_refused_at_the_handshake(secure, kind):
    world, _, pki, base = secure
    cert, key = issue_client_certificate(
        pki, "vendor-a", base / kind, expired=kind == "expired", rogue_ca=kind == "rogue_ca"
    )
    with (
        httpx.Client(verify=tls_context(pki.ca_cert, cert, key), timeout=5) as http,
        pytest.raises(httpx.TransportError),
    ):
        http.post(f"{world.url}/tc", content=b"<x/>", headers={"content-type": "text/xml"})
    # and the simulator keeps serving the vendors with valid certificates
    with httpx.Client(
        verify=tls_context(pki.ca_cert, pki.vendor_cert("vendor-a"), pki.vendor_key("vendor-a")), timeout=5
    ) as http:
        assert http.get(f"{world.url}/healthz").status_code == 200


def test_plain_http_is_refused_on_a_tls_port(secure):
    world, _, _, _ = secure
    with pytest.raises(httpx.TransportError):
        httpx.get(world.url.replace("https://", "http://") + "/healthz", timeout=3)
