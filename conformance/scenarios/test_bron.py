"""The LAS under test as bronsysteem: the suite prepares dossiers in it and asks for them as a doel.

The simulator plays the Traffic Center; the suite's own SOAP client plays the doel school (a
reference school of the right sector). The LAS must check the session before it answers, answer
only valid sessions, send a dossier that meets the schema and every business rule of its profile,
honour dossierVerzameldatum, and refuse what it may not send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pytest

from conformance.adapter import NotSupported
from conformance.harness import SECTORS, STRANGER, TRANSFERS
from conformance.scenarios.evidence import answered_ok, clear_pgns, exchanges, of, sent_by
from fixtures.generator import Request, Size, Traits, build
from oso import codec, faults, rules
from oso import transport as t
from oso.faults import OsoFault
from oso.parsing import parse
from oso.profiles import Profile
from oso.schema import dossier_schema
from simulator.client import OsoClient

pytestmark = pytest.mark.oso_role("bron")
rule = pytest.mark.oso_rule
transfers = pytest.mark.parametrize("transfer", TRANSFERS)
LOCAL = timezone(timedelta(hours=1))
SIZES = (Size.FULL, Size.OPT_OUT)


def dossier(
    transfer: str, size: Size, index: int, seed: int, *, after_eindtoets: bool = False
) -> tuple[str, str, datetime]:
    """(pgn, xml, prepared) of a plain pupil of this profile: no special circumstances."""
    d, pupil = build(
        Request(profile=Profile(transfer), seed=seed, size=size, traits=Traits(), after_eindtoets=after_eindtoets),
        index,
    )
    return pupil.pgn, codec.to_text(d, "dossier"), datetime.combine(d.metadata.datum, time(10, 0), LOCAL)


@dataclass
class Fetched:
    answer: t.DocumentResponse | None
    fault: OsoFault | None
    seen: list  # what the LAS under test sent the simulator while answering
    answers: list  # every answer, when the request was sent more than once


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
        answers = []
        for _ in range(2 if twice else 1):
            try:
                answers.append((client or self.oso.soap).call(ap.url, request))
            except OsoFault as fault:
                answers.append(fault)
        seen = sent_by(exchanges(self.oso.messages(mark)), {self.bron.routeringskenmerk})
        result = GESLAAGD_OR(answers[-1])
        try:
            self.oso.soap.afmelding(
                sessie_id=granted.sessie_id, bron_rk=ap.routeringskenmerk, doel_rk=self.doel_rk, resultaat=result
            )
        except OsoFault:
            pass
        last = answers[-1]
        if isinstance(last, t.DocumentResponse):
            return Fetched(last, None, seen, answers)
        return Fetched(None, last, seen, answers)


def GESLAAGD_OR(answer: object) -> str:  # noqa: N802 - reads as the result it picks
    if isinstance(answer, t.DocumentResponse):
        return faults.GESLAAGD
    code = getattr(answer, "code", faults.INTERNE_FOUT)
    return code if code in faults.RESULTATEN else faults.INTERNE_FOUT


def prepare(oso, transfer: str, pgn: str, state: str, versions: list[tuple[datetime, str]]) -> None:
    try:
        oso.adapter.prepare(oso.bron_school(transfer).brin, pgn, state, versions)
    except NotSupported as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def served(oso):
    """Per transfer and size, one plain pupil prepared in the LAS and fetched once: the dossier it sent."""
    out: dict[tuple[str, Size], Fetched | str] = {}
    seed = oso.options.seed
    for n, transfer in enumerate(TRANSFERS):
        if transfer not in oso.options.transfers:
            continue
        for m, size in enumerate(SIZES):
            pgn, xml, prepared = dossier(transfer, size, 1000 + 10 * n + m, seed, after_eindtoets=transfer == "povo")
            try:
                oso.adapter.prepare(oso.bron_school(transfer).brin, pgn, "ready", [(prepared, xml)])
            except NotSupported as exc:
                out[(transfer, size)] = str(exc)
                continue
            out[(transfer, size)] = Doel(oso, transfer).fetch(pgn)
    return out


def dossier_of(served, transfer: str, size: Size) -> Fetched:
    fetched = served[(transfer, size)]
    if isinstance(fetched, str):
        pytest.skip(fetched)
    assert fetched.answer is not None, f"no dossier came: {fetched.fault}"
    return fetched


@rule("BRON-SESSION-01")
@transfers
def test_session_is_checked_before_answering(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.FULL)
    checks = [s for s in of(fetched.seen, "sessiecontroleRequest") if answered_ok(s)]
    assert checks, "the LAS answered the documentRequest without checking the session at the Traffic Center"


@rule("BRON-SESSION-02")
def test_no_dossier_for_a_session_the_tc_refuses(oso, served):
    pgn, xml, prepared = dossier("povo", Size.OPT_OUT, 1100, oso.options.seed)
    prepare(oso, "povo", pgn, "ready", [(prepared, xml)])
    doel = Doel(oso, "povo")
    unknown = doel.fetch(pgn, sessie_id=str(uuid.uuid4()))
    assert unknown.answer is None, "the LAS sent a dossier for a session the Traffic Center never granted"
    other_pgn, _, _ = dossier("povo", Size.OPT_OUT, 1101, oso.options.seed)
    mismatched = doel.fetch(pgn, sleutel_pgn=other_pgn)
    assert mismatched.answer is None, "the LAS sent a dossier although the zoeksleutel differs from the session's"


@rule("BRON-CERT-01")
def test_the_doel_certificate_must_match(oso):
    if oso.pki is None:
        pytest.skip("needs mutual TLS (--oso-tls on; hosted targets only in this version)")
    pgn, xml, prepared = dossier("povo", Size.OPT_OUT, 1102, oso.options.seed)
    prepare(oso, "povo", pgn, "ready", [(prepared, xml)])
    doel = Doel(oso, "povo")
    assert doel.fetch(pgn).answer is not None, "with the doel's own certificate no dossier came"
    for who, vendor in (
        ("no certificate", None),
        ("the certificate of a vendor the doel school did not mandate", STRANGER),
    ):
        with oso.client_as(vendor) as client:
            fetched = doel.fetch(pgn, client=client)
        assert fetched.answer is None, f"the LAS sent a dossier to a doel presenting {who}"


@rule("BRON-DOSSIER-01")
@transfers
@pytest.mark.parametrize("size", SIZES, ids=lambda s: s.value)
def test_dossier_conforms_to_the_schema(oso, served, transfer, size):
    fetched = dossier_of(served, transfer, size)
    xsd = dossier_schema()
    root = parse(fetched.answer.dossier.encode())
    assert xsd.validate(root), (
        f"the dossier fails the gegevensset 2019.1 schema: {xsd.error_log[0].message} (line {xsd.error_log[0].line})"
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
        root = parse(fetched.answer.dossier.encode())
        broken = [v for v in rules.check(root) if v.rule.id == rule_id]
        assert not broken, (
            f"{size.value} dossier breaks {rule_id}: {broken[0].rule.text} (at {broken[0].path}, line {broken[0].line})"
        )


@rule("BRON-VERZ-01")
def test_dossier_verzameldatum_is_honoured(oso):
    seed = oso.options.seed
    pgn, first, first_at = dossier("povo", Size.FULL, 1200, seed)
    _, update, update_at = dossier("povo", Size.FULL, 1200, seed, after_eindtoets=True)
    prepare(oso, "povo", pgn, "ready", [(first_at, first), (update_at, update)])
    oso.set_clock("2026-06-20T09:00:00+02:00")
    doel = Doel(oso, "povo")
    newer = doel.fetch(pgn, verzameldatum=first_at + timedelta(days=1))
    assert newer.answer is not None, f"no dossier after {first_at.date()} although one was prepared: {newer.fault}"
    assert "<eindtoets_basisonderwijs>" in newer.answer.dossier, "asked for a newer dossier, got the first one"
    none = doel.fetch(pgn, verzameldatum=update_at + timedelta(days=1))
    assert none.answer is None, "asked for a dossier newer than the last one prepared, yet one came"


@rule("BRON-REFUSE-01")
def test_no_dossier_before_it_is_prepared(oso):
    pgn, xml, prepared = dossier("povo", Size.OPT_OUT, 1300, oso.options.seed)
    prepare(oso, "povo", pgn, "not-ready", [(prepared, xml)])
    assert Doel(oso, "povo").fetch(pgn).answer is None, "a dossier that was not prepared (klaargezet) was sent"


@rule("BRON-REFUSE-02")
def test_no_dossier_the_parents_have_not_seen(oso):
    pgn, xml, prepared = dossier("povo", Size.OPT_OUT, 1301, oso.options.seed)
    prepare(oso, "povo", pgn, "not-allowed", [(prepared, xml)])
    assert Doel(oso, "povo").fetch(pgn).answer is None, "a dossier that may not go to this doel was sent"


@rule("BRON-REFUSE-03")
def test_no_dossier_after_the_summer(oso):
    pgn, xml, prepared = dossier("povo", Size.OPT_OUT, 1302, oso.options.seed)
    prepare(oso, "povo", pgn, "ready", [(prepared, xml)])
    oso.set_clock("2026-08-17T09:00:00+02:00")
    fetched = Doel(oso, "povo").fetch(pgn)
    assert fetched.answer is None, f"a dossier prepared {prepared.date()} was sent after the summer"


@rule("TC-PGN-01")
@transfers
def test_no_pupil_number_in_clear_to_the_tc(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.OPT_OUT)
    assert fetched.seen, "the LAS sent the Traffic Center nothing"
    assert not clear_pgns(fetched.seen), "the LAS sent a pupil number in clear to the Traffic Center"


@rule("TC-MSG-01")
@transfers
def test_every_message_conforms_to_the_transport_schema(oso, served, transfer):
    fetched = dossier_of(served, transfer, Size.OPT_OUT)
    bad = [(s.operation, s.fault) for s in fetched.seen if s.message is None or s.fault == faults.SCHEMA_FOUT]
    assert fetched.seen and not bad, f"messages that do not conform: {bad}"


@rule("BRON-ROBUST-01")
def test_a_duplicated_request_gets_the_same_answer(oso):
    pgn, xml, prepared = dossier("povo", Size.OPT_OUT, 1400, oso.options.seed)
    prepare(oso, "povo", pgn, "ready", [(prepared, xml)])
    fetched = Doel(oso, "povo").fetch(pgn, twice=True)
    first, second = fetched.answers
    assert isinstance(first, t.DocumentResponse) and isinstance(second, t.DocumentResponse), (
        f"answers: {type(first).__name__}, {type(second).__name__}"
    )
    assert first.dossier == second.dossier, "the same request got two different dossiers"
