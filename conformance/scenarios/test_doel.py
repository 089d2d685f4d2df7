"""The LAS under test as doelsysteem: it requests, fetches from the simulated bron, closes and imports.

The simulator plays the Traffic Center and the bron school (the reference LAS with scripted pupils;
every counterpart bron has two aanleverpunten). Each check makes the LAS act through its adapter
and judges what reached the simulator, and what the LAS says it imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from conformance.adapter import Imported, NotSupported
from conformance.expect import expect, not_testable
from conformance.harness import DOEL_TRANSFERS, RE_REQUESTED
from conformance.scenarios.evidence import answered_ok, clear_pgns, exchanges, ids, of, sent_by
from oso import faults
from oso.parsing import parse
from simulator.las import IMPORT_STEPS

pytestmark = pytest.mark.oso_role("doel")
rule = pytest.mark.oso_rule
transfers = pytest.mark.parametrize("transfer", DOEL_TRANSFERS)


def request(oso, transfer, label=None, *, pgns=None, bron=None, update=False):
    """Make the LAS request dossiers; what it sent, as seen by the simulator."""
    pupil = oso.pupils[label or transfer]
    doel = oso.doel_school(transfer)
    oso.pgns.update(pgns or [pupil["pgn"]])
    mark = oso.mark()
    oso.adapter.request(
        doel.brin, bron or pupil["bron_brin"], pgns or [pupil["pgn"]], update=update, overdrachtsoort="overstapdossier"
    )
    return sent_by(exchanges(oso.messages(mark)), {doel.routeringskenmerk}), pupil, doel


def imported(oso, doel, pupil):
    try:
        return oso.adapter.imported(doel.brin, pupil["pgn"])
    except NotSupported as exc:
        not_testable(exc.reason, exc.remedy)


def expect_nothing_imported(oso, seen, pupil, doel, why: str) -> None:
    found = imported(oso, doel, pupil)
    expect(
        found is None,
        f"nothing imported: {why}",
        f"the LAS imported the pupil ({found.records if found else 0} record(s))",
        where=f"POST /imports for school {doel.brin}",
        messages=ids(of(seen, "documentRequest")),
    )


def sessie_ids(seen):
    """The sessions the TC granted to the LAS in this window."""
    ids = []
    for s in of(seen, "overdrachtRequest"):
        if answered_ok(s):
            sessie_id = parse(s.answer_body.encode()).findtext(
                ".//{http://xml.kennisnet.nl/schemas/Overstapservice/20200910}sessieId"
            )
            if sessie_id is not None:  # answered_ok: an overdrachtResponse, which always has one
                ids.append(sessie_id.lower())
    return ids


@rule("TC-SESSION-01")
@transfers
def test_session_before_asking_the_bron(oso, transfer):
    seen, pupil, _ = request(oso, transfer)
    granted = sessie_ids(seen)
    asked = of(seen, "documentRequest")
    expect(asked, "a documentRequest to the bron", "none: the LAS never asked the bron for the dossier")
    expect(
        granted,
        "an overdrachtRequest granted by the Traffic Center before the documentRequest",
        "no session was granted, yet the LAS asked the bron",
        messages=ids(asked),
    )
    first_grant = min(s.id for s in of(seen, "overdrachtRequest") if answered_ok(s))
    for s in asked:
        expect(
            s.message is not None and s.message.sessie_id.lower() in granted,
            f"the documentRequest to carry the session the Traffic Center granted ({', '.join(granted)})",
            f"session {getattr(s.message, 'sessie_id', '?')}",
            where=f"documentRequest #{s.id}",
            messages=[s.id],
        )
        expect(
            s.id > first_grant,
            "the documentRequest after the session was granted",
            f"it came before the grant (overdrachtRequest #{first_grant})",
            where=f"documentRequest #{s.id}",
            messages=[s.id, first_grant],
        )


@rule("TC-SESSION-02")
def test_one_session_per_pupil_in_a_batch(oso):
    cohort: dict[str, list[str]] = {}
    for p in oso.running.simulator.catalogue.by_key.values():
        if p.key.startswith("povo/"):
            cohort.setdefault(p.school, []).append(p.pgn)
    school, pgns = next((s, ps[:3]) for s, ps in cohort.items() if len(ps) >= 3)
    seen, _, _ = request(oso, "povo", pgns=pgns, bron=school)
    granted = sessie_ids(seen)
    expect(
        len(granted) == 3,
        "3 sessions for a batch of 3 pupils (one overdrachtRequest per pupil)",
        f"{len(granted)} session(s)",
        messages=ids(of(seen, "overdrachtRequest")),
    )
    per_session: dict[str, set[str]] = {}
    for s in of(seen, "documentRequest"):
        if s.message is not None:
            per_session.setdefault(s.message.sessie_id.lower(), set()).add(s.message.zoeksleutel_pgnfrag.zoeksleutel)
    shared = {sid: keys for sid, keys in per_session.items() if len(keys) > 1}
    expect(
        not shared,
        "each session used for one pupil only",
        f"session(s) {', '.join(sorted(shared))} used for several pupils",
        messages=[s.id for s in of(seen, "documentRequest") if s.message and s.message.sessie_id.lower() in shared],
    )


@rule("DOEL-FETCH-01")
@transfers
def test_every_aanleverpunt_is_asked(oso, transfer):
    seen, pupil, _ = request(oso, transfer)
    offered = {e.routeringskenmerk for e in oso.running.simulator.register.endpoints_of(pupil["bron_brin"])}
    asked = {s.message.bron_rk for s in of(seen, "documentRequest") if s.message is not None}
    assert len(offered) > 1, "the suite's bron school has a single aanleverpunt: this check would prove nothing"
    expect(
        asked == offered,
        f"a documentRequest to each aanleverpunt the Traffic Center offered ({', '.join(sorted(offered))})",
        f"the LAS asked {', '.join(sorted(asked)) or 'none'}",
        messages=ids(of(seen, "overdrachtRequest") + of(seen, "documentRequest")),
    )


@rule("TC-AFMELD-01")
@transfers
def test_every_session_is_closed_exactly_once(oso, transfer):
    seen, _, _ = request(oso, transfer)
    granted = sessie_ids(seen)
    expect(granted, "a session granted to the LAS", "no session was granted", messages=ids(seen))
    for sid in granted:
        closes = [
            s for s in of(seen, "afmeldingRequest") if s.message is not None and s.message.sessie_id.lower() == sid
        ]
        expect(
            len(closes) == 1,
            "exactly one afmelding for the session",
            f"{len(closes)} afmelding(en)",
            where=f"session {sid}",
            messages=ids(closes),
        )
        state = oso.session(sid)["state"]
        expect(
            state == "afgemeld",
            "the session closed (afgemeld) at the Traffic Center",
            f"its state is {state}",
            where=f"session {sid}",
            messages=ids(closes),
        )


def closed_with(oso, seen):
    closes = [s for s in of(seen, "afmeldingRequest") if s.message is not None and answered_ok(s)]
    expect(
        closes,
        "the session closed with an afmelding the Traffic Center accepted",
        "no accepted afmelding",
        messages=ids(of(seen, "afmeldingRequest")),
    )
    return closes[-1]


def expect_closed_with(oso, seen, resultaat: str, why: str) -> None:
    close = closed_with(oso, seen)
    expect(
        close.message.resultaat == resultaat,
        f"the afmelding to report {resultaat} ({why})",
        f"it reports {close.message.resultaat}",
        where=f"afmeldingRequest #{close.id}",
        messages=[close.id],
    )


@rule("TC-AFMELD-02")
@transfers
def test_best_result_when_one_aanleverpunt_refuses(oso, transfer):
    pupil = oso.pupils[transfer]
    second = oso.running.simulator.register.endpoints_of(pupil["bron_brin"])[1].routeringskenmerk
    oso.faults(f'[[rule]]\noperation = "documentRequest"\nschool = "{second}"\nfault = "DossierNietGevonden"\n')
    seen, _, _ = request(oso, transfer)
    expect_closed_with(oso, seen, faults.GESLAAGD, "one aanleverpunt sent the dossier: the best result")


@rule("TC-AFMELD-02")
def test_a_refusal_is_reported_not_hidden(oso):
    seen, _, _ = request(oso, "povo", "not-ready")
    expect_closed_with(oso, seen, faults.DOSSIER_NIET_GEREED, "every aanleverpunt refused with it")


@rule("DOEL-FAULT-01")
def test_no_bron_is_asked_when_the_tc_refuses(oso):
    seen, _, _ = request(oso, "povo", bron="99ZZ")
    _asks_no_bron(seen, "the Traffic Center refused the session (bron school 99ZZ is unknown)")
    doel = oso.doel_school("povo").brin
    oso.faults(f'[[rule]]\noperation = "overdrachtRequest"\nschool = "{doel}"\nfault = "TijdelijkNietBeschikbaar"\n')
    seen, _, _ = request(oso, "povo")
    _asks_no_bron(seen, "the Traffic Center answered TijdelijkNietBeschikbaar")


def _asks_no_bron(seen, refused: str) -> None:
    expect(of(seen, "overdrachtRequest"), "an overdrachtRequest at the Traffic Center", "none", messages=ids(seen))
    asked = of(seen, "documentRequest")
    expect(
        not asked,
        f"no documentRequest: {refused}",
        f"{len(asked)} documentRequest(s) to a bron",
        messages=ids(of(seen, "overdrachtRequest") + asked),
    )


@rule("DOEL-FAULT-02")
def test_a_refused_dossier_is_not_imported(oso):
    seen, pupil, doel = request(oso, "povo", "not-allowed")
    expect_nothing_imported(oso, seen, pupil, doel, "the bron refused (DossierNietToegestaan)")
    expect_closed_with(oso, seen, faults.DOSSIER_NIET_TOEGESTAAN, "the bron's refusal")


@rule("DOEL-ROBUST-01")
@pytest.mark.parametrize("failure", ['fault = "TijdelijkNietBeschikbaar"', "http_status = 503", "drop = true"])
def test_a_failing_bron_still_gets_one_honest_afmelding(oso, failure):
    school = oso.pupils["povo"]["bron_brin"]
    oso.faults(f'[[rule]]\noperation = "documentRequest"\nschool = "{school}"\n{failure}\n')
    seen, _, _ = request(oso, "povo")
    granted = sessie_ids(seen)
    expect(len(granted) == 1, "one session", f"{len(granted)} session(s)", messages=ids(of(seen, "overdrachtRequest")))
    closes = [s for s in of(seen, "afmeldingRequest") if s.message is not None]
    expect(
        len(closes) == 1,
        f"exactly one afmelding after the bron failed ({failure})",
        f"{len(closes)} afmelding(en)",
        messages=ids(closes),
    )
    expect(
        closes[0].message.resultaat != faults.GESLAAGD,
        f"an afmelding that does not report {faults.GESLAAGD}: no dossier came",
        f"it reports {closes[0].message.resultaat}",
        where=f"afmeldingRequest #{closes[0].id}",
        messages=[closes[0].id],
    )


@rule("DOEL-ROBUST-02")
def test_a_slow_bron_is_waited_for(oso):
    school = oso.pupils["povo"]["bron_brin"]
    oso.faults(f'[[rule]]\noperation = "documentRequest"\nschool = "{school}"\nlatency = {{ ms = 1500 }}\n')
    seen, pupil, doel = request(oso, "povo")
    expect_closed_with(oso, seen, faults.GESLAAGD, "the bron answered with the dossier, after 1.5 s")
    found = imported(oso, doel, pupil)
    expect(
        found is not None and found.records == 1,
        "the slow bron's dossier imported as one pupil record",
        f"{found.records if found else 0} record(s)",
        where=f"POST /imports for school {doel.brin}",
        messages=ids(of(seen, "documentRequest")),
    )


@pytest.fixture(scope="module")
def re_request(oso):
    """The verzameldatum story: import the first dossier, then after the eindtoets ask for the update."""
    oso.reset()
    pupil, doel = oso.pupils["verzameldatum"], oso.doel_school("povo")
    oso.adapter.request(doel.brin, pupil["bron_brin"], [pupil["pgn"]])
    before = _safe_imported(oso, doel, pupil)
    oso.prepare_update("verzameldatum")  # after the first import, on the LAS's own clock: no clock is set
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


def _dossier_datum(found, step: str = "personalia") -> date:
    """The date of the dossier an import step last imported: optional in /imports, and what these rules
    need to see which dossier the pupil holds."""
    value = found.steps.get(step, {}).get("dossier_datum")
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        not_testable(
            f"POST /imports gives no dossier_datum for the {step} step "
            f"({'absent' if value is None else repr(value)}): which dossier the pupil holds is not known",
            "report, per import step, dossier_datum: the metadata/datum of the dossier it last imported (ISO date)",
        )


@rule("DOEL-VERZ-01")
def test_re_request_after_the_eindtoets_gets_the_update(oso, re_request):
    seen, _, _ = re_request
    asked = [s for s in of(seen, "documentRequest") if s.message is not None]
    expect(asked, "a documentRequest to the bron for the re-request", "none reached the bron", messages=ids(seen))
    without = [s for s in asked if s.message.dossier_verzameldatum is None]
    expect(
        not without,
        "every documentRequest of the re-request to carry dossierVerzameldatum",
        f"{len(without)} without it",
        messages=ids(without),
    )
    refusals = sorted({s.fault for s in asked if s.fault})
    expect(
        any("<eindtoets_basisonderwijs>" in s.answer_body for s in asked),
        "the updated dossier (with the eindtoets) in the bron's answer",
        f"the bron refused with {', '.join(refusals)} (the dossierVerzameldatum is after the update)"
        if refusals
        else "the bron's answers hold no eindtoets: the LAS got the first dossier again",
        messages=ids(asked),
    )


@rule("DOEL-VERZ-02")
def test_re_requested_dossier_links_to_the_imported_pupil(oso, re_request):
    seen, before, after = re_request
    if before is NotSupported or after is NotSupported:
        not_testable("this adapter cannot read back imports", "an adapter that implements imported (--adapter http)")
    expect(
        before is not None and after is not None,
        "the pupil imported, before and after the re-request",
        f"before: {'imported' if before else 'nothing'}, after: {'imported' if after else 'nothing'}",
        where="POST /imports",
    )
    expect(
        after.records == 1,
        "the re-requested dossier linked to the pupil imported before: one pupil record",
        f"{after.records} pupil records",
        where="POST /imports",
        messages=ids(of(seen, "documentRequest")),
    )
    first, update = (_dossier_datum(found) for found in (before, after))
    expect(
        update > first,
        "the pupil to hold the updated dossier after the re-request",
        f"it still holds the first one (dossier_datum {update}, first {first})",
        where="POST /imports, step personalia",
        messages=ids(of(seen, "documentRequest")),
    )


@pytest.fixture(scope="module")
def collective_re_request(oso):
    """Three pupils of one bron imported in one collective request; after the eindtoets, one collective
    re-request of the three."""
    oso.reset()
    pupils, doel = [oso.pupils[label] for label in RE_REQUESTED], oso.doel_school("povo")
    bron, pgns = pupils[0]["bron_brin"], [p["pgn"] for p in pupils]
    oso.adapter.request(doel.brin, bron, pgns)
    before = [_safe_imported(oso, doel, p) for p in pupils]
    for label in RE_REQUESTED:
        oso.prepare_update(label)
    mark = oso.mark()
    oso.adapter.request(doel.brin, bron, pgns, update=True)
    seen = sent_by(exchanges(oso.messages(mark)), {doel.routeringskenmerk})
    after = [_safe_imported(oso, doel, p) for p in pupils]
    oso.reset()
    return seen, list(zip(RE_REQUESTED, before, after, strict=True))


@rule("DOEL-VERZ-03")
def test_a_collective_re_request_updates_every_pupil_of_the_batch(oso, collective_re_request):
    seen, pupils = collective_re_request
    if any(NotSupported in (before, after) for _, before, after in pupils):
        not_testable("this adapter cannot read back imports", "an adapter that implements imported (--adapter http)")
    asked = [s for s in of(seen, "documentRequest") if s.message is not None]
    without = [s for s in asked if s.message.dossier_verzameldatum is None]
    expect(
        bool(asked) and not without,
        f"every documentRequest of the collective re-request of {len(pupils)} pupils to carry dossierVerzameldatum",
        f"{len(without)} of {len(asked)} without it",
        messages=ids(without or seen),
    )
    wrong = []
    for label, before, after in pupils:
        if before is None or after is None:
            wrong.append(f"{label}: {'not imported' if before is None else 'nothing imported after'}")
        elif after.records != 1:
            wrong.append(f"{label}: {after.records} pupil records")
        elif not _dossier_datum(after) > _dossier_datum(before):
            wrong.append(f"{label}: still the first dossier (dossier_datum {_dossier_datum(after)})")
    expect(
        not wrong,
        "each pupil of the batch to hold its update, linked to the pupil imported before (one record each)",
        "; ".join(wrong),
        where="POST /imports",
        messages=ids(of(seen, "documentRequest")),
    )


@dataclass(frozen=True)
class StepRerun:
    """One import step re-run on the update: what the LAS held before, after, and sent in between."""

    step: str
    seen: list
    before: Any
    after: Any
    unsupported: NotSupported | None = None

    def judged(self) -> tuple[Imported, Imported]:
        """(before, after), or the check is not testable with this adapter."""
        for why in (self.unsupported, *(x for x in (self.before, self.after) if isinstance(x, NotSupported))):
            if why is not None:
                not_testable(why.reason, why.remedy)
        expect(
            self.before is not None and self.after is not None,
            "the pupil imported, before and after the step's re-run",
            f"before: {'imported' if self.before else 'nothing'}, after: {'imported' if self.after else 'nothing'}",
            where="POST /imports",
            messages=ids(of(self.seen, "documentRequest")),
        )
        return self.before, self.after


@pytest.fixture(scope="module", params=IMPORT_STEPS)
def step_rerun(oso, request):
    """Import the first dossier in full; after the eindtoets, re-request it and re-run one import step."""
    step = request.param
    oso.reset()
    pupil, doel = oso.pupils["verzameldatum"], oso.doel_school("povo")
    oso.adapter.request(doel.brin, pupil["bron_brin"], [pupil["pgn"]])
    before = _safe_imported(oso, doel, pupil)
    oso.prepare_update("verzameldatum")
    mark = oso.mark()
    try:
        oso.adapter.rerun_steps(doel.brin, pupil["bron_brin"], pupil["pgn"], [step])
    except NotSupported as exc:
        oso.reset()
        return StepRerun(step, [], before, None, exc)
    seen = sent_by(exchanges(oso.messages(mark)), {doel.routeringskenmerk})
    after = _safe_imported(oso, doel, pupil)
    oso.reset()
    return StepRerun(step, seen, before, after)


def _times(found: Imported, step: str) -> int:
    return int(found.steps.get(step, {}).get("times") or 0)


@rule("DOEL-STEP-01")
def test_one_import_step_runs_again_on_the_newer_dossier(step_rerun):
    r = step_rerun
    before, after = r.judged()
    documents = ids(of(r.seen, "documentRequest"))
    where = f"POST /imports, step {r.step}"
    expect(
        _times(after, r.step) == _times(before, r.step) + 1,
        f"step {r.step} to run once more when asked to re-run it",
        f"it ran {_times(before, r.step)} time(s) before and {_times(after, r.step)} after",
        where=where,
        messages=documents,
    )
    first, update = (_dossier_datum(found, r.step) for found in (before, after))
    expect(
        update > first,
        f"step {r.step} to hold the newer dossier's data after its re-run",
        f"it still holds the first dossier's (dossier_datum {update}, first {first})",
        where=where,
        messages=documents,
    )


@rule("DOEL-STEP-02")
def test_re_running_one_import_step_leaves_the_others_alone(step_rerun):
    r = step_rerun
    before, after = r.judged()
    changed = [
        f"{other} ran {_times(before, other)} -> {_times(after, other)} time(s)"
        for other in IMPORT_STEPS
        if other != r.step
        and (
            _times(after, other) != _times(before, other)
            or after.steps.get(other, {}).get("dossier_datum") != before.steps.get(other, {}).get("dossier_datum")
        )
    ]
    expect(
        not changed,
        f"only step {r.step} re-run; the other steps as they were",
        "; ".join(changed),
        where="POST /imports",
        messages=ids(of(r.seen, "documentRequest")),
    )


@rule("DOEL-STEP-03")
def test_re_running_one_import_step_makes_no_second_pupil(step_rerun):
    r = step_rerun
    _, after = r.judged()
    expect(
        after.records == 1,
        f"one pupil record after step {r.step} was re-run",
        f"{after.records} pupil records",
        where="POST /imports",
        messages=ids(of(r.seen, "documentRequest")),
    )


@rule("DOEL-IMPORT-01")
@transfers
def test_all_three_parts_are_imported(oso, transfer):
    seen, pupil, doel = request(oso, transfer)
    found = imported(oso, doel, pupil)
    where = f"POST /imports for school {doel.brin}"
    documents = ids(of(seen, "documentRequest"))
    expect(found is not None, "the dossier imported", "nothing imported", where=where, messages=documents)
    missing = {"personalia", "schoolloopbaan", "ondersteuning"} - set(found.steps)
    expect(
        not missing,
        "all three parts imported: personalia, schoolloopbaan, ondersteuning",
        f"not imported: {', '.join(sorted(missing))}",
        where=where,
        messages=documents,
    )


@rule("DOEL-IMPORT-02")
def test_importing_again_does_not_duplicate(oso):
    request(oso, "popo")
    seen, pupil, doel = request(oso, "popo")
    found = imported(oso, doel, pupil)
    where = f"POST /imports for school {doel.brin}"
    expect(found is not None, "the dossier imported", "nothing imported", where=where)
    expect(
        found.records == 1,
        "one pupil record after importing the same dossier twice",
        f"{found.records} records",
        where=where,
        messages=ids(of(seen, "documentRequest")),
    )


@rule("DOEL-VALID-01")
def test_an_invalid_dossier_is_not_imported(oso):
    seen, pupil, doel = request(oso, "povo", "old-invalid")
    expect_nothing_imported(oso, seen, pupil, doel, "the dossier fails the gegevensset schema and the business rules")


@rule("DOEL-ASKED-01")
def test_a_dossier_not_asked_for_is_not_imported(oso):
    """Counterpart brons scripted to serve what was not asked: a valid binnen-BRIN dossier of the pupil to a
    request for an overstapdossier, and a valid dossier of another pupil of the school."""
    for label, why in (
        ("unasked-kind", "asked for an overstapdossier, the bron served the pupil's binnen-BRIN dossier"),
        ("unasked-pupil", "the bron served the dossier of another pupil (another BSN) than the one asked for"),
    ):
        seen, pupil, doel = request(oso, "povo", label)
        expect(of(seen, "documentRequest"), "a documentRequest to the bron", "none: the LAS never asked the bron")
        expect_nothing_imported(oso, seen, pupil, doel, why)
        if pupil["served_pgn"]:  # nor under the number the dossier carries
            expect_nothing_imported(oso, seen, {**pupil, "pgn": pupil["served_pgn"]}, doel, why)


@rule("DOEL-NOTIF-01")
def test_notifications_are_accepted(oso):
    from oso import transport as t

    bron_brin, bron_rk = oso.counterpart("po")
    doel = oso.doel_school("povo")
    route = dict(bron_brin=bron_brin, bron_rk=bron_rk, doel_brin=doel.brin, doel_rk=doel.routeringskenmerk)
    melding = oso.soap.tc(t.MeldenNotificatieRequest(**route))
    notificatie = t.NotificatieRequest(**route, koppelsleutel=melding.koppelsleutel, doel="SWV")
    mark = oso.mark()
    answers = [oso.soap.call(melding.url, notificatie).resultaat for _ in range(2)]
    expect(
        answers == ["NotificatieOntvangen"] * 2,
        "NotificatieOntvangen to a notificatieRequest and to its duplicate",
        f"{', '.join(answers)}",
        where=f"the LAS's aanleverpunt {melding.url}",
        messages=ids(of(exchanges(oso.messages(mark)), "notificatieRequest")),
    )


@rule("TC-MSG-01")
@transfers
def test_every_message_conforms_to_the_transport_schema(oso, transfer):
    seen, _, _ = request(oso, transfer)
    expect(seen, "the LAS's messages to check", "the LAS sent nothing")
    bad = [s for s in seen if s.message is None or s.fault == faults.SCHEMA_FOUT]
    expect(
        not bad,
        "every message valid against the OSO transport schema",
        "; ".join(f"{s.operation} #{s.id} does not conform" + (f" ({s.fault})" if s.fault else "") for s in bad),
        messages=ids(bad),
    )


@rule("TC-PGN-01")
@transfers
def test_no_pupil_number_in_clear(oso, transfer):
    seen, pupil, _ = request(oso, transfer)
    leaky = [s for s in seen if clear_pgns([s], oso.pgns) or s.fault == faults.PGN_ONVERSLEUTELD]
    expect(
        not leaky,
        "no pupil number in clear: only a zoeksleutel, pgnfrag or koppelsleutel",
        "a pupil number in clear in " + ", ".join(f"{s.operation} #{s.id}" for s in leaky),
        messages=ids(leaky),
    )
