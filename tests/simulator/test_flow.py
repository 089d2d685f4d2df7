"""The Traffic Center and the reference LAS over HTTP: a full transfer and every refusal the flow defines."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from oso import faults, rules
from oso import transport as t
from oso.faults import OsoFault
from oso.parsing import parse
from oso.rules import Facts
from oso.schema import dossier_schema
from oso.validation import validate
from simulator.testing import OVERSTAPDOSSIER


def fault_code(fn, *args, **kw) -> str:
    with pytest.raises(OsoFault) as info:
        fn(*args, **kw)
    return info.value.code


def test_full_po_vo_transfer_and_its_evidence(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    assert [ap.brin for ap in granted.aanleverpunt] == [pupil["bron_brin"]]
    answer = world.document(pupil, doel, granted)
    assert answer.resultaat == "OverdrachtGeslaagd"
    assert validate(answer.dossier.encode(), dossier_schema()) == []
    assert pupil["pgn"] in answer.dossier  # the dossier carries the BSN (inside TLS, by design)
    closed = world.oso.afmelding(
        sessie_id=granted.sessie_id,
        bron_rk=granted.aanleverpunt[0].routeringskenmerk,
        doel_rk=doel[1],
        resultaat="OverdrachtGeslaagd",
    )
    assert closed.resultaat == "AfmeldingOntvangen"
    session = world.admin.get(f"/admin/sessions/{granted.sessie_id}").json()
    assert session["state"] == "afgemeld" and session["resultaat"] == "OverdrachtGeslaagd" and session["controles"] == 1
    ops = [(m["direction"], m["operation"]) for m in session["messages"]]
    # the bron checked the session at the TC (in-process) before it answered the documentRequest
    assert ops == [
        ("in", "overdrachtRequest"),
        ("out", "overdrachtResponse"),
        ("internal", "sessiecontroleRequest"),
        ("internal", "sessiecontroleResponse"),
        ("in", "documentRequest"),
        ("out", "documentResponse"),
        ("in", "afmeldingRequest"),
        ("out", "afmeldingResponse"),
    ]
    bodies = world.admin.get("/admin/messages", params={"session": granted.sessie_id, "body": 1}).json()["messages"]
    document_out = next(m for m in bodies if m["operation"] == "documentResponse")
    assert pupil["pgn"] not in document_out["body"] and "*******" + pupil["pgn"][-2:] in document_out["body"]


def test_second_afmelding_is_refused(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    close = dict(sessie_id=granted.sessie_id, doel_rk=doel[1], resultaat="DossierNietGevonden")
    world.oso.afmelding(**close)
    assert fault_code(world.oso.afmelding, **close) == faults.SESSIE_REEDS_AFGEMELD


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"doel_brin": "99ZZ"}, faults.AANVRAGER_NIET_BEKEND),
        ({"doel_rk": "000000000199ZZ000001"}, faults.AANLEVERPUNT_NIET_ACTIEF),
        ({"bron_brin": "99ZZ"}, faults.VERSTREKKER_NIET_BEKEND),
        ({"bron_rk": "000000000199ZZ000001"}, faults.GEEN_ACTIEVE_AANLEVERPUNTEN),
        ({"overdrachtsoort": "overstap"}, faults.ONGELDIGE_OVERDRACHTSOORT),
        ({"overdrachtsoort": "overdrachtbinnenbrin"}, faults.GEEN_RELATIE_MET_DOEL),
        ({"zoeksleutel_pgnfrag": t.ZoeksleutelPgnfrag(zoeksleutel="246263738")}, faults.PGN_ONVERSLEUTELD),
        ({"zoeksleutel_pgnfrag": t.ZoeksleutelPgnfrag(zoeksleutel="bnVsbA==")}, faults.ZOEKSLEUTEL_ONGELDIG),
        ({"zoeksleutel_pgnfrag": None, "koppelsleutel": str(uuid.uuid4())}, faults.KOPPELSLEUTEL_ONBEKEND),
    ],
)
def test_overdracht_refusals(world, change, code):
    assert fault_code(world.overdracht, world.pupil("povo"), world.school("vo"), **change) == code


def test_an_inactive_bron_aanleverpunt_is_not_offered(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    bron_rk = world.sim.register.endpoints_of(pupil["bron_brin"])[0].routeringskenmerk
    assert (
        world.admin.post(
            "/admin/register", json={"kind": "endpoint", "routeringskenmerk": bron_rk, "active": False}
        ).status_code
        == 200
    )
    assert fault_code(world.overdracht, pupil, doel) == faults.GEEN_ACTIEVE_AANLEVERPUNTEN


def sessiecontrole(world, pupil, doel, granted, **change):
    fields = (
        dict(
            bron_brin=pupil["bron_brin"],
            bron_rk=granted.aanleverpunt[0].routeringskenmerk,
            doel_brin=doel[0],
            doel_rk=doel[1],
            zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
            overdrachtsoort="overstapdossier",
            sessie_id=granted.sessie_id,
        )
        | change
    )
    return world.oso.sessiecontrole(**fields)


def test_sessiecontrole_answers_the_doel_sector_and_refuses_what_differs(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    assert sessiecontrole(world, pupil, doel, granted).sector == "VO"
    other = world.pupil("popo")
    assert (
        fault_code(
            sessiecontrole,
            world,
            pupil,
            doel,
            granted,
            zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=other["zoeksleutel"]),
        )
        == faults.SESSIE_AFWIJKEND
    )
    assert (
        fault_code(sessiecontrole, world, pupil, doel, granted, doel_rk=world.school("vo", 1)[1])
        == faults.ONBEKEND_AANLEVERPUNT
    )
    assert (
        fault_code(sessiecontrole, world, pupil, doel, granted, bron_rk="000000000199ZZ000001")
        == faults.VERSTREKKER_AANLEVERPUNT
    )
    assert (
        fault_code(sessiecontrole, world, pupil, doel, granted, sessie_id=str(uuid.uuid4())) == faults.SESSIE_ONBEKEND
    )
    assert (
        fault_code(world.oso.afmelding, sessie_id=granted.sessie_id, doel_rk=doel[1], resultaat="Prima")
        == faults.ONGELDIG_RESULTAAT
    )


def test_idle_sessions_expire_on_the_simulated_clock(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    world.admin.post("/admin/clock", json={"advance_seconds": 5 * 3600})
    assert fault_code(world.document, pupil, doel, granted) == faults.SESSIE_VERLOPEN
    assert world.admin.get(f"/admin/sessions/{granted.sessie_id}").json()["state"] == "verlopen"


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("not-ready", faults.DOSSIER_NIET_GEREED),
        ("not-allowed", faults.DOSSIER_NIET_TOEGESTAAN),
        ("last-year", faults.DOSSIER_VERLOPEN),
    ],
)
def test_bron_refuses_what_it_may_not_send(world, label, code):
    pupil, doel = world.pupil(label), world.school("vo")
    granted = world.overdracht(pupil, doel)
    assert fault_code(world.document, pupil, doel, granted) == code


def test_a_pupil_of_another_school_is_not_found(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    other = next(b for b, s in world.sim.register.schools.items() if s.sector == "po" and b != pupil["bron_brin"])
    # Ask another school for this pupil: the session is fine, the dossier is not there.
    granted = world.overdracht(pupil | {"bron_brin": other}, doel)
    assert fault_code(world.document, pupil | {"bron_brin": other}, doel, granted) == faults.DOSSIER_NIET_GEVONDEN


def test_dossiers_expire_after_the_summer(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    world.admin.post("/admin/clock", json={"set": "2026-09-01T09:00:00+02:00"})  # after every region's holiday
    granted = world.overdracht(pupil, doel)
    assert fault_code(world.document, pupil, doel, granted) == faults.DOSSIER_VERLOPEN


def test_verzameldatum_gives_the_dossier_after_the_eindtoets(world):
    pupil, doel = world.pupil("verzameldatum"), world.school("vo")
    first = world.document(pupil, doel, world.overdracht(pupil, doel))
    assert "<eindtoets_basisonderwijs>" not in first.dossier
    collected = datetime.fromisoformat(world.admin.get("/admin/clock").json()["now"])
    # Before the eindtoets results exist, nothing newer is there.
    assert (
        fault_code(world.document, pupil, doel, world.overdracht(pupil, doel), dossier_verzameldatum=collected)
        == faults.GEEN_NIEUWER_DOSSIER
    )
    world.admin.post("/admin/clock", json={"set": "2026-06-20T09:00:00+02:00"})
    updated = world.document(pupil, doel, world.overdracht(pupil, doel), dossier_verzameldatum=collected)
    assert "<eindtoets_basisonderwijs>" in updated.dossier and updated.dossier != first.dossier
    # Without a date the bron still sends the first dossier, as Kennisnet's sandbox does.
    assert world.document(pupil, doel, world.overdracht(pupil, doel)).dossier == first.dossier


def test_the_update_can_be_dated_after_what_a_doel_did_on_its_own_clock(world):
    """A doel whose clock says December collected the first dossier then: once the update is dated after
    that (the conformance suite does so), the bron offers it to a re-request with that verzameldatum."""
    pupil, doel = world.pupil("verzameldatum"), world.school("vo")
    collected = datetime.fromisoformat("2026-12-02T10:00:00+01:00")
    ask = {"dossier_verzameldatum": collected}
    assert fault_code(world.document, pupil, doel, world.overdracht(pupil, doel), **ask) == faults.GEEN_NIEUWER_DOSSIER
    after = "2026-12-02T10:00:05+01:00"
    assert world.admin.post("/admin/pupils/verzameldatum", json={"updated": after}).json()["updated"] == after
    world.admin.post("/admin/clock", json={"set": after})
    updated = world.document(pupil, doel, world.overdracht(pupil, doel), **ask)
    assert "<eindtoets_basisonderwijs>" in updated.dossier
    for key, body, says in (
        ("povo", {"updated": after}, "has one version"),
        ("verzameldatum", {"updated": "2026-12-02T10:00:05"}, "timezone"),
        ("verzameldatum", {"updated": "soon"}, "updated: Input should be a valid datetime"),
    ):
        refused = world.admin.post(f"/admin/pupils/{key}", json=body)
        assert refused.status_code == 400 and says in refused.json()["error"]


def test_specific_aanleverpunt_session(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    bron_rk = world.sim.register.endpoints_of(pupil["bron_brin"])[0].routeringskenmerk
    granted = world.overdracht(pupil, doel, bron_rk=bron_rk)
    assert [ap.routeringskenmerk for ap in granted.aanleverpunt] == [bron_rk]


def test_notification_koppelsleutel_and_terugkoppeling(world):
    bron, doel = world.school("po"), world.school("vo")
    route = dict(bron_brin=bron[0], bron_rk=bron[1], doel_brin=doel[0], doel_rk=doel[1])
    melding = world.oso.tc(t.MeldenNotificatieRequest(**route))
    assert melding.url.endswith(f"/schools/{doel[1]}")
    notified = world.oso.call(
        melding.url, t.NotificatieRequest(**route, koppelsleutel=melding.koppelsleutel, doel="SWV")
    )
    assert notified.resultaat == "NotificatieOntvangen"
    assert world.admin.get("/admin/las/inbox").json()["inbox"][0]["koppelsleutel"] == melding.koppelsleutel.lower()
    # A session started with the koppelsleutel (the push-started variant)
    granted = world.oso.overdracht(
        bron_brin=bron[0],
        doel_brin=doel[0],
        doel_rk=doel[1],
        koppelsleutel=melding.koppelsleutel,
        overdrachtsoort="swv-dossier",
    )
    assert granted.sessie_id
    # Feedback back to the LAS: the TC answers the LAS's aanleverpunt
    back = dict(bron_brin=doel[0], bron_rk=doel[1], doel_brin=bron[0], doel_rk=bron[1])
    url = world.oso.tc(t.MeldenTerugkoppelingRequest(**back, koppelsleutel=melding.koppelsleutel)).url
    assert url.endswith(f"/schools/{bron[1]}")
    assert (
        fault_code(world.oso.tc, t.MeldenTerugkoppelingRequest(**back, koppelsleutel=str(uuid.uuid4())))
        == faults.KOPPELSLEUTEL_ONBEKEND
    )
    bad = '<terugkoppeling xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier"><x/></terugkoppeling>'
    assert (
        fault_code(
            world.oso.call,
            url,
            t.TerugkoppelingRequest(**back, koppelsleutel=melding.koppelsleutel, terugkoppeling=bad),
        )
        == faults.DOSSIER_ONGELDIG
    )


def test_overzicht_aanleverpunt_filters(world):
    bron = world.school("po")
    everything = world.oso.tc(t.OverzichtAanleverpuntRequest()).aanleverpunt
    one = world.oso.tc(t.OverzichtAanleverpuntRequest(brin=bron[0])).aanleverpunt
    assert len(everything) == len(world.sim.register.endpoints) and [a.routeringskenmerk for a in one] == [bron[1]]


def test_reference_las_as_doel_imports_and_links_a_re_request(world):
    pupil, doel = world.pupil("verzameldatum"), world.school("vo")
    request = {"doel_brin": doel[0], "bron_brin": pupil["bron_brin"], "pgn": pupil["pgn"]}
    first = world.admin.post("/admin/las/transfers", json=request).json()["transfers"][0]
    assert first["resultaat"] == "OverdrachtGeslaagd" and first["imported"] == [
        "personalia",
        "schoolloopbaan",
        "ondersteuning",
    ]
    assert not first["linked_to_existing"] and pupil["pgn"] not in str(first)
    collected = world.admin.get("/admin/clock").json()["now"]
    world.admin.post("/admin/clock", json={"set": "2026-06-20T09:00:00+02:00"})
    again = world.admin.post("/admin/las/transfers", json=request | {"verzameldatum": collected}).json()["transfers"][0]
    assert again["linked_to_existing"] and again["pupil"] == first["pupil"]
    rows = world.admin.get("/admin/las/imports", params={"doel_brin": doel[0]}).json()["imports"]
    assert len(rows) == 3 and all(r["times"] == 2 for r in rows)  # updated, never duplicated
    assert {r["dossier_datum"][:7] for r in rows} >= {"2026-05", "2026-06"} & {r["dossier_datum"][:7] for r in rows}


def test_batch_request_is_one_session_per_pupil(world):
    doel = world.school("vo")
    cohort = [world.admin.get(f"/admin/pupils/povo/{i}").json() for i in range(5)]
    results = []
    for p in cohort:
        results += world.admin.post(
            "/admin/las/transfers", json={"doel_brin": doel[0], "bron_brin": p["bron_brin"], "pgns": [p["pgn"]]}
        ).json()["transfers"]
    assert [r["resultaat"] for r in results] == ["OverdrachtGeslaagd"] * 5
    assert len({r["sessie_id"] for r in results}) == 5
    assert world.admin.get("/admin/stats").json()["sessions"] == {"afgemeld": 5}


DUPLICATE_EVERY_NOTIFICATION = '[[rule]]\noperation = "notificatieRequest"\ndirection = "out"\nduplicate = true\n'


def test_the_reference_bron_pushes_notifications_and_the_fault_profile_duplicates_them(world):
    bron, doel = world.school("po"), world.school("vo")
    push = {"bron_brin": bron[0], "doel_brin": doel[0], "pupil": "povo/1"}

    def inbox():
        return [m["koppelsleutel"] for m in world.admin.get("/admin/las/inbox").json()["inbox"]]

    assert world.admin.post("/admin/las/notify", json=push).json() == {"resultaat": "NotificatieOntvangen"}
    assert len(inbox()) == 1
    assert world.admin.post("/admin/faults", json={"toml": DUPLICATE_EVERY_NOTIFICATION}).status_code == 200
    try:
        assert world.admin.post("/admin/las/notify", json=push).json() == {"resultaat": "NotificatieOntvangen"}
    finally:
        world.admin.post("/admin/faults", json={})
    received = inbox()
    assert len(received) == 3 and received[0] == received[1] != received[2]  # newest first: the pair, then the first
    assert world.admin.post("/admin/las/notify", json=push | {"bron_brin": "99ZZ"}).status_code == 400
    assert world.admin.post("/admin/las/notify", json=push | {"doel_rk": "000000000000000000"}).status_code == 400


@pytest.mark.parametrize(("label", "overstap"), [("poswv", "POSWV"), ("voswv", "VOSWV")])
def test_a_swv_dossier_request_gets_the_pupils_swv_dossier(world, label, overstap):
    pupil, swv = world.pupil(label), world.school("swv")
    assert world.sim.register.schools[swv[0]].name.startswith("Samenwerkingsverband")
    granted = world.overdracht(pupil, swv, overdrachtsoort="swv-dossier")
    answer = world.document(pupil, swv, granted, overdrachtsoort="swv-dossier")
    root = parse(answer.dossier.encode())
    assert Facts.of(root) == Facts("swv-dossier", overstap, Facts.of(root).categories)
    assert validate(answer.dossier.encode(), dossier_schema()) == [] and rules.check(root) == []
    assert pupil["pgn"] not in answer.dossier  # a samenwerkingsverband gets no pupil number (PaO.LL12)


@pytest.mark.parametrize(
    ("label", "asked"), [("binnenbrin", "swv-dossier"), ("povo", "swv-dossier"), ("poswv", OVERSTAPDOSSIER)]
)
def test_a_dossier_of_another_kind_than_asked_is_not_served(world, label, asked):
    """The bron serves the kind asked for, or refuses: never the dossier its school prepared for another doel."""
    pupil, doel = world.pupil(label), world.school("swv" if asked == "swv-dossier" else "po")
    granted = world.overdracht(pupil, doel, overdrachtsoort=asked)
    assert fault_code(world.document, pupil, doel, granted, overdrachtsoort=asked) == faults.DOSSIER_NIET_GEVONDEN


def test_a_bron_scripted_to_serve_another_kind_serves_a_valid_binnenbrin_dossier_of_the_pupil(world):
    pupil, doel = world.pupil("unasked-kind"), world.school("vo")
    answer = world.document(pupil, doel, world.overdracht(pupil, doel))
    root = parse(answer.dossier.encode())
    assert Facts.of(root).kind == "overdrachtbinnenbrin" and pupil["served_pgn"] is None
    assert validate(answer.dossier.encode(), dossier_schema()) == [] and rules.check(root) == []
    assert pupil["pgn"] in answer.dossier


def test_a_bron_scripted_to_serve_another_pupil_serves_a_valid_dossier_of_another_pupil_of_the_school(world):
    pupil, doel = world.pupil("unasked-pupil"), world.school("vo")
    answer = world.document(pupil, doel, world.overdracht(pupil, doel))
    root = parse(answer.dossier.encode())
    assert pupil["served_pgn"] not in (None, pupil["pgn"])
    assert pupil["served_pgn"] in answer.dossier and pupil["pgn"] not in answer.dossier
    assert root.findtext(".//{*}huidigeschool/{*}brincode") == pupil["bron_brin"]
    assert validate(answer.dossier.encode(), dossier_schema()) == [] and rules.check(root) == []


@pytest.mark.parametrize(
    ("label", "why"),
    [("unasked-kind", "the bron served overdrachtbinnenbrin"), ("unasked-pupil", "another pupil's dossier")],
)
def test_the_reference_doel_does_not_import_a_dossier_it_did_not_ask_for(world, label, why):
    pupil, doel = world.pupil(label), world.school("vo")
    asked = {"doel_brin": doel[0], "bron_brin": pupil["bron_brin"], "pgn": pupil["pgn"]}
    (transfer,) = world.admin.post("/admin/las/transfers", json=asked).json()["transfers"]
    assert transfer["resultaat"] == "OverdrachtGeslaagd" and transfer["imported"] == []
    assert any(why in problem for problem in transfer["problems"]), transfer["problems"]
    plain = world.admin.post(
        "/admin/las/transfers",
        json={**asked, "pgn": world.pupil("povo")["pgn"], "bron_brin": world.pupil("povo")["bron_brin"]},
    )
    assert plain.json()["transfers"][0]["imported"] == ["personalia", "schoolloopbaan", "ondersteuning"]
