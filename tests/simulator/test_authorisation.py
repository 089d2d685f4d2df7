"""With --tls a vendor is its client certificate and may act only for the schools that mandated it:
every vendor x school x operation combination, and the certificates that must be refused."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter

import httpx
import pytest

from oso import faults
from oso import transport as t
from oso.faults import OsoFault
from simulator.broker import Caller
from simulator.client import OsoClient, tls_context
from simulator.pki import init_pki, issue_client_certificate
from simulator.service import Config
from simulator.testing import World
from tests.simulator.conftest import SMALL_COHORT

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
STRANGER = "onbekende-leverancier"
AUTH_CODES = {faults.NIET_GEMACHTIGD, faults.CERTIFICAAT_ONTBREEKT, faults.CERTIFICAAT_ONBEKEND}


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    pki = init_pki(base / "pki", list(VENDORS))
    scenario = base / "scenario.toml"
    scenario.write_text(SCENARIO)
    world = World(
        Config(data_dir=base / "data", scenario=scenario, tls=True, pki_dir=pki.directory, cohort=SMALL_COHORT),
        pki=pki,
    )
    clients = {v: world.client_as(v) for v in VENDORS}
    clients["none"] = world.client_as(None)
    # a certificate of the simulator's own CA for a vendor the register does not know
    cert, key = issue_client_certificate(pki, STRANGER, base / "stranger")
    clients[STRANGER] = OsoClient(world.url, tls=tls_context(pki.ca_cert, cert, key))
    yield world, clients, pki, base
    for c in clients.values():
        c.close()
    world.close()


def rk_of(world, brin):
    return world.sim.register.endpoints_of(brin)[0].routeringskenmerk


def outcome(call) -> str:
    try:
        call()
    except OsoFault as fault:
        return fault.code if fault.code in AUTH_CODES else "allowed"
    return "allowed"


# Every operation, and whom it acts for: the doel school (d) or the bron school (b); overzicht for nobody.
OPERATIONS = {
    "overdracht": "d",
    "sessiecontrole": "b",
    "afmelding": "d",
    "meldenNotificatie": "b",
    "meldenTerugkoppeling": "b",
    "overzichtAanleverpunt": "",
    "document": "d",
    "notificatie": "b",
    "terugkoppeling": "b",
}
TERUGKOPPELING = '<terugkoppeling xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier"/>'


def attempt(world, client, operation, brin, pupil, rk=None):
    """``client`` doing ``operation`` on behalf of school ``brin`` (naming aanleverpunt ``rk``, by default
    the school's own); the counterpart is the pupil's po school, served by the reference LAS."""
    rk = rk or rk_of(world, brin)
    other, other_rk = pupil["bron_brin"], rk_of(world, pupil["bron_brin"])
    zs = t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"])
    sessie, other_url = str(uuid.uuid4()), f"{world.url}/schools/{other_rk}"
    if operation == "overdracht":
        return lambda: client.overdracht(
            bron_brin=other, doel_brin=brin, doel_rk=rk, zoeksleutel_pgnfrag=zs, overdrachtsoort="overstapdossier"
        )
    if operation == "afmelding":  # on a session granted to doel ``brin``
        own = rk_of(world, brin)
        request = t.OverdrachtRequest(
            bron_brin=other, doel_brin=brin, doel_rk=own, zoeksleutel_pgnfrag=zs, overdrachtsoort="overstapdossier"
        )
        with world.sim.store.transaction():
            granted = world.sim.tc.overdracht(request, Caller())
        return lambda: client.afmelding(sessie_id=granted.sessie_id, doel_rk=rk, resultaat="OverdrachtGeslaagd")
    if operation == "document":  # the doel asks the reference LAS, the pupil's bron
        return lambda: client.document(
            other_url,
            sessie_id=sessie,
            bron_brin=other,
            bron_rk=other_rk,
            doel_brin=brin,
            doel_rk=rk,
            zoeksleutel_pgnfrag=zs,
            overdrachtsoort="overstapdossier",
        )
    if operation == "overzichtAanleverpunt":
        return lambda: client.tc(t.OverzichtAanleverpuntRequest(brin=brin))
    route = dict(bron_brin=brin, bron_rk=rk, doel_brin=other, doel_rk=other_rk)
    bron = {
        "sessiecontrole": lambda: client.sessiecontrole(
            **route, zoeksleutel_pgnfrag=zs, overdrachtsoort="overstapdossier", sessie_id=sessie
        ),
        "meldenNotificatie": lambda: client.tc(t.MeldenNotificatieRequest(**route)),
        "meldenTerugkoppeling": lambda: client.tc(t.MeldenTerugkoppelingRequest(**route, koppelsleutel=sessie)),
        "notificatie": lambda: client.call(other_url, t.NotificatieRequest(**route, koppelsleutel=sessie, doel="LAS")),
        "terugkoppeling": lambda: client.call(
            other_url, t.TerugkoppelingRequest(**route, koppelsleutel=sessie, terugkoppeling=TERUGKOPPELING)
        ),
    }
    return bron[operation]


def expected(client: str, vendor_of_school: str, operation: str) -> str:
    if client == "none":
        return faults.CERTIFICAAT_ONTBREEKT
    if client == STRANGER:
        return faults.CERTIFICAAT_ONBEKEND
    if not OPERATIONS[operation] or client == vendor_of_school:  # overzicht: any vendor the register knows
        return "allowed"
    return faults.NIET_GEMACHTIGD


def test_authorisation_matrix(secure):
    """Every client (each vendor, a stranger with a certificate of the CA, no certificate) x every school
    in the register x every operation: only the vendor a school mandated may act for it."""
    world, clients, _, _ = secure
    pupil = world.admin.get("/admin/pupils/povo").json()
    schools = world.sim.register.schools
    table: Counter[str] = Counter()
    for client, (brin, school), operation in itertools.product(clients, schools.items(), OPERATIONS):
        call = attempt(world, clients[client], operation, brin, pupil)
        got = outcome(call)
        assert got == expected(client, school.vendor, operation), (client, brin, operation)
        table[got] += 1
    assert len(schools) >= 18 and {s.vendor for s in schools.values()} == set(VENDORS)
    assert sum(table.values()) == len(clients) * len(schools) * len(OPERATIONS)
    print(f"\nauthorisation matrix: {sum(table.values())} combinations: {dict(table)}")


@pytest.mark.parametrize("operation", [op for op, side in OPERATIONS.items() if side])
def test_an_aanleverpunt_that_is_not_the_certificates_is_refused(secure, operation):
    """vendor-a speaks for its own school 12AA but names vendor-b's aanleverpunt."""
    world, clients, _, _ = secure
    pupil = world.admin.get("/admin/pupils/povo").json()
    foreign = rk_of(world, "13AA")
    call = attempt(world, clients["vendor-a"], operation, "12AA", pupil, rk=foreign)
    with pytest.raises(OsoFault) as info:
        call()
    assert info.value.code == faults.NIET_GEMACHTIGD and foreign in info.value.message
    assert outcome(attempt(world, clients["vendor-a"], operation, "12AA", pupil)) == "allowed"


def test_overzicht_needs_any_known_vendor(secure):
    world, clients, _, _ = secure
    assert clients["vendor-b"].tc(t.OverzichtAanleverpuntRequest()).aanleverpunt
    assert outcome(lambda: clients["none"].tc(t.OverzichtAanleverpuntRequest())) == faults.CERTIFICAAT_ONTBREEKT


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
