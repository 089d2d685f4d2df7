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
from typing import TypedDict

import pytest

from conformance import compare, pupildata
from conformance.adapter import NotSupported
from conformance.catalogue import dossier_rules_of
from conformance.expect import expect, fail, not_testable
from conformance.harness import SECTORS, STRANGER, TRANSFERS
from conformance.options import Prepare
from conformance.pupildata import Version
from conformance.scenarios.evidence import answered_ok, clear_pgns, exchanges, ids, of, sent_by
from fixtures.generator import Size, Traits, sector
from oso import envelope, faults, rules
from oso import transport as t
from oso.faults import OsoFault
from oso.parsing import parse
from oso.profiles import Profile
from oso.schema import dossier_schema
from reports.results import PASSTHROUGH_NOTE
from simulator.client import OsoClient

pytestmark = pytest.mark.oso_role("bron")
rule = pytest.mark.oso_rule
transfers = pytest.mark.parametrize("transfer", TRANSFERS)
SIZES = (Size.FULL, Size.OPT_OUT)
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: s.value)


class Circumstances(TypedDict, total=False):
    """What a test pupil's dossier holds beyond the plain case (the keywords of ``pupil``)."""

    traits: Traits
    secret: bool
    after_eindtoets: bool


# The pupil behind each served dossier: circumstances that a faulty export or pupil lookup shows.
CIRCUMSTANCES: dict[tuple[str, Size], Circumstances] = {
    ("popo", Size.FULL): {"traits": Traits(twins=True), "secret": True},
    ("popo", Size.OPT_OUT): {"traits": Traits(twins=True)},  # the twin: same surname, birth date, address
    ("povo", Size.FULL): {
        "traits": Traits(contact_needed=True, parents_disagree=True, revised_advice=True),
        "after_eindtoets": True,
    },
    ("povo", Size.OPT_OUT): {"traits": Traits(carers_not_liable=True)},
    ("vovo", Size.FULL): {"traits": Traits(deceased_carer=True), "secret": True},
    ("vovo", Size.OPT_OUT): {"traits": Traits(onderwijsnummer=True)},
    # binnen-BRIN and SWV: a secret address in one dossier of each, a carer's address in clear in the other
    ("binnenbrin", Size.FULL): {},
    ("binnenbrin", Size.OPT_OUT): {"secret": True},
    ("poswv", Size.FULL): {"secret": True},
    ("poswv", Size.OPT_OUT): {"traits": Traits(onderwijsnummer=True)},  # held, never in a swv-dossier
    ("voswv", Size.FULL): {"traits": Traits(deceased_carer=True)},
    ("voswv", Size.OPT_OUT): {"secret": True},
}


def pupil(
    oso, transfer: str, index: int, *, prepared: datetime | None = None, school_year: int | None = None, **kw
) -> Version:
    """A pupil of this transfer at the LAS's bron school, prepared this school year unless told."""
    if sector(Profile(transfer), index) != SECTORS[transfer][0]:
        index += 1  # a binnen-BRIN pupil of the sector of the school it moves inside (the fixtures vary it)
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
        not_testable(exc.reason, exc.remedy)


def on_the_export(oso) -> None:
    """A check of the dossier's content that passed in passthrough mode saw the dossier the suite handed in,
    not the LAS's own export: its rule is then not tested (the verdict cannot be PASS)."""
    if oso.options.prepare is Prepare.PASSTHROUGH:
        not_testable(
            f"{PASSTHROUGH_NOTE}: the dossier checked is the one the suite handed in (POST /control/dossiers)",
            "run in export mode (--prepare export, the default): the LAS makes the dossier from pupil data",
        )


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
    asked: list[int]  # log ids of the documentRequests to the LAS (logged when the simulator hosts it)

    @property
    def dossier(self) -> str | None:
        return self.answers[-1].dossier


class Doel:
    """The suite as the doel school: session, documentRequest to the LAS under test, afmelding.

    The doel of a swv-dossier is a samenwerkingsverband; of a binnen-BRIN dossier the bron school itself (its
    own aanleverpunt, speaking as its own vendor: only that vendor may, docs/conformance.md)."""

    def __init__(self, oso, transfer: str) -> None:
        self.oso, self.transfer = oso, transfer
        self.bron = oso.bron_school(transfer)
        self.overdrachtsoort = Profile(transfer).overdrachtsoort
        self.tc: OsoClient = oso.soap
        if transfer == Profile.BINNENBRIN:
            self.doel_brin, self.doel_rk, self.tc = self.bron.brin, self.bron.routeringskenmerk, oso.own_client
        else:
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
        granted = self.tc.overdracht(
            bron_brin=self.bron.brin,
            doel_brin=self.doel_brin,
            doel_rk=self.doel_rk,
            zoeksleutel_pgnfrag=zoeksleutel,
            overdrachtsoort=self.overdrachtsoort,
        )
        ap = next(a for a in granted.aanleverpunt if a.routeringskenmerk == self.bron.routeringskenmerk)
        request = t.DocumentRequest(
            sessie_id=sessie_id or granted.sessie_id,
            bron_brin=self.bron.brin,
            bron_rk=ap.routeringskenmerk,
            doel_brin=self.doel_brin,
            doel_rk=self.doel_rk,
            zoeksleutel_pgnfrag=self.oso.zoeksleutel(sleutel_pgn) if sleutel_pgn else zoeksleutel,
            overdrachtsoort=self.overdrachtsoort,
            dossier_verzameldatum=verzameldatum,
        )
        mark = self.oso.mark()
        answers = [answer_of(client or self.tc, ap.url, request) for _ in range(2 if twice else 1)]
        logged = exchanges(self.oso.messages(mark))
        seen = sent_by(logged, {self.bron.routeringskenmerk})
        asked = [s.id for s in of(logged, "documentRequest") if s.endpoint.endswith(ap.routeringskenmerk)]
        last = answers[-1]
        result = faults.GESLAAGD if last.dossier is not None else last.refusal
        try:
            self.tc.afmelding(
                sessie_id=granted.sessie_id,
                bron_rk=ap.routeringskenmerk,
                doel_rk=self.doel_rk,
                resultaat=result if result in faults.RESULTATEN else faults.INTERNE_FOUT,
            )
        except OsoFault:
            pass
        return Fetched(answers, seen, request.sessie_id, asked)


def refused(fetched: Fetched, code: str, why: str) -> None:
    """The LAS refused, and with the documented code: no answer or a bare HTTP error is no refusal."""
    last = fetched.answers[-1]
    expect(
        last.refusal == code and last.dossier is None,
        f"the SOAP fault {code} (HTTP 500): {why}",
        str(last),
        messages=fetched.asked,
    )


def has_eindtoets(dossier: str) -> bool:
    return "eindtoets" in compare.read(dossier)


def has_revised_advice(dossier: str) -> bool:
    return "herzien_advies" in compare.read(dossier).get("overstapadvies", {})


@dataclass(frozen=True)
class Served:
    version: Version
    fetched: Fetched

    @property
    def dossier(self) -> str:
        """The dossier served (served_dossier has seen that there is one)."""
        dossier = self.fetched.dossier
        if dossier is None:
            raise AssertionError("no dossier served: ask served_dossier, which checks that there is one")
        return dossier


@pytest.fixture(scope="module")
def served(oso):
    """Per transfer and size, one pupil prepared in the LAS and fetched once: what the LAS served.

    All are prepared before any is fetched, so a LAS that serves another pupil of the school has one to serve.
    """
    out: dict[tuple[str, Size], Served | NotSupported] = {}
    prepared = []
    for n, transfer in enumerate(TRANSFERS):
        if transfer not in oso.options.transfers:
            continue
        for m, size in enumerate(SIZES):
            version = pupil(oso, transfer, 1000 + 10 * n + m, size=size, **CIRCUMSTANCES[(transfer, size)])
            try:
                oso.prepare(transfer, "ready", [version])
            except NotSupported as exc:
                out[(transfer, size)] = exc
                continue
            prepared.append((transfer, size, version))
    for transfer, size, version in prepared:
        out[(transfer, size)] = Served(version, Doel(oso, transfer).fetch(version.pgn))
    return out


def served_dossier(served, transfer: str, size: Size) -> Served:
    found = served[(transfer, size)]
    if isinstance(found, NotSupported):
        not_testable(found.reason, found.remedy)
    last = found.fetched.answers[-1]
    expect(
        last.dossier is not None,
        f"the dossier of a pupil prepared as ready ({transfer}, {size.value})",
        str(last),
        messages=found.fetched.asked,
    )
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
    expect(
        checks,
        "a sessiecontroleRequest to the Traffic Center, answered, before the LAS answers the documentRequest",
        "none: the LAS answered without checking the session",
        messages=fetched.asked + ids(fetched.seen),
    )


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
    expect(
        closed.dossier is not None, "the dossier for a valid session", str(closed.answers[-1]), messages=closed.asked
    )
    refused(
        doel.fetch(asked.pgn, sessie_id=closed.sessie_id),
        faults.SESSIE_REEDS_AFGEMELD,
        "a session the doel already closed (its sessiecontrole answers SessieReedsAfgemeld)",
    )


@rule("BRON-CERT-01")
def test_the_doel_certificate_must_match(oso):
    if oso.pki is None:
        not_testable(
            "this check needs mutual TLS between the parties, and the run is plain HTTP",
            "run with --tls on"
            if oso.options.target.hosted
            else f"give the LAS the certificates of `osokit pki init --dir pki --vendor {oso.vendor.vendor}` "
            "(its aanleverpunten over https, docs/conformance.md, Mutual TLS), then run with "
            "--tls on --pki-dir pki",
        )
    asked = pupil(oso, "povo", 1102)
    prepare(oso, "povo", "ready", [asked])
    doel = Doel(oso, "povo")
    own = doel.fetch(asked.pgn)
    expect(
        own.dossier is not None,
        "the dossier for a doel presenting its own vendor's certificate",
        str(own.answers[-1]),
        messages=own.asked,
    )
    for who_, client in (
        ("no certificate", oso.client_as(None)),
        ("a certificate of another CA", oso.client_of_another_ca()),
        ("the certificate of a vendor the doel school did not mandate", oso.client_as(STRANGER)),
    ):
        with client:
            fetched = doel.fetch(asked.pgn, client=client)
        expect(
            fetched.dossier is None,
            f"no dossier for a doel presenting {who_}",
            "the LAS sent the dossier",
            messages=fetched.asked,
        )


@rule("BRON-DOSSIER-01")
@transfers
@sizes
def test_dossier_conforms_to_the_schema(oso, served, transfer, size):
    found = served_dossier(served, transfer, size)
    fetched = found.fetched
    xsd = dossier_schema()
    root = parse(found.dossier.encode())
    if not xsd.validate(root):
        error = xsd.error_log[0]
        fail(
            "a dossier valid against the gegevensset 2019.1 schema",
            error.message,
            where=f"line {error.line} of the dossier served",
            messages=fetched.asked,
        )
    on_the_export(oso)


@rule("BRON-DOSSIER-02")
@transfers
@sizes
def test_the_dossier_is_of_the_pupil_asked_for(oso, served, transfer, size):
    found = served_dossier(served, transfer, size)
    version = found.version
    asked = version.data if oso.options.prepare is Prepare.EXPORT else compare.read(version.xml)
    differences = compare.identity(asked["personalia"], found.dossier, swv=Profile(transfer).is_swv)
    if differences:
        fail(
            f"the dossier of the pupil asked for, {who(asked['personalia'])}",
            f"another pupil's:\n{compare.words(differences)}",
            where=differences[0].xpath,
            messages=found.fetched.asked,
        )


@rule("BRON-DOSSIER-03")
@transfers
@sizes
def test_the_dossier_carries_what_was_prepared(oso, served, transfer, size):
    found = served_dossier(served, transfer, size)
    version, dossier = found.version, found.dossier
    if oso.options.prepare is Prepare.PASSTHROUGH:
        differences = compare.unchanged(version.xml, dossier)
        expected = "the dossier served unchanged as it was handed in (POST /control/dossiers)"
    else:
        brin = oso.bron_school(transfer).brin
        differences = compare.compare(version.data, dossier, bron_brin=brin, prepared=version.prepared.date())
        expected = (
            "the LAS's export of the pupil data it was given, field by field "
            "(docs/conformance.md, 'From pupil data to dossier')"
        )
    if differences:
        fail(
            expected,
            f"{len(differences)} difference(s):\n{compare.words(differences)}",
            where=differences[0].xpath,
            messages=found.fetched.asked,
        )
    on_the_export(oso)


DOSSIER_RULE_CHECKS = [
    pytest.param(transfer, rule_id, marks=rule(rule_id), id=f"{transfer}-{rule_id}")
    for transfer in TRANSFERS
    for rule_id in sorted(dossier_rules_of(transfer.profile))
]


@pytest.mark.parametrize(("transfer", "rule_id"), DOSSIER_RULE_CHECKS)
def test_dossier_meets_the_business_rule(oso, served, transfer, rule_id):
    for size in SIZES:
        found = served_dossier(served, transfer, size)
        fetched = found.fetched
        root = parse(found.dossier.encode())
        broken = [v for v in rules.check(root) if v.rule.id == rule_id]
        if broken:
            fail(
                f"a dossier that meets {rule_id}: {broken[0].rule.text}",
                f"the {size.value} dossier breaks it (line {broken[0].line})",
                where=broken[0].path,
                messages=fetched.asked,
            )
    on_the_export(oso)


@rule("BRON-VERZ-01")
def test_dossier_verzameldatum_is_honoured(oso):
    """Two versions after the date asked (the update after the eindtoets, then the advice revised on it), so
    that a bron that sends the oldest of them rather than the newest shows it."""
    timeline = oso.timeline
    first = pupil(oso, "povo", 1200, size=Size.FULL, prepared=timeline.moment(0.3))
    update = pupil(oso, "povo", 1200, size=Size.FULL, prepared=timeline.moment(0.5), after_eindtoets=True)
    revised: Circumstances = {"after_eindtoets": True, "traits": Traits(revised_advice=True)}
    newest = pupil(oso, "povo", 1200, size=Size.FULL, prepared=timeline.moment(0.7), **revised)
    prepare(oso, "povo", "ready", [first, update, newest])
    doel = Doel(oso, "povo")
    plain = doel.fetch(first.pgn)
    expect(
        plain.dossier is not None and not has_eindtoets(plain.dossier),
        f"asked without dossierVerzameldatum: the first dossier prepared ({first.prepared}, without the eindtoets)",
        "a later one (with the eindtoets)" if plain.dossier is not None else str(plain.answers[-1]),
        messages=plain.asked,
    )
    between = timeline.moment(0.4)
    newer = doel.fetch(first.pgn, verzameldatum=between)
    expect(
        newer.dossier is not None and has_eindtoets(newer.dossier) and has_revised_advice(newer.dossier),
        f"asked for a dossier prepared after {between}: the newest one, of {newest.prepared} (with the eindtoets "
        f"and the revised advice), not the update of {update.prepared}",
        str(newer.answers[-1])
        if newer.dossier is None
        else "the update (without the revised advice)"
        if has_eindtoets(newer.dossier)
        else "the first dossier (without the eindtoets)",
        messages=newer.asked,
    )
    refused(
        doel.fetch(first.pgn, verzameldatum=timeline.moment(0.9)),
        faults.GEEN_NIEUWER_DOSSIER,
        f"asked for a dossier prepared after the newest one ({newest.prepared})",
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
    expect(fetched.seen, "the LAS's sessiecontrole at the Traffic Center", "the LAS sent the Traffic Center nothing")
    leaky = [s for s in fetched.seen if clear_pgns([s], oso.pgns)]
    expect(
        not leaky,
        "no pupil number in clear: only a zoeksleutel or pgnfrag",
        "a pupil number in clear in " + ", ".join(f"{s.operation} #{s.id}" for s in leaky),
        messages=ids(leaky),
    )


@rule("TC-MSG-01")
@transfers
def test_every_message_conforms_to_the_transport_schema(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.OPT_OUT)
    expect(fetched.seen, "the LAS's sessiecontrole at the Traffic Center", "the LAS sent the Traffic Center nothing")
    bad = [s for s in fetched.seen if s.message is None or s.fault == faults.SCHEMA_FOUT]
    expect(
        not bad,
        "every message of the LAS valid against the transport schema",
        "not valid: " + ", ".join(f"{s.operation} #{s.id}" + (f" ({s.fault})" if s.fault else "") for s in bad),
        messages=ids(bad),
    )


@rule("BRON-ROBUST-01")
def test_a_duplicated_request_gets_the_same_answer(oso):
    asked = pupil(oso, "povo", 1400)
    prepare(oso, "povo", "ready", [asked])
    fetched = Doel(oso, "povo").fetch(asked.pgn, twice=True)
    first, second = fetched.answers
    expect(
        first.dossier is not None and first.dossier == second.dossier,
        "the same dossier for the same documentRequest sent twice",
        f"{first}, then {second}" if first.dossier is None or second.dossier is None else "two different dossiers",
        messages=fetched.asked,
    )
