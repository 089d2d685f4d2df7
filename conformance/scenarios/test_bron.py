"""The LAS under test as bronsysteem: the suite prepares pupils in it and asks for them as a doel.

The simulator plays the Traffic Center; the suite's own SOAP client plays the doel school (a
reference school of the right sector). In export mode (the default) the LAS gets each pupil as
neutral data and makes the dossier with its own export; in passthrough mode it is handed the
dossier XML. The LAS must check the session before it answers and answer only valid sessions;
serve the dossier of the pupil asked for, carrying what was prepared, valid against the schema and
every business rule of its profile; honour dossierVerzameldatum; and refuse what it may not send
with the documented fault code. Its clock is never set: every date is chosen relative to its now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from lxml import etree

from conformance import compare, pupildata
from conformance.adapter import NotSupported
from conformance.harness import SECTORS, STRANGER, TRANSFERS
from conformance.pupildata import Version
from conformance.scenarios.evidence import answered_ok, clear_pgns, exchanges, of, sent_by
from fixtures.generator import Size, Traits
from oso import envelope, faults, rules
from oso import transport as t
from oso.faults import OsoFault
from oso.profiles import Profile
from oso.schema import dossier_schema
from simulator.client import OsoClient

pytestmark = pytest.mark.oso_role("bron")
rule = pytest.mark.oso_rule
transfers = pytest.mark.parametrize("transfer", TRANSFERS)
SIZES = (Size.FULL, Size.OPT_OUT)
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: s.value)

# The pupil behind each served dossier: circumstances that a faulty export or pupil lookup shows.
CIRCUMSTANCES = {
    ("popo", Size.FULL): {"traits": Traits(twins=True), "secret": True},
    ("popo", Size.OPT_OUT): {"traits": Traits(twins=True)},  # the twin: same surname, birth date, address
    ("povo", Size.FULL): {
        "traits": Traits(contact_needed=True, parents_disagree=True, revised_advice=True),
        "after_eindtoets": True,
    },
    ("povo", Size.OPT_OUT): {"traits": Traits(carers_not_liable=True)},
    ("vovo", Size.FULL): {"traits": Traits(deceased_carer=True), "secret": True},
    ("vovo", Size.OPT_OUT): {"traits": Traits(onderwijsnummer=True)},
}


def pupil(
    oso, transfer: str, index: int, *, prepared: datetime | None = None, school_year: int | None = None, **kw
) -> Version:
    """A pupil of this transfer at the LAS's bron school, prepared this school year unless told."""
    return pupildata.version(
        Profile(transfer),
        index,
        seed=oso.options.seed,
        school_year=school_year or oso.timeline.school_year,
        bron_brin=oso.bron_school(transfer).brin,
        prepared=prepared or oso.timeline.moment(0.5),
        **kw,
    )


def prepare(oso, transfer: str, state: str, versions: list[Version]) -> None:
    try:
        oso.prepare(transfer, state, versions)
    except NotSupported as exc:
        pytest.skip(str(exc))


@dataclass(frozen=True)
class Answer:
    """What the LAS answered one documentRequest: a dossier, a refusal (a SOAP fault's code), or neither."""

    dossier: str | None = None
    refusal: str | None = None
    broken: str | None = None  # no proper answer: what came instead

    def __str__(self) -> str:
        if self.dossier is not None:
            return "a dossier"
        return f"the refusal {self.refusal}" if self.refusal else str(self.broken)


def answer_of(client: OsoClient, url: str, request: t.DocumentRequest) -> Answer:
    """Ask once. A fault counts as a refusal only as SOAP 1.1 sends it: a SOAP Fault with HTTP 500."""
    try:
        return Answer(dossier=client.call(url, request).dossier)
    except OsoFault as fault:
        exchange = client.exchanges[-1] if client.exchanges else None
        if exchange is None or exchange.status is None:
            return Answer(broken=f"no answer: {fault.message}")
        sent = envelope.fault_in(exchange.response)
        if sent is not None and exchange.status == 500:
            return Answer(refusal=sent.sent or sent.code)
        if sent is not None:
            return Answer(broken=f"a SOAP fault {sent.sent or sent.code} with HTTP {exchange.status} (not 500)")
        if exchange.status == 200:
            return Answer(broken=f"a malformed answer: {fault}")
        text = exchange.response[:80].decode("utf-8", "replace").strip()
        return Answer(broken=f"HTTP {exchange.status} without a SOAP fault" + (f": {text!r}" if text else ""))


@dataclass
class Fetched:
    answers: list[Answer]  # one per time the request was sent
    seen: list  # what the LAS under test sent the simulator while answering
    sessie_id: str  # the session asked with

    @property
    def dossier(self) -> str | None:
        return self.answers[-1].dossier


class Doel:
    """The suite as the doel school: session, documentRequest to the LAS under test, afmelding."""

    def __init__(self, oso, transfer: str) -> None:
        self.oso, self.transfer = oso, transfer
        self.bron = oso.bron_school(transfer)
        self.doel_brin, self.doel_rk = oso.counterpart(SECTORS[transfer][1])

    def fetch(
        self,
        pgn: str,
        *,
        verzameldatum: datetime | None = None,
        sessie_id: str | None = None,
        sleutel_pgn: str | None = None,
        twice: bool = False,
        client: OsoClient | None = None,
    ) -> Fetched:
        zoeksleutel = self.oso.zoeksleutel(pgn)
        granted = self.oso.soap.overdracht(
            bron_brin=self.bron.brin,
            doel_brin=self.doel_brin,
            doel_rk=self.doel_rk,
            zoeksleutel_pgnfrag=zoeksleutel,
            overdrachtsoort="overstapdossier",
        )
        ap = next(a for a in granted.aanleverpunt if a.routeringskenmerk == self.bron.routeringskenmerk)
        request = t.DocumentRequest(
            sessie_id=sessie_id or granted.sessie_id,
            bron_brin=self.bron.brin,
            bron_rk=ap.routeringskenmerk,
            doel_brin=self.doel_brin,
            doel_rk=self.doel_rk,
            zoeksleutel_pgnfrag=self.oso.zoeksleutel(sleutel_pgn) if sleutel_pgn else zoeksleutel,
            overdrachtsoort="overstapdossier",
            dossier_verzameldatum=verzameldatum,
        )
        mark = self.oso.mark()
        answers = [answer_of(client or self.oso.soap, ap.url, request) for _ in range(2 if twice else 1)]
        seen = sent_by(exchanges(self.oso.messages(mark)), {self.bron.routeringskenmerk})
        last = answers[-1]
        result = faults.GESLAAGD if last.dossier is not None else last.refusal
        try:
            self.oso.soap.afmelding(
                sessie_id=granted.sessie_id,
                bron_rk=ap.routeringskenmerk,
                doel_rk=self.doel_rk,
                resultaat=result if result in faults.RESULTATEN else faults.INTERNE_FOUT,
            )
        except OsoFault:
            pass
        return Fetched(answers, seen, request.sessie_id)


def refused(fetched: Fetched, code: str, why: str) -> None:
    """The LAS refused, and with the documented code: no answer or a bare HTTP error is no refusal."""
    last = fetched.answers[-1]
    assert last.dossier is None, f"{why}, yet the LAS sent the dossier; expected the SOAP fault {code}"
    assert last.broken is None, f"{why}: expected the SOAP fault {code}, got {last.broken}"
    assert last.refusal == code, f"{why}: the LAS refused with {last.refusal}, expected {code}"


def has_eindtoets(dossier: str) -> bool:
    return "eindtoets" in compare.read(dossier)


@dataclass(frozen=True)
class Served:
    version: Version
    fetched: Fetched


@pytest.fixture(scope="module")
def served(oso):
    """Per transfer and size, one pupil prepared in the LAS and fetched once: what the LAS served.

    All are prepared before any is fetched, so a LAS that serves another pupil of the school has one to serve.
    """
    out: dict[tuple[str, Size], Served | str] = {}
    prepared = []
    for n, transfer in enumerate(TRANSFERS):
        if transfer not in oso.options.transfers:
            continue
        for m, size in enumerate(SIZES):
            version = pupil(oso, transfer, 1000 + 10 * n + m, size=size, **CIRCUMSTANCES[(transfer, size)])
            try:
                oso.prepare(transfer, "ready", [version])
            except NotSupported as exc:
                out[(transfer, size)] = str(exc)
                continue
            prepared.append((transfer, size, version))
    for transfer, size, version in prepared:
        out[(transfer, size)] = Served(version, Doel(oso, transfer).fetch(version.pgn))
    return out


def served_dossier(served, transfer: str, size: Size) -> Served:
    found = served[(transfer, size)]
    if isinstance(found, str):
        pytest.skip(found)
    last = found.fetched.answers[-1]
    assert last.dossier is not None, f"a pupil prepared as ready got {last}, not a dossier"
    return found


def dossier_of(served, transfer: str, size: Size) -> Fetched:
    return served_dossier(served, transfer, size).fetched


def who(personalia: dict) -> str:
    parts = (*personalia.get("voornamen", ())[:1], personalia.get("voorvoegsel"), personalia.get("achternaam"))
    number = personalia.get("bsn") or personalia.get("onderwijsnummer")
    return f"pupil {number} ({' '.join(p for p in parts if p)}, born {personalia.get('geboortedatum')})"


@rule("BRON-SESSION-01")
@transfers
def test_session_is_checked_before_answering(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.FULL)
    checks = [s for s in of(fetched.seen, "sessiecontroleRequest") if answered_ok(s)]
    assert checks, "the LAS answered the documentRequest without checking the session at the Traffic Center"


@rule("BRON-SESSION-02")
def test_no_dossier_for_a_session_the_tc_refuses(oso, served):
    asked, other = pupil(oso, "povo", 1100), pupil(oso, "povo", 1101)
    prepare(oso, "povo", "ready", [asked])
    prepare(oso, "povo", "ready", [other])  # a pupil the LAS would find by the wrong zoeksleutel
    doel = Doel(oso, "povo")
    refused(
        doel.fetch(asked.pgn, sessie_id=str(uuid.uuid4())),
        faults.SESSIE_ONBEKEND,
        "a session the Traffic Center never granted (its sessiecontrole answers SessieOnbekend)",
    )
    refused(
        doel.fetch(asked.pgn, sleutel_pgn=other.pgn),
        faults.SESSIE_AFWIJKEND,
        "the zoeksleutel differs from the session's (its sessiecontrole answers SessieAfwijkend)",
    )
    closed = doel.fetch(asked.pgn)  # a valid session, closed (afmelding) after its dossier came
    assert closed.dossier is not None, f"a valid session got {closed.answers[-1]}, not the dossier"
    refused(
        doel.fetch(asked.pgn, sessie_id=closed.sessie_id),
        faults.SESSIE_REEDS_AFGEMELD,
        "a session the doel already closed (its sessiecontrole answers SessieReedsAfgemeld)",
    )


@rule("BRON-CERT-01")
def test_the_doel_certificate_must_match(oso):
    if oso.pki is None:
        pytest.skip("needs mutual TLS (--oso-tls on; hosted targets only in this version)")
    asked = pupil(oso, "povo", 1102)
    prepare(oso, "povo", "ready", [asked])
    doel = Doel(oso, "povo")
    assert doel.fetch(asked.pgn).dossier is not None, "with the doel's own certificate no dossier came"
    for who_, vendor in (
        ("no certificate", None),
        ("the certificate of a vendor the doel school did not mandate", STRANGER),
    ):
        with oso.client_as(vendor) as client:
            fetched = doel.fetch(asked.pgn, client=client)
        assert fetched.dossier is None, f"the LAS sent a dossier to a doel presenting {who_}"


@rule("BRON-DOSSIER-01")
@transfers
@sizes
def test_dossier_conforms_to_the_schema(oso, served, transfer, size):
    fetched = dossier_of(served, transfer, size)
    xsd = dossier_schema()
    root = etree.fromstring(fetched.dossier.encode())
    assert xsd.validate(root), (
        f"the dossier fails the gegevensset 2019.1 schema: {xsd.error_log[0].message} (line {xsd.error_log[0].line})"
    )


@rule("BRON-DOSSIER-02")
@transfers
@sizes
def test_the_dossier_is_of_the_pupil_asked_for(oso, served, transfer, size):
    found = served_dossier(served, transfer, size)
    version = found.version
    asked = version.data if oso.options.prepare == "export" else compare.read(version.xml)
    differences = compare.identity(asked["personalia"], found.fetched.dossier)
    assert not differences, (
        f"asked for {who(asked['personalia'])}; the dossier is another pupil's:\n{compare.words(differences)}"
    )


@rule("BRON-DOSSIER-03")
@transfers
@sizes
def test_the_dossier_carries_what_was_prepared(oso, served, transfer, size):
    found = served_dossier(served, transfer, size)
    version, dossier = found.version, found.fetched.dossier
    if oso.options.prepare == "passthrough":
        differences = compare.unchanged(version.xml, dossier)
        assert not differences, f"the dossier served differs from the one handed in:\n{compare.words(differences)}"
        return
    brin = oso.bron_school(transfer).brin
    differences = compare.compare(version.data, dossier, bron_brin=brin, prepared=version.prepared.date())
    assert not differences, (
        f"the LAS's export differs from the pupil data it was given in {len(differences)} place(s) "
        f"(docs/conformance.md, 'From pupil data to dossier'):\n{compare.words(differences)}"
    )


def _rules_for(transfer: str) -> list[str]:
    facts = rules.Facts(rules.OVERSTAP, transfer.upper())
    ids = {c.rule.id for c in rules.CHECKS if c.matches(facts)}
    return sorted(ids | {"OVa.OS03"})  # OS03 is about a dossier of unknown kind: any dossier may break it


DOSSIER_RULE_CHECKS = [
    pytest.param(transfer, rule_id, marks=rule(rule_id), id=f"{transfer}-{rule_id}")
    for transfer in TRANSFERS
    for rule_id in _rules_for(transfer)
]


@pytest.mark.parametrize(("transfer", "rule_id"), DOSSIER_RULE_CHECKS)
def test_dossier_meets_the_business_rule(oso, served, transfer, rule_id):
    for size in SIZES:
        fetched = dossier_of(served, transfer, size)
        root = etree.fromstring(fetched.dossier.encode())
        broken = [v for v in rules.check(root) if v.rule.id == rule_id]
        assert not broken, (
            f"{size.value} dossier breaks {rule_id}: {broken[0].rule.text} (at {broken[0].path}, line {broken[0].line})"
        )


@rule("BRON-VERZ-01")
def test_dossier_verzameldatum_is_honoured(oso):
    timeline = oso.timeline
    first = pupil(oso, "povo", 1200, size=Size.FULL, prepared=timeline.moment(0.4))
    update = pupil(oso, "povo", 1200, size=Size.FULL, prepared=timeline.moment(0.8), after_eindtoets=True)
    prepare(oso, "povo", "ready", [first, update])
    doel = Doel(oso, "povo")
    plain = doel.fetch(first.pgn)
    assert plain.dossier is not None, f"asked without dossierVerzameldatum, got {plain.answers[-1]}"
    assert not has_eindtoets(plain.dossier), (
        "asked without dossierVerzameldatum: expected the first dossier prepared, got the update (with the eindtoets)"
    )
    between = timeline.moment(0.6)
    newer = doel.fetch(first.pgn, verzameldatum=between)
    assert newer.dossier is not None, f"asked for a dossier prepared after {between}, got {newer.answers[-1]}"
    assert has_eindtoets(newer.dossier), (
        f"asked for a dossier prepared after {between}: expected the update of {update.prepared}, got the first one"
    )
    refused(
        doel.fetch(first.pgn, verzameldatum=timeline.moment(0.9)),
        faults.GEEN_NIEUWER_DOSSIER,
        f"asked for a dossier prepared after the newest one ({update.prepared})",
    )


@rule("BRON-REFUSE-01")
def test_no_dossier_before_it_is_prepared(oso):
    asked = pupil(oso, "povo", 1300)
    prepare(oso, "povo", "not-ready", [asked])
    refused(Doel(oso, "povo").fetch(asked.pgn), faults.DOSSIER_NIET_GEREED, "a dossier not prepared (klaargezet)")


@rule("BRON-REFUSE-02")
def test_no_dossier_the_parents_have_not_seen(oso):
    asked = pupil(oso, "povo", 1301, seen=False)
    prepare(oso, "povo", "not-allowed", [asked])
    refused(Doel(oso, "povo").fetch(asked.pgn), faults.DOSSIER_NIET_TOEGESTAAN, "a dossier the parents have not seen")


@rule("BRON-REFUSE-03")
def test_no_dossier_after_the_summer(oso):
    timeline = oso.timeline
    asked = pupil(oso, "povo", 1302, prepared=timeline.last_year(), school_year=timeline.school_year - 1)
    prepare(oso, "povo", "ready", [asked])
    refused(
        Doel(oso, "povo").fetch(asked.pgn),
        faults.DOSSIER_VERLOPEN,
        f"a dossier prepared {asked.prepared.date()}, in the school year before the LAS's now ({timeline.now.date()})",
    )


@rule("TC-PGN-01")
@transfers
def test_no_pupil_number_in_clear_to_the_tc(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.OPT_OUT)
    assert fetched.seen, "the LAS sent the Traffic Center nothing"
    leaks = clear_pgns(fetched.seen, oso.pgns)
    assert not leaks, f"the LAS sent a pupil number in clear to the Traffic Center in {sorted({op for op, _ in leaks})}"


@rule("TC-MSG-01")
@transfers
def test_every_message_conforms_to_the_transport_schema(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.OPT_OUT)
    bad = [(s.operation, s.fault) for s in fetched.seen if s.message is None or s.fault == faults.SCHEMA_FOUT]
    assert fetched.seen and not bad, f"messages that do not conform: {bad}"


@rule("BRON-ROBUST-01")
def test_a_duplicated_request_gets_the_same_answer(oso):
    asked = pupil(oso, "povo", 1400)
    prepare(oso, "povo", "ready", [asked])
    first, second = Doel(oso, "povo").fetch(asked.pgn, twice=True).answers
    assert first.dossier is not None and second.dossier is not None, f"answers: {first}, {second}"
    assert first.dossier == second.dossier, "the same request got two different dossiers"
