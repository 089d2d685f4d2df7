"""The LAS under test as doelsysteem: it requests, fetches from the simulated bron, closes and imports.

The simulator plays the Traffic Center and the bron school (the reference LAS with scripted pupils;
every counterpart bron has two aanleverpunten). Each check makes the LAS act through its adapter
and judges what reached the simulator, and what the LAS says it imported.
"""

from __future__ import annotations

import pytest

from conformance.adapter import NotSupported
from conformance.harness import TRANSFERS
from conformance.scenarios.evidence import answered_ok, clear_pgns, exchanges, of, sent_by
from oso import faults
from oso.parsing import parse

pytestmark = pytest.mark.oso_role("doel")
rule = pytest.mark.oso_rule
transfers = pytest.mark.parametrize("transfer", TRANSFERS)


def request(oso, transfer, label=None, *, pgns=None, bron=None, update=False):
    """Make the LAS request dossiers; what it sent, as seen by the simulator."""
    pupil = oso.pupils[label or transfer]
    doel = oso.doel_school(transfer)
    mark = oso.mark()
    oso.adapter.request(
        doel.brin, bron or pupil["bron_brin"], pgns or [pupil["pgn"]], update=update, overdrachtsoort="overstapdossier"
    )
    return sent_by(exchanges(oso.messages(mark)), {doel.routeringskenmerk}), pupil, doel


def imported(oso, doel, pupil):
    try:
        return oso.adapter.imported(doel.brin, pupil["pgn"])
    except NotSupported as exc:
        pytest.skip(str(exc))


def sessie_ids(seen):
    """The sessions the TC granted to the LAS in this window."""
    ids = []
    for s in of(seen, "overdrachtRequest"):
        if answered_ok(s):
            ids.append(
                parse(s.answer_body.encode())
                .findtext(".//{http://xml.kennisnet.nl/schemas/Overstapservice/20200910}sessieId")
                .lower()
            )
    return ids


@rule("TC-SESSION-01")
@transfers
def test_session_before_asking_the_bron(oso, transfer):
    seen, pupil, _ = request(oso, transfer)
    granted = sessie_ids(seen)
    asked = of(seen, "documentRequest")
    assert asked, "the LAS never asked the bron for the dossier"
    assert granted, "the LAS asked the bron without a session granted by the Traffic Center"
    first_grant = min(s.id for s in of(seen, "overdrachtRequest") if answered_ok(s))
    for s in asked:
        assert s.message is not None and s.message.sessie_id.lower() in granted, (
            f"documentRequest {s.id} carries session {getattr(s.message, 'sessie_id', '?')}, not one the TC granted"
        )
        assert s.id > first_grant, f"documentRequest {s.id} was sent before the session was granted"


@rule("TC-SESSION-02")
def test_one_session_per_pupil_in_a_batch(oso):
    cohort: dict[str, list[str]] = {}
    for p in oso.running.simulator.catalogue.by_key.values():
        if p.key.startswith("povo/"):
            cohort.setdefault(p.school, []).append(p.pgn)
    school, pgns = next((s, ps[:3]) for s, ps in cohort.items() if len(ps) >= 3)
    seen, _, _ = request(oso, "povo", pgns=pgns, bron=school)
    granted = sessie_ids(seen)
    assert len(granted) == 3, f"a batch of 3 pupils opened {len(granted)} session(s)"
    per_session: dict[str, set[str]] = {}
    for s in of(seen, "documentRequest"):
        if s.message is not None:
            per_session.setdefault(s.message.sessie_id.lower(), set()).add(s.message.zoeksleutel_pgnfrag.zoeksleutel)
    shared = {sid: keys for sid, keys in per_session.items() if len(keys) > 1}
    assert not shared, f"one session was used for several pupils: {sorted(shared)}"


@rule("DOEL-FETCH-01")
@transfers
def test_every_aanleverpunt_is_asked(oso, transfer):
    seen, pupil, _ = request(oso, transfer)
    offered = {e.routeringskenmerk for e in oso.running.simulator.register.endpoints_of(pupil["bron_brin"])}
    asked = {s.message.bron_rk for s in of(seen, "documentRequest") if s.message is not None}
    assert len(offered) > 1 and asked == offered, f"the TC offered {sorted(offered)}, the LAS asked {sorted(asked)}"


@rule("TC-AFMELD-01")
@transfers
def test_every_session_is_closed_exactly_once(oso, transfer):
    seen, _, _ = request(oso, transfer)
    granted = sessie_ids(seen)
    assert granted, "no session was granted"
    for sid in granted:
        closes = [
            s for s in of(seen, "afmeldingRequest") if s.message is not None and s.message.sessie_id.lower() == sid
        ]
        assert len(closes) == 1, f"session {sid} got {len(closes)} afmelding(en), expected exactly one"
        assert oso.session(sid)["state"] == "afgemeld"


def closed_with(oso, seen):
    results = [s.message.resultaat for s in of(seen, "afmeldingRequest") if s.message is not None and answered_ok(s)]
    assert results, "the session was not closed (no accepted afmelding)"
    return results[-1]


@rule("TC-AFMELD-02")
@transfers
def test_best_result_when_one_aanleverpunt_refuses(oso, transfer):
    pupil = oso.pupils[transfer]
    second = oso.running.simulator.register.endpoints_of(pupil["bron_brin"])[1].routeringskenmerk
    oso.faults(f'[[rule]]\noperation = "documentRequest"\nschool = "{second}"\nfault = "DossierNietGevonden"\n')
    seen, _, _ = request(oso, transfer)
    assert closed_with(oso, seen) == faults.GESLAAGD, (
        "one aanleverpunt sent the dossier: the best result is OverdrachtGeslaagd"
    )


@rule("TC-AFMELD-02")
def test_a_refusal_is_reported_not_hidden(oso):
    seen, _, _ = request(oso, "povo", "not-ready")
    assert closed_with(oso, seen) == faults.DOSSIER_NIET_GEREED, "every aanleverpunt refused: DossierNietGereed"


@rule("DOEL-FAULT-01")
def test_no_bron_is_asked_when_the_tc_refuses(oso):
    seen, _, _ = request(oso, "povo", bron="99ZZ")
    assert of(seen, "overdrachtRequest"), "the LAS did not ask the TC for a session"
    assert not of(seen, "documentRequest"), "the TC refused the session (unknown bron school), yet the LAS asked a bron"
    doel = oso.doel_school("povo").brin
    oso.faults(f'[[rule]]\noperation = "overdrachtRequest"\nschool = "{doel}"\nfault = "TijdelijkNietBeschikbaar"\n')
    seen, _, _ = request(oso, "povo")
    assert of(seen, "overdrachtRequest"), "the LAS did not ask the TC for a session"
    assert not of(seen, "documentRequest"), "the TC answered TijdelijkNietBeschikbaar, yet the LAS asked a bron"


@rule("DOEL-FAULT-02")
def test_a_refused_dossier_is_not_imported(oso):
    seen, pupil, doel = request(oso, "povo", "not-allowed")
    assert imported(oso, doel, pupil) is None, "the bron refused, yet the LAS imported this pupil"
    assert closed_with(oso, seen) == faults.DOSSIER_NIET_TOEGESTAAN


@rule("DOEL-ROBUST-01")
@pytest.mark.parametrize("failure", ['fault = "TijdelijkNietBeschikbaar"', "http_status = 503", "drop = true"])
def test_a_failing_bron_still_gets_one_honest_afmelding(oso, failure):
    school = oso.pupils["povo"]["bron_brin"]
    oso.faults(f'[[rule]]\noperation = "documentRequest"\nschool = "{school}"\n{failure}\n')
    seen, _, _ = request(oso, "povo")
    granted = sessie_ids(seen)
    assert len(granted) == 1, f"expected one session, got {len(granted)}"
    closes = [s for s in of(seen, "afmeldingRequest") if s.message is not None]
    assert len(closes) == 1, f"{len(closes)} afmelding(en) after a failing bron, expected exactly one"
    assert closes[0].message.resultaat != faults.GESLAAGD, "no dossier came, yet the LAS reported success"


@rule("DOEL-ROBUST-02")
def test_a_slow_bron_is_waited_for(oso):
    school = oso.pupils["povo"]["bron_brin"]
    oso.faults(f'[[rule]]\noperation = "documentRequest"\nschool = "{school}"\nlatency = {{ ms = 1500 }}\n')
    seen, pupil, doel = request(oso, "povo")
    assert closed_with(oso, seen) == faults.GESLAAGD, "the bron answered (slowly) with the dossier"
    found = imported(oso, doel, pupil)
    assert found is not None and found.records == 1, "the dossier of a slow bron was not imported"


@pytest.fixture(scope="module")
def re_request(oso):
    """The verzameldatum story: import the first dossier, then after the eindtoets ask for the update."""
    oso.reset()
    pupil, doel = oso.pupils["verzameldatum"], oso.doel_school("povo")
    oso.adapter.request(doel.brin, pupil["bron_brin"], [pupil["pgn"]])
    before = _safe_imported(oso, doel, pupil)
    oso.set_clock("2026-06-20T09:00:00+02:00")
    mark = oso.mark()
    oso.adapter.request(doel.brin, pupil["bron_brin"], [pupil["pgn"]], update=True)
    seen = sent_by(exchanges(oso.messages(mark)), {doel.routeringskenmerk})
    after = _safe_imported(oso, doel, pupil)
    oso.reset()
    return seen, before, after


def _safe_imported(oso, doel, pupil):
    try:
        return oso.adapter.imported(doel.brin, pupil["pgn"])
    except NotSupported:
        return NotSupported


@rule("DOEL-VERZ-01")
def test_re_request_after_the_eindtoets_gets_the_update(oso, re_request):
    seen, _, _ = re_request
    asked = [s for s in of(seen, "documentRequest") if s.message is not None]
    assert asked, "the re-request never reached the bron"
    assert all(s.message.dossier_verzameldatum is not None for s in asked), (
        "the re-request carries no dossierVerzameldatum"
    )
    assert any("<eindtoets_basisonderwijs>" in s.answer_body for s in asked), (
        "the bron's answer was not the updated dossier (with the eindtoets)"
    )


@rule("DOEL-VERZ-02")
def test_re_requested_dossier_links_to_the_imported_pupil(oso, re_request):
    _, before, after = re_request
    if before is NotSupported or after is NotSupported:
        pytest.skip("this adapter cannot read back imports")
    assert before is not None and after is not None, "the pupil was not imported"
    assert after.records == 1, f"the re-request made {after.records} pupil records, expected the one imported before"
    assert after.steps["personalia"]["dossier_datum"] > before.steps["personalia"]["dossier_datum"], (
        "the pupil still holds the first dossier: the update was not imported"
    )


@rule("DOEL-IMPORT-01")
@transfers
def test_all_three_parts_are_imported(oso, transfer):
    _, pupil, doel = request(oso, transfer)
    found = imported(oso, doel, pupil)
    assert found is not None, "the dossier was not imported"
    missing = {"personalia", "schoolloopbaan", "ondersteuning"} - set(found.steps)
    assert not missing, f"not imported: {', '.join(sorted(missing))}"


@rule("DOEL-IMPORT-02")
def test_importing_again_does_not_duplicate(oso):
    request(oso, "popo")
    _, pupil, doel = request(oso, "popo")
    found = imported(oso, doel, pupil)
    assert found is not None, "the dossier was not imported"
    assert found.records == 1, f"the same pupil twice gave {found.records} records"


@rule("DOEL-VALID-01")
def test_an_invalid_dossier_is_not_imported(oso):
    _, pupil, doel = request(oso, "povo", "old-invalid")
    assert imported(oso, doel, pupil) is None, "the LAS imported a dossier that fails the schema and the rules"


@rule("DOEL-NOTIF-01")
def test_notifications_are_accepted(oso):
    from oso import transport as t

    bron_brin, bron_rk = oso.counterpart("po")
    doel = oso.doel_school("povo")
    route = dict(bron_brin=bron_brin, bron_rk=bron_rk, doel_brin=doel.brin, doel_rk=doel.routeringskenmerk)
    melding = oso.soap.tc(t.MeldenNotificatieRequest(**route))
    notificatie = t.NotificatieRequest(**route, koppelsleutel=melding.koppelsleutel, doel="SWV")
    answers = [oso.soap.call(melding.url, notificatie).resultaat for _ in range(2)]
    assert answers == ["NotificatieOntvangen"] * 2, f"a notificatie and its duplicate got {answers}"


@rule("TC-MSG-01")
@transfers
def test_every_message_conforms_to_the_transport_schema(oso, transfer):
    seen, _, _ = request(oso, transfer)
    bad = [(s.operation, s.fault) for s in seen if s.message is None or s.fault == faults.SCHEMA_FOUT]
    assert seen and not bad, f"messages that do not conform: {bad}"


@rule("TC-PGN-01")
@transfers
def test_no_pupil_number_in_clear(oso, transfer):
    seen, pupil, _ = request(oso, transfer)
    leaks = clear_pgns(seen)
    assert not leaks, f"pupil numbers in clear in {sorted({op for op, _ in leaks})}"
    assert not [s for s in seen if s.fault == faults.PGN_ONVERSLEUTELD]
