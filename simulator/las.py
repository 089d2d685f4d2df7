"""The built-in reference LAS: a correct school system in both roles, answering at /schools/<rk>.

As **bron** it answers documentRequests: it checks the session with the Traffic Center first, then
finds the pupil by zoeksleutel or pgnfrag, and refuses when the dossier is not ready, may not go
to this doel, has expired (prepared before the summer), is not newer than the requested
dossierVerzameldatum or is not of the overdrachtsoort asked for (a swv-dossier request gets the
pupil's swv-dossier only). As **doel** it accepts notifications and feedback, requests dossiers (one
or a batch: one session per pupil), imports them in three repeatable steps and links a
re-requested dossier to the pupil it already imported; a dossier of another overdrachtsoort or of
another pupil than it asked for it does not import.

Every step is a small method so a mutant (a deliberately faulty LAS, ``simulator/mutants.py``) can
override exactly one of them. The same class, given :class:`~simulator.pupils.Prepared` as its
pupil source, plays the *vendor under test* when the conformance suite is run against it.

Dossier selection follows Kennisnet's sandbox: without dossierVerzameldatum the first dossier
(without the eindtoets results); with a date, the newest dossier prepared after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from oso import codec, faults
from oso import transport as t
from oso.calendar import RegionCalendar, school_year_of
from oso.exchange import AsyncTransport, Call, Transport
from oso.faults import GESLAAGD, OsoFault
from oso.identifiers import mask_pgn
from oso.namespaces import DOSSIER
from oso.parsing import XmlError, parse
from oso.profiles import Profile
from oso.rules import Facts
from oso.schema import dossier_schema
from oso.validation import checked, failed
from oso.xmlmodel import XmlFragment
from oso.zoeksleutel import Scheme
from simulator import export
from simulator.broker import Caller, authorise
from simulator.calendar import Calendars
from simulator.clock import Clock
from simulator.pupils import Pupil, PupilSource, Version
from simulator.records import LasRecords, Transfer
from simulator.register import ANOTHER_KIND, Endpoint, Register

NOTIFICATIE_ONTVANGEN, TERUGKOPPELING_ONTVANGEN = "NotificatieOntvangen", "TerugkoppelingOntvangen"
IMPORT_STEPS = ("personalia", "schoolloopbaan", "ondersteuning")
IN_PROCESS_TC = "/tc"  # where a hosted LAS reaches the TC of its own simulator (a path: no wire)


@dataclass(frozen=True)
class LasTransport:
    """How a hosted LAS reaches the others: its Traffic Center (blocking: in process, or at a URL) and the
    aanleverpunten of other schools (over HTTP). The simulator wraps both in its fault profile and
    its evidence log."""

    tc: Transport
    aanleverpunten: AsyncTransport


@dataclass(frozen=True)
class VendorUnderTest:
    """The LAS the simulator hosts in its vendor-under-test slot, chosen by whoever starts it (the CLI, the
    conformance harness): the reference LAS or a mutant, and the name a run gives it."""

    name: str  # "reference" or "mutant:<name>"
    las: type[ReferenceLas]


def pupil_key(doel_brin: str, pgn: str) -> str:
    """How the doel LAS recognises a pupil it imported before, without storing the PGN in clear."""
    return hashlib.sha256(f"{doel_brin}/{pgn}".encode()).hexdigest()[:24]


class ReferenceLas:
    def __init__(
        self,
        vendor: str,
        source: PupilSource,
        *,
        transport: LasTransport,
        records: LasRecords,
        clock: Clock,
        register: Register,
        scheme: Scheme,
        dossier_expiry: str = "08-01",
        calendars: Calendars | None = None,
    ) -> None:
        self.vendor, self.source, self.transport = vendor, source, transport
        self.records, self.clock, self.register = records, clock, register
        self.scheme = scheme  # how this LAS makes zoeksleutels: its TC's (set up through the control API)
        self.tc_url = IN_PROCESS_TC  # or the URL of a Traffic Center elsewhere
        self.expiry_month, self.expiry_day = (int(x) for x in dossier_expiry.split("-"))
        self.calendars = calendars  # the counterpart schools keep to their regions' dates (simulator/calendar.py)

    def handle(self, routeringskenmerk: str, request: object, caller: Caller) -> object:
        endpoint = self.register.endpoints.get(routeringskenmerk)
        if endpoint is None or not endpoint.active:
            raise OsoFault(faults.DOEL_ONBEKEND, f"no active aanleverpunt {routeringskenmerk} here")
        if isinstance(request, t.DocumentRequest):
            return self.document(endpoint, request, caller)
        if isinstance(request, t.NotificatieRequest):
            return self.notificatie(endpoint, request, caller)
        if isinstance(request, t.TerugkoppelingRequest):
            return self.terugkoppeling(endpoint, request, caller)
        raise OsoFault(
            faults.ONBEKENDE_OPERATIE, f"{t.element_name(request)} is a Traffic Center operation: send it to /tc"
        )

    def call_tc(self, request: object) -> Any:
        """A call to the Traffic Center: checked, faulted and logged like a message on the wire."""
        call = Call.of(self.tc_url, request)
        return self.transport.tc.exchange(call).result(call)

    async def send(self, ap: t.Aanleverpunt, request: object) -> Any:
        """A call to another school's aanleverpunt."""
        call = Call.of(ap.url, request, school=ap.routeringskenmerk)
        return (await self.transport.aanleverpunten.exchange_async(call)).result(call)

    def call_tc_committed(self, request: object) -> Any:
        """call_tc in a transaction of its own: a refusal is committed with its evidence, then raised."""
        refusal: OsoFault | None = None
        with self.records.transaction():
            try:
                return self.call_tc(request)
            except OsoFault as fault:
                refusal = fault
        raise refusal

    # --- bron: answering a documentRequest ---------------------------------------------------------

    def document(self, endpoint: Endpoint, req: t.DocumentRequest, caller: Caller) -> t.DocumentResponse:
        self.check_caller(caller, req)
        if req.bron_rk != endpoint.routeringskenmerk:
            raise OsoFault(
                faults.VERSTREKKER_AANLEVERPUNT,
                f"bronRouteringsKenmerk {req.bron_rk} is not this aanleverpunt ({endpoint.routeringskenmerk})",
            )
        self.check_session(req)
        pupil = self.find_pupil(endpoint, req)
        self.check_allowed(pupil)
        version = self.choose_version(pupil, req)
        if pupil.mistake != ANOTHER_KIND:  # a counterpart bron scripted to serve another kind (for doel checks)
            self.check_kind(pupil, version, req)
        self.records.served(
            req.sessie_id, req.bron_rk, req.doel_brin, req.doel_rk, pupil.key, GESLAAGD, self.clock.now()
        )
        return t.DocumentResponse(resultaat=GESLAAGD, dossier=XmlFragment(self.serve(pupil, version)))

    def check_caller(self, caller: Caller, req: t.DocumentRequest) -> None:
        """Under TLS the doel's client certificate must be of a vendor that the doel school mandated."""
        authorise(self.register, caller, req.doel_brin, req.doel_rk)

    def check_session(self, req: t.DocumentRequest) -> None:
        """sessiecontrole at the TC before anything else; a TC fault goes back to the doel as it is."""
        self.call_tc(
            t.SessiecontroleRequest(
                bron_brin=req.bron_brin,
                bron_rk=req.bron_rk,
                doel_brin=req.doel_brin,
                doel_rk=req.doel_rk,
                zoeksleutel_pgnfrag=req.zoeksleutel_pgnfrag,
                koppelsleutel=req.koppelsleutel,
                overdrachtsoort=req.overdrachtsoort,
                sessie_id=req.sessie_id,
            )
        )

    def find_pupil(self, endpoint: Endpoint, req: t.DocumentRequest) -> Pupil:
        given = t.sleutel(req)
        if given is None:
            raise OsoFault(faults.SLEUTEL_KEUZE)
        kind, value = given
        if kind == "koppelsleutel":
            notified = self.records.notified_pupil(value)
            pupil = self.source.get(notified) if notified else None
            found = [pupil] if pupil else []
        else:
            found = self.source.find(kind, value, endpoint.brin)
        if len(found) != 1:
            reason = "no pupil" if not found else f"{len(found)} pupils (a pgnfrag is not unique here)"
            raise OsoFault(faults.DOSSIER_NIET_GEVONDEN, f"{kind} matches {reason} at school {endpoint.brin}")
        return found[0]

    def check_allowed(self, pupil: Pupil) -> None:
        if pupil.state == "not-ready":
            raise OsoFault(faults.DOSSIER_NIET_GEREED, "the dossier has not been prepared (klaargezet)")
        if pupil.state == "not-allowed":
            raise OsoFault(faults.DOSSIER_NIET_TOEGESTAAN, "the parents have not seen the dossier: it may not go out")

    def expired(self, prepared: datetime, now: datetime) -> bool:
        """A dossier of school year Y-(Y+1) expires on MM-DD of Y+1 (default 1 August)."""
        school_year = prepared.year if prepared.month >= 8 else prepared.year - 1
        return now.date() >= date(school_year + 1, self.expiry_month, self.expiry_day)

    def choose_version(self, pupil: Pupil, req: t.DocumentRequest) -> Version:
        now = self.clock.now()
        available = [v for v in self.source.versions(pupil) if v.number == 1 or v.prepared <= now]
        if not available:
            raise OsoFault(faults.DOSSIER_NIET_GEREED, "no dossier prepared for this pupil")
        first = self.calendar(pupil, available[0])
        if first and pupil.profile is Profile.POVO and pupil.label is None and now.date() < first.klaarzetten:
            raise OsoFault(
                faults.DOSSIER_NIET_GEREED,
                f"po-vo dossiers of region {first.region} are klaargezet by {first.klaarzetten}",
            )
        if req.dossier_verzameldatum is None:
            chosen = available[0]
        else:
            newer = [v for v in available if v.prepared > req.dossier_verzameldatum]
            if not newer:
                raise OsoFault(
                    faults.GEEN_NIEUWER_DOSSIER,
                    "no dossier collected after "
                    f"{req.dossier_verzameldatum.isoformat()} (latest: {available[-1].prepared.isoformat()})",
                )
            chosen = newer[-1]
        regional = self.calendar(pupil, chosen)
        if now.date() >= regional.zomervakantie if regional else self.expired(chosen.prepared, now):
            raise OsoFault(faults.DOSSIER_VERLOPEN, f"prepared {chosen.prepared.date()}, expired after the summer")
        return chosen

    def calendar(self, pupil: Pupil, version: Version) -> RegionCalendar | None:
        """The calendar of the school year the version was prepared in, at the pupil's school, if this LAS
        keeps to one (the counterpart schools do; a LAS under test keeps the national rule)."""
        if self.calendars is None:
            return None
        return self.calendars.of(pupil.school, school_year_of(version.prepared.date()))

    def check_kind(self, pupil: Pupil, version: Version, req: t.DocumentRequest) -> None:
        """Only a dossier of the kind asked for: a swv-dossier request gets the pupil's swv-dossier, never the
        overstapdossier or binnen-BRIN dossier its school prepared for another doel. A generated pupil's kind is
        its profile's (no parse on the hot path); a dossier handed in is read, and one that declares no known
        kind goes out as it is: passthrough."""
        kind = pupil.profile.overdrachtsoort if pupil.profile else Facts.of(parse(version.xml.encode())).kind
        if kind is not None and kind != req.overdrachtsoort:
            raise OsoFault(
                faults.DOSSIER_NIET_GEVONDEN, f"no {req.overdrachtsoort} for this pupil here: its dossier is a {kind}"
            )

    def serve(self, pupil: Pupil, version: Version) -> str:
        """The dossier as it goes out: the version as prepared."""
        return version.xml

    def export(self, data: dict[str, Any], prepared: datetime, brin: str) -> str:
        """Klaarzetten: the dossier of a pupil as this LAS holds it (pupil data of the control API)."""
        school = self.register.schools[brin]
        return export.dossier_xml(data, prepared, export.own_school(brin, school.vestiging, school.name))

    # --- bron: pushing a notification (the SWV variant) ----------------------------------------------

    async def notify(self, bron_brin: str, doel_brin: str, doel_rk: str, pupil: str) -> str:
        """Tell a doel a dossier is waiting: a koppelsleutel from the TC, then notificatieRequest."""
        bron = self.register.endpoints_of(bron_brin)[0]
        melding = self.call_tc_committed(
            t.MeldenNotificatieRequest(
                bron_brin=bron_brin, bron_rk=bron.routeringskenmerk, doel_brin=doel_brin, doel_rk=doel_rk
            )
        )
        with self.records.transaction():
            self.records.notified(melding.koppelsleutel, pupil, self.clock.now())
        request = t.NotificatieRequest(
            bron_brin=bron_brin,
            bron_rk=bron.routeringskenmerk,
            doel_brin=doel_brin,
            doel_rk=doel_rk,
            koppelsleutel=melding.koppelsleutel,
            doel="SWV",
        )
        answer = await self.send(t.Aanleverpunt(brin=doel_brin, routeringskenmerk=doel_rk, url=melding.url), request)
        return answer.resultaat

    # --- doel: receiving ------------------------------------------------------------------------------

    def notificatie(self, endpoint: Endpoint, req: t.NotificatieRequest, caller: Caller) -> t.NotificatieResponse:
        authorise(self.register, caller, req.bron_brin, req.bron_rk)
        if req.doel_rk != endpoint.routeringskenmerk:
            raise OsoFault(
                faults.ONBEKEND_AANLEVERPUNT, f"doelRouteringsKenmerk {req.doel_rk} is not this aanleverpunt"
            )
        self.records.received("notificatie", req.koppelsleutel, req.bron_brin, req.doel_rk, self.clock.now())
        return t.NotificatieResponse(resultaat=NOTIFICATIE_ONTVANGEN)

    def terugkoppeling(
        self, endpoint: Endpoint, req: t.TerugkoppelingRequest, caller: Caller
    ) -> t.TerugkoppelingResponse:
        authorise(self.register, caller, req.bron_brin, req.bron_rk)
        xsd = dossier_schema()
        if not xsd.validate(parse(req.terugkoppeling.encode())):
            error = xsd.error_log[0]
            raise OsoFault(faults.DOSSIER_ONGELDIG, f"terugkoppeling: {error.message}", where=f"line {error.line}")
        self.records.received(
            "terugkoppeling",
            req.koppelsleutel,
            req.bron_brin,
            req.doel_rk,
            self.clock.now(),
            req.terugkoppeling.encode(),
        )
        return t.TerugkoppelingResponse(resultaat=TERUGKOPPELING_ONTVANGEN)

    # --- doel: requesting and importing ------------------------------------------------------------------

    def doel_endpoint(self, doel_brin: str) -> Endpoint:
        endpoints = [e for e in self.register.endpoints_of(doel_brin) if e.vendor == self.vendor]
        if not endpoints:
            raise OsoFault(faults.AANVRAGER_NIET_BEKEND, f"school {doel_brin} has no aanleverpunt of '{self.vendor}'")
        return endpoints[0]

    async def request_batch(
        self,
        doel_brin: str,
        bron_brin: str,
        pgns: list[str],
        *,
        update: bool = False,
        overdrachtsoort: str = "overstapdossier",
        steps: tuple[str, ...] = IMPORT_STEPS,
    ) -> list[Transfer]:
        """A collective request: one full transfer, one session, per pupil."""
        return [
            await self.request_dossier(
                doel_brin, bron_brin, pgn, update=update, overdrachtsoort=overdrachtsoort, steps=steps
            )
            for pgn in pgns
        ]

    async def request_dossier(
        self,
        doel_brin: str,
        bron_brin: str,
        pgn: str,
        *,
        overdrachtsoort: str = "overstapdossier",
        verzameldatum: datetime | None = None,
        bron_rk: str | None = None,
        update: bool = False,
        steps: tuple[str, ...] = IMPORT_STEPS,
    ) -> Transfer:
        """One full transfer as the doel: session, every aanleverpunt asked, import, afmelding.

        ``update``: a re-request of a pupil imported before; the dossierVerzameldatum is the moment of
        that import, so only a newer dossier (after the eindtoets) comes back. ``steps``: the import
        steps to run (a re-run of one step leaves the others as they are).
        """
        doel = self.doel_endpoint(doel_brin)
        transfer = Transfer(doel_brin, bron_brin, pupil_key(doel_brin, pgn))
        if update and verzameldatum is None:
            verzameldatum = self.verzameldatum_for(transfer)
        sleutel = self.zoeksleutel_for(pgn)
        try:
            granted = self.open_session(
                t.OverdrachtRequest(
                    bron_brin=bron_brin,
                    bron_rk=bron_rk,
                    doel_brin=doel_brin,
                    doel_rk=doel.routeringskenmerk,
                    zoeksleutel_pgnfrag=sleutel,
                    overdrachtsoort=overdrachtsoort,
                )
            )
        except OsoFault as fault:
            transfer.resultaat, transfer.problems = fault.code, [str(fault)]
            return self._log(transfer)
        transfer.sessie_id = granted.sessie_id
        dossiers: dict[str, str] = {}
        for ap in self.endpoints_to_ask(granted):
            request = t.DocumentRequest(
                sessie_id=granted.sessie_id,
                bron_brin=bron_brin,
                bron_rk=ap.routeringskenmerk,
                doel_brin=doel_brin,
                doel_rk=doel.routeringskenmerk,
                zoeksleutel_pgnfrag=sleutel,
                overdrachtsoort=overdrachtsoort,
                dossier_verzameldatum=verzameldatum,
            )
            result = await self.fetch(ap, request)
            if isinstance(result, t.DocumentResponse):
                dossiers[ap.routeringskenmerk] = result.dossier
                result = GESLAAGD
            transfer.per_aanleverpunt.append((ap.routeringskenmerk, result))
        best_rk, transfer.resultaat = self.best_of(transfer.per_aanleverpunt)
        if best_rk in dossiers and self.is_asked(transfer, dossiers[best_rk], overdrachtsoort, pgn):
            self.import_dossier(transfer, dossiers[best_rk], steps)
        self.close_session(transfer, best_rk, doel.routeringskenmerk)
        return self._log(transfer)

    def verzameldatum_for(self, transfer: Transfer) -> datetime | None:
        return self.records.first_imported(transfer.doel_brin, transfer.pupil)

    def zoeksleutel_for(self, pgn: str) -> t.ZoeksleutelPgnfrag:
        return t.ZoeksleutelPgnfrag(zoeksleutel=self.scheme.zoeksleutel(pgn))

    def open_session(self, request: t.OverdrachtRequest) -> t.OverdrachtResponse:
        return self.call_tc_committed(request)

    def endpoints_to_ask(self, granted: t.OverdrachtResponse) -> tuple[t.Aanleverpunt, ...]:
        return granted.aanleverpunt

    async def fetch(self, ap: t.Aanleverpunt, request: t.DocumentRequest) -> t.DocumentResponse | str:
        """Ask one aanleverpunt; a fault or an unreachable endpoint comes back as its result code."""
        try:
            return await self.send(ap, request)
        except OsoFault as fault:
            return fault.code if fault.code in faults.RESULTATEN else faults.INTERNE_FOUT

    def best_of(self, results: list[tuple[str, str]]) -> tuple[str | None, str]:
        """(routeringskenmerk, result) with the best result; of equals, the aanleverpunt asked last."""
        if not results:
            return None, faults.AANLEVERPUNT_ONBEREIKBAAR
        best = faults.best_result([r for _, r in results])
        return next(rk for rk, r in reversed(results) if r == best), best

    def is_asked(self, transfer: Transfer, dossier_xml: str, overdrachtsoort: str, pgn: str) -> bool:
        """The dossier is what was asked for: of that overdrachtsoort, and of that pupil when it carries a pupil
        number (a swv-dossier carries none). Else it is not imported, and the transfer says why."""
        try:
            root = parse(dossier_xml.encode())
        except XmlError:
            return True  # not a dossier at all: import_dossier's validation refuses it and says so
        kind = Facts.of(root).kind
        numbers = {n.text for n in root.iter(f"{{{DOSSIER}}}bsn", f"{{{DOSSIER}}}onderwijsnummer")}
        if kind != overdrachtsoort:
            transfer.problems.append(
                f"asked for overdrachtsoort {overdrachtsoort}, the bron served {kind or 'no known kind'}"
            )
        elif numbers and pgn not in numbers:
            transfer.problems.append(f"asked for pupil {mask_pgn(pgn)}, the bron served another pupil's dossier")
        else:
            return True
        return False

    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        """Validate, then import in three steps, each repeatable on its own: a re-request updates, never
        duplicates."""
        root, problems = checked(dossier_xml.encode(), dossier_schema())
        if root is None or failed(problems):
            transfer.problems += [p.format("dossier") for p in problems[:20]]
            return
        d = codec.decode(root)
        now = self.clock.now().isoformat()
        with self.records.transaction():
            transfer.linked_to_existing = self.records.imported_before(transfer.doel_brin, transfer.pupil)
            for step in steps:
                self.import_step(transfer, step, d, now)
                transfer.imported.append(step)

    def import_step(self, transfer: Transfer, step: str, d: Any, now: str) -> None:
        data = json.dumps(step_data(step, d), default=str, ensure_ascii=False)
        self.records.import_step(transfer.doel_brin, transfer.pupil, step, d.metadata.datum.isoformat(), now, data)

    def close_session(self, transfer: Transfer, best_rk: str | None, doel_rk: str) -> None:
        """afmelding, exactly once, with the best result over all aanleverpunten asked."""
        assert transfer.sessie_id is not None, "afmelding follows a granted overdracht"
        try:
            self.call_tc_committed(
                t.AfmeldingRequest(
                    sessie_id=transfer.sessie_id, bron_rk=best_rk, doel_rk=doel_rk, resultaat=transfer.resultaat
                )
            )
        except OsoFault as fault:
            transfer.problems.append(f"afmelding: {fault}")

    def _log(self, transfer: Transfer) -> Transfer:
        with self.records.transaction():
            self.records.log_transfer(transfer, self.clock.now())
        return transfer


def step_data(step: str, d: Any) -> dict[str, Any]:
    """What each import step takes from the dossier (the three parts a receiving LAS imports)."""
    ll = d.leerling
    if step == "personalia":
        return {
            "achternaam": ll.achternaam,
            "voorvoegsel": ll.voorvoegsel,
            "roepnaam": ll.roepnaam,
            "geboortedatum": ll.geboortedatum,
            "pgn": mask_pgn(ll.pgn or ""),
            "school": d.huidigeschool.brincode,
            "datuminschrijving": ll.datuminschrijving,
            "overstap": d.metadata.overstap,
        }
    if step == "schoolloopbaan":
        return {"jaren": [(s.schooljaar, s.jaargroep, s.brincode) for s in ll.schoolloopbaanlijst]}
    advies = ll.overstapadvies
    return {
        "advies": advies.advies if advies else None,
        "herzienadvies": advies.herzienadvies if advies else None,
        "eindtoets": bool(ll.eindtoets_basisonderwijs),
        "ondersteuning": ll.onderwijsondersteuning is not None,
    }
