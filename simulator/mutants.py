"""Mutants: faulty LAS variants, each with exactly one realistic defect, to prove the conformance
suite catches defects (``osokit conformance mutants``).

A mutant is the reference LAS with one step overridden. Behavioural mutants break the flow (skip
the sessiecontrole, close twice, leak the PGN, ...); dossier mutants serve a dossier that breaks
exactly one business rule (taken from the fixtures' known-bad variants). Each declares the role it
plays wrong, so the mutation run only needs that role's checks. A performance mutant breaks no rule
(it is slow, not wrong): the conformance mutation run leaves it out, and the capacity tests
(``osokit load capacity``) are the ones that must catch it.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from lxml import etree

from fixtures.cases import CASES
from fixtures.generator import Size
from oso import codec, faults
from oso import transport as t
from oso.errors import UserError
from oso.faults import GESLAAGD, OsoFault
from oso.namespaces import DOSSIER
from oso.parsing import parse
from oso.profiles import DEFAULT_TRANSFERS, Profile, TransferKind, optional_categories, profile_of
from oso.xmlmodel import XmlFragment
from simulator.broker import Caller
from simulator.faultinject import Action, WireAnswer
from simulator.las import IMPORT_STEPS, ReferenceLas, Transfer, VendorUnderTest
from simulator.pupils import Pupil, Version
from simulator.register import REFERENCE

ALL_KINDS = tuple(k.value for k in DEFAULT_TRANSFERS)  # a mutant plays po-po, po-vo, vo-vo unless it says
EVERY_KIND = tuple(k.value for k in TransferKind)  # ... and binnen-BRIN and the SWV dossiers (bron only)
SWV_KINDS = ("poswv", "voswv")


@dataclass(frozen=True)
class Mutant:
    name: str
    defect: str
    role: str  # doel | bron
    cls: type[ReferenceLas]
    transfers: tuple[str, ...] = ALL_KINDS
    performance: bool = False  # slow, not wrong: left out of the conformance mutation run


MUTANTS: dict[str, Mutant] = {}
MUTANT_PREFIX = "mutant:"  # how a run names a mutant as its target: mutant:<name>


def mutant(
    name: str,
    defect: str,
    role: str,
    transfers: tuple[str, ...] = ALL_KINDS,
    *,
    performance: bool = False,
) -> Any:
    def register(cls: type[ReferenceLas]) -> type[ReferenceLas]:
        MUTANTS[name] = Mutant(name, defect, role, cls, transfers, performance)
        return cls

    return register


def conformance_mutants() -> list[str]:
    """The mutants the conformance suite must catch: every one but the performance mutants."""
    return [name for name, m in MUTANTS.items() if not m.performance]


def mutant_class(name: str) -> type[ReferenceLas]:
    if name not in MUTANTS:
        raise UserError(f"unknown mutant '{name}'; `osokit conformance mutants --list` lists them")
    return MUTANTS[name].cls


def vendor_under_test(which: str) -> VendorUnderTest:
    """``reference`` or ``mutant:<name>`` as the LAS for the simulator's vendor-under-test slot."""
    if which == REFERENCE:
        return VendorUnderTest(which, ReferenceLas)
    if which.startswith(MUTANT_PREFIX):
        return VendorUnderTest(which, mutant_class(which.removeprefix(MUTANT_PREFIX)))
    raise UserError(f"'{which}' is not a LAS osokit hosts: use reference or {MUTANT_PREFIX}<name>")


# --- doel: requesting and importing -------------------------------------------------------------------


def _made_up_grant(las: ReferenceLas, request: t.OverdrachtRequest, sessie_id: str) -> t.OverdrachtResponse:
    """What a doel that skips the session pretends it was granted: a session id, and the bron's
    aanleverpunten from the TC's directory (overzichtAanleverpunt needs no session)."""
    found = las.call_tc_committed(t.OverzichtAanleverpuntRequest(brin=request.bron_brin))
    return t.OverdrachtResponse(sessie_id=sessie_id, aanleverpunt=found.aanleverpunt)


@mutant("doel-no-session", "asks the bron without requesting a session at the TC first", "doel")
class NoSession(ReferenceLas):
    def open_session(self, request: t.OverdrachtRequest) -> t.OverdrachtResponse:
        return _made_up_grant(self, request, str(uuid.uuid4()))


@mutant("doel-ignores-tc-refusal", "asks the bron's aanleverpunten even when the TC refuses the session", "doel")
class IgnoresTcRefusal(ReferenceLas):
    def open_session(self, request: t.OverdrachtRequest) -> t.OverdrachtResponse:
        try:
            return super().open_session(request)
        except OsoFault:
            return _made_up_grant(self, request, str(uuid.uuid4()))


@mutant(
    "doel-malformed-afmelding",
    "writes the session id of its afmelding in braces, {...}, as Windows formats a GUID",
    "doel",
)
class MalformedAfmelding(ReferenceLas):
    def close_session(self, transfer: Transfer, best_rk: str | None, doel_rk: str) -> None:
        transfer.sessie_id = "{" + (transfer.sessie_id or "") + "}"
        super().close_session(transfer, best_rk, doel_rk)


@mutant(
    "doel-imports-unasked",
    "imports whatever dossier the bron serves: of another overdrachtsoort or another pupil than it asked for",
    "doel",
    ("povo",),
)
class ImportsUnasked(ReferenceLas):
    def is_asked(self, transfer: Transfer, dossier_xml: str, overdrachtsoort: str, pgn: str) -> bool:
        return True


@mutant("doel-closes-twice", "sends the afmelding twice", "doel")
class ClosesTwice(ReferenceLas):
    def close_session(self, transfer: Transfer, best_rk: str | None, doel_rk: str) -> None:
        super().close_session(transfer, best_rk, doel_rk)
        super().close_session(transfer, best_rk, doel_rk)


@mutant("doel-never-closes", "never sends the afmelding", "doel")
class NeverCloses(ReferenceLas):
    def close_session(self, transfer: Transfer, best_rk: str | None, doel_rk: str) -> None:
        return None


@mutant("doel-worst-result", "reports the worst result over the aanleverpunten instead of the best", "doel")
class WorstResult(ReferenceLas):
    def best_of(self, results: list[tuple[str, str]]) -> tuple[str | None, str]:
        if not results:
            return None, faults.AANLEVERPUNT_ONBEREIKBAAR
        worst = max(results, key=lambda r: faults.RESULTATEN.index(r[1]))
        return worst

    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        if transfer.resultaat == GESLAAGD:
            super().import_dossier(transfer, dossier_xml, steps)


@mutant("doel-claims-success", "closes with OverdrachtGeslaagd even when the bron refused", "doel")
class ClaimsSuccess(ReferenceLas):
    def best_of(self, results: list[tuple[str, str]]) -> tuple[str | None, str]:
        rk, _ = super().best_of(results)
        return rk, GESLAAGD


@mutant(
    "doel-ignores-verzameldatum",
    "re-requests without dossierVerzameldatum, so it never gets the update",
    "doel",
    ("povo",),
)
class IgnoresVerzameldatum(ReferenceLas):
    def verzameldatum_for(self, transfer: Transfer) -> datetime | None:
        return None


@mutant(
    "doel-verzameldatum-now",
    "re-requests with its own now as dossierVerzameldatum, not the moment of its first import: no update is newer",
    "doel",
    ("povo",),
)
class VerzameldatumNow(ReferenceLas):
    def verzameldatum_for(self, transfer: Transfer) -> datetime | None:
        return self.clock.now()


@mutant("doel-leaks-pgn", "sends the pupil number in clear as the zoeksleutel", "doel")
class LeaksPgn(ReferenceLas):
    def zoeksleutel_for(self, pgn: str) -> t.ZoeksleutelPgnfrag:
        return t.ZoeksleutelPgnfrag(zoeksleutel=pgn)


@mutant("doel-duplicate-import", "imports a re-requested dossier as a new pupil instead of linking it", "doel")
class DuplicateImport(ReferenceLas):
    def import_step(self, transfer: Transfer, step: str, d: Any, now: str) -> None:
        if self.records.imported_before(transfer.doel_brin, transfer.pupil):
            transfer.pupil = f"{transfer.pupil[:16]}-{uuid.uuid4().hex[:7]}"
        super().import_step(transfer, step, d, now)


@mutant("doel-batch-update-first-only", "in a collective re-request, asks only the first pupil for the update", "doel")
class BatchUpdateFirstOnly(ReferenceLas):
    async def request_batch(self, doel_brin: str, bron_brin: str, pgns: list[str], **how: Any) -> list[Transfer]:
        update = how.pop("update", False)
        return [
            await self.request_dossier(doel_brin, bron_brin, pgn, update=update and n == 0, **how)
            for n, pgn in enumerate(pgns)
        ]


@mutant("doel-batch-update-new-pupils", "a collective re-request imports all but the first as new pupils", "doel")
class BatchUpdateNewPupils(ReferenceLas):
    batch_position = 0

    async def request_batch(self, doel_brin: str, bron_brin: str, pgns: list[str], **how: Any) -> list[Transfer]:
        done = []
        for n, pgn in enumerate(pgns):
            self.batch_position = n if how.get("update") else 0
            done.append(await self.request_dossier(doel_brin, bron_brin, pgn, **how))
        self.batch_position = 0
        return done

    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        if self.batch_position:
            transfer.pupil = f"{transfer.pupil[:16]}-{uuid.uuid4().hex[:7]}"
        super().import_dossier(transfer, dossier_xml, steps)


@mutant("doel-steps-all-at-once", "asked to re-run one import step, runs all three", "doel")
class StepsAllAtOnce(ReferenceLas):
    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        super().import_dossier(transfer, dossier_xml, IMPORT_STEPS)


@mutant("doel-step-runs-once", "never runs an import step again once it ran: a newer dossier's step is skipped", "doel")
class StepRunsOnce(ReferenceLas):
    def import_step(self, transfer: Transfer, step: str, d: Any, now: str) -> None:
        _, done = self.records.imports_like(transfer.doel_brin, transfer.pupil)
        if step not in done:
            super().import_step(transfer, step, d, now)


@mutant("doel-step-keeps-old-data", "re-runs an import step from the first dossier it fetched, not the newer", "doel")
class StepKeepsOldData(ReferenceLas):
    first: dict[tuple[str, str], str]  # (doel, pupil) -> the dossier first fetched: a cache never refreshed

    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        cache = self.__dict__.setdefault("first", {})
        kept = cache.setdefault((transfer.doel_brin, transfer.pupil), dossier_xml)
        super().import_dossier(transfer, dossier_xml if steps == IMPORT_STEPS else kept, steps)


@mutant("doel-step-new-record", "a re-run of one import step makes a new pupil record", "doel")
class StepNewRecord(ReferenceLas):
    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        if steps != IMPORT_STEPS:
            transfer.pupil = f"{transfer.pupil[:16]}-{uuid.uuid4().hex[:7]}"
        super().import_dossier(transfer, dossier_xml, steps)


@mutant("doel-imports-invalid", "imports a dossier without validating it", "doel")
class ImportsInvalid(ReferenceLas):
    def import_dossier(self, transfer: Transfer, dossier_xml: str, steps: tuple[str, ...] = IMPORT_STEPS) -> None:
        from oso.codec import CodecError

        try:
            d = codec.decode(dossier_xml.encode())
        except (CodecError, OsoFault, ValueError):
            return
        with self.records.transaction():
            for step in steps:
                try:
                    self.import_step(transfer, step, d, self.clock.now().isoformat())
                    transfer.imported.append(step)
                except (AttributeError, TypeError):
                    pass


@mutant("doel-first-endpoint-only", "asks only the first of the bron's aanleverpunten", "doel")
class FirstEndpointOnly(ReferenceLas):
    def endpoints_to_ask(self, granted: t.OverdrachtResponse) -> tuple[t.Aanleverpunt, ...]:
        return granted.aanleverpunt[:1]


@mutant("doel-one-session-per-batch", "reuses one session for a whole batch", "doel")
class OneSessionPerBatch(ReferenceLas):
    shared: str | None = None

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
        done = []
        for pgn in pgns:
            done.append(
                await self.request_dossier(doel_brin, bron_brin, pgn, overdrachtsoort=overdrachtsoort, steps=steps)
            )
            self.shared = self.shared or done[0].sessie_id
        self.shared = None
        return done

    def open_session(self, request: t.OverdrachtRequest) -> t.OverdrachtResponse:
        if self.shared is None:
            return super().open_session(request)
        return _made_up_grant(self, request, self.shared)


@mutant("doel-skips-step", "imports personalia but never the school career and support steps", "doel")
class SkipsStep(ReferenceLas):
    def import_step(self, transfer: Transfer, step: str, d: Any, now: str) -> None:
        if step == "personalia":
            super().import_step(transfer, step, d, now)


@mutant("doel-refuses-notifications", "answers a notificatieRequest with a fault", "doel")
class RefusesNotifications(ReferenceLas):
    def notificatie(self, endpoint: Any, req: t.NotificatieRequest, caller: Any) -> t.NotificatieResponse:
        raise OsoFault(faults.INTERNE_FOUT, "notifications are not implemented")


@mutant(
    "doel-refuses-duplicate-notification", "answers a repeated notificatie (same koppelsleutel) with a fault", "doel"
)
class RefusesDuplicateNotification(ReferenceLas):
    def notificatie(self, endpoint: Any, req: t.NotificatieRequest, caller: Any) -> t.NotificatieResponse:
        if self.records.was_notified(req.koppelsleutel):
            raise OsoFault(faults.INTERNE_FOUT, "UNIQUE constraint failed: inbox.koppelsleutel")
        return super().notificatie(endpoint, req, caller)


@mutant("doel-impatient", "gives up on a bron after one second (a time-out far too short for OSO)", "doel")
class Impatient(ReferenceLas):
    async def fetch(self, ap: t.Aanleverpunt, request: t.DocumentRequest) -> t.DocumentResponse | str:
        try:
            return await asyncio.wait_for(super().fetch(ap, request), timeout=1.0)
        except TimeoutError:
            return faults.AANLEVERPUNT_ONBEREIKBAAR


# --- bron: answering a documentRequest ------------------------------------------------------------------


@mutant("bron-skips-sessiecontrole", "answers without checking the session at the TC", "bron")
class SkipsSessiecontrole(ReferenceLas):
    def check_session(self, req: t.DocumentRequest) -> None:
        return None


SLOW_DOCUMENT_S = 0.05


@mutant(
    "bron-slow-document",
    f"spends {SLOW_DOCUMENT_S * 1000:.0f} ms on every documentRequest, holding its one worker (a slow query): "
    "conformant, but its capacity drops",
    "bron",
    performance=True,
)
class SlowDocument(ReferenceLas):
    def document(self, endpoint: Any, req: t.DocumentRequest, caller: Caller) -> t.DocumentResponse:
        time.sleep(SLOW_DOCUMENT_S)  # blocking on purpose: the LAS's only worker is busy, as with a slow query
        return super().document(endpoint, req, caller)


@mutant("bron-ignores-certificate", "answers a doel whatever client certificate it presents", "bron")
class IgnoresCertificate(ReferenceLas):
    def check_caller(self, caller: Caller, req: t.DocumentRequest) -> None:
        return None


@mutant("bron-ignores-tc-fault", "checks the session but answers even when the TC refuses it", "bron")
class IgnoresTcFault(ReferenceLas):
    def check_session(self, req: t.DocumentRequest) -> None:
        try:
            super().check_session(req)
        except OsoFault:
            pass


@mutant(
    "bron-caches-session", "checks a session at the TC only the first time: a closed one still gets its dossier", "bron"
)
class CachesSession(ReferenceLas):
    def check_session(self, req: t.DocumentRequest) -> None:
        if not self.records.served_in(req.sessie_id):
            super().check_session(req)


@mutant("bron-leaks-pgn", "sends the pupil number in clear to the TC in its sessiecontrole", "bron")
class BronLeaksPgn(ReferenceLas):
    def check_session(self, req: t.DocumentRequest) -> None:
        pupils = (
            self.source.find("zoeksleutel", req.zoeksleutel_pgnfrag.zoeksleutel or "", req.bron_brin)
            if req.zoeksleutel_pgnfrag
            else []
        )
        pgn = self._pgn_of(pupils[0]) if pupils else "246263738"
        leaky = t.SessiecontroleRequest(
            bron_brin=req.bron_brin,
            bron_rk=req.bron_rk,
            doel_brin=req.doel_brin,
            doel_rk=req.doel_rk,
            zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pgn),
            overdrachtsoort=req.overdrachtsoort,
            sessie_id=req.sessie_id,
        )
        try:
            self.call_tc(leaky)
        except OsoFault:
            pass  # it goes on regardless: the leak is the defect

    def _pgn_of(self, pupil: Pupil) -> str:
        versions = self.source.versions(pupil)
        d = codec.decode(versions[0].xml.encode())
        return d.leerling.pgn or "246263738"


@mutant("bron-refuses-retry", "hands a dossier out once per session and refuses a repeated documentRequest", "bron")
class RefusesRetry(ReferenceLas):
    def choose_version(self, pupil: Pupil, req: t.DocumentRequest) -> Version:
        served = self.records.served_in(req.sessie_id)
        if served:
            raise OsoFault(faults.DOSSIER_NIET_GEVONDEN, "this session already got its dossier")
        return super().choose_version(pupil, req)


@mutant(
    "bron-ignores-verzameldatum",
    "always sends its first dossier, whatever dossierVerzameldatum asks",
    "bron",
    ("povo",),
)
class BronIgnoresVerzameldatum(ReferenceLas):
    def choose_version(self, pupil: Pupil, req: t.DocumentRequest) -> Version:
        return self.source.versions(pupil)[0]


@mutant(
    "bron-oldest-after-verzameldatum",
    "asked with dossierVerzameldatum, sends the oldest dossier prepared after it, not the newest",
    "bron",
    ("povo",),
)
class OldestAfterVerzameldatum(ReferenceLas):
    def choose_version(self, pupil: Pupil, req: t.DocumentRequest) -> Version:
        chosen = super().choose_version(pupil, req)
        if req.dossier_verzameldatum is None:
            return chosen
        return next(v for v in self.source.versions(pupil) if v.prepared > req.dossier_verzameldatum)


@mutant("bron-serves-not-ready", "sends a dossier that was not prepared (klaargezet) yet", "bron")
class ServesNotReady(ReferenceLas):
    def check_allowed(self, pupil: Pupil) -> None:
        if pupil.state == "not-allowed":
            super().check_allowed(pupil)


@mutant("bron-serves-without-inzage", "sends a dossier the parents have not seen (no inzage)", "bron")
class ServesWithoutInzage(ReferenceLas):
    def check_allowed(self, pupil: Pupil) -> None:
        if pupil.state == "not-ready":
            super().check_allowed(pupil)


@mutant("bron-expires-after-a-year", "lets a dossier expire a year after it was prepared, not on 1 August", "bron")
class ExpiresAfterAYear(ReferenceLas):
    def expired(self, prepared: datetime, now: datetime) -> bool:
        return now - prepared > timedelta(days=365)


@mutant("bron-serves-expired", "sends a dossier prepared before the summer after it has expired", "bron")
class ServesExpired(ReferenceLas):
    def expired(self, prepared: datetime, now: datetime) -> bool:
        return False


@mutant(
    "bron-newest-without-verzameldatum",
    "sends its newest dossier when asked without dossierVerzameldatum, not the first one prepared",
    "bron",
    ("povo",),
)
class NewestWithoutVerzameldatum(ReferenceLas):
    def choose_version(self, pupil: Pupil, req: t.DocumentRequest) -> Version:
        chosen = super().choose_version(pupil, req)
        return self.source.versions(pupil)[-1] if req.dossier_verzameldatum is None else chosen


@mutant("bron-serves-other-pupil", "an off-by-one in its pupil lookup: serves the next pupil of the school", "bron")
class ServesOtherPupil(ReferenceLas):
    def find_pupil(self, endpoint: Any, req: t.DocumentRequest) -> Pupil:
        pupil = super().find_pupil(endpoint, req)
        keys = self.records.prepared_keys(endpoint.brin)
        other = self.source.get(keys[(keys.index(pupil.key) + 1) % len(keys)]) if pupil.key in keys else None
        return other or pupil


class _Refuses(ReferenceLas):
    """A bron that gets its refusals wrong: what it answers instead of the documented SOAP fault."""

    def document(self, endpoint: Any, req: t.DocumentRequest, caller: Caller) -> t.DocumentResponse:
        try:
            return super().document(endpoint, req, caller)
        except OsoFault as fault:
            return self.instead(fault)

    def instead(self, fault: OsoFault) -> t.DocumentResponse:
        raise NotImplementedError


@mutant("bron-wrong-refusal-code", "answers every refusal with InterneFout instead of its documented code", "bron")
class WrongRefusalCode(_Refuses):
    def instead(self, fault: OsoFault) -> t.DocumentResponse:
        raise OsoFault(faults.INTERNE_FOUT, f"could not serve the dossier ({fault.code})")


@mutant("bron-refusal-http-500", "answers a refusal with a bare HTTP 500, no SOAP fault (its error page)", "bron")
class RefusalHttp500(_Refuses):
    def instead(self, fault: OsoFault) -> t.DocumentResponse:
        raise WireAnswer(Action(http_status=500))


@mutant(
    "bron-refusal-as-response",
    "answers a refusal as a documentResponse carrying the code and no dossier, not as a SOAP fault",
    "bron",
)
class RefusalAsResponse(_Refuses):
    def instead(self, fault: OsoFault) -> t.DocumentResponse:
        # an element outside the dossier namespace where the dossier belongs: the answer has no dossier
        return t.DocumentResponse(resultaat=fault.code, dossier=XmlFragment(f"<geen>{fault.code}</geen>"))


@mutant("bron-dead-endpoint", "its aanleverpunt never answers: every connection closes without a response", "bron")
class DeadEndpoint(ReferenceLas):
    def document(self, endpoint: Any, req: t.DocumentRequest, caller: Caller) -> t.DocumentResponse:
        raise WireAnswer(Action(drop=True))


# --- bron: its own export (klaarzetten) of the pupil data the suite gives it ------------------------


class _ExportsWrong(ReferenceLas):
    """A bron whose export gets the pupil data wrong: the reference export of changed data."""

    def export(self, data: dict[str, Any], prepared: datetime, brin: str) -> str:
        return super().export(self.change(copy.deepcopy(data)), prepared, brin)

    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


@mutant("bron-export-swaps-verzuim", "maps the authorised absences to the unauthorised ones and back", "bron")
class ExportSwapsVerzuim(_ExportsWrong):
    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        v = data.get("verzuim", {})
        v["dagdelen_geoorloofd"], v["dagdelen_ongeoorloofd"] = (
            v.get("dagdelen_ongeoorloofd"),
            v.get("dagdelen_geoorloofd"),
        )
        return data


@mutant("bron-export-drops-verzuim", "never exports verzuim: leaves it out (OPT-UIT) even when delivered", "bron")
class ExportDropsVerzuim(_ExportsWrong):
    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        data["deliver"] = [c for c in data.get("deliver", []) if c != "verzuim"]
        return data


@mutant("bron-export-birth-date-utc", "writes the birth date converted to UTC from local midnight: a day early", "bron")
class ExportBirthDateUtc(_ExportsWrong):
    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        born = date.fromisoformat(data["personalia"]["geboortedatum"])
        data["personalia"]["geboortedatum"] = (born - timedelta(days=1)).isoformat()
        return data


@mutant(
    "bron-export-ignores-deliver",
    "sends every optional category it holds data for, whatever the school chose to deliver",
    "bron",
)
class ExportIgnoresDeliver(_ExportsWrong):
    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        data["deliver"] = sorted(c.label for c in optional_categories(Profile(data["overstap"].lower())))
        return data


@mutant("bron-export-secret-in-clear", "sends secret phone numbers and e-mail addresses in clear, not secret", "bron")
class ExportSecretInClear(_ExportsWrong):
    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        people = [data["personalia"], *data.get("verzorgers", {}).get("personen", [])]
        for c in (c for person in people for c in person.get("communicatie", [])):
            c["geheim"] = False
        return data


@mutant("bron-export-first-carer-only", "exports only the first of the pupil's carers", "bron")
class ExportFirstCarerOnly(_ExportsWrong):
    def change(self, data: dict[str, Any]) -> dict[str, Any]:
        carers = data.get("verzorgers", {})
        carers["personen"] = carers.get("personen", [])[:1]
        return data


@mutant("bron-export-sends-birthplace", "exports the birthplace and nationality it holds", "bron")
class ExportSendsBirthplace(ReferenceLas):
    def export(self, data: dict[str, Any], prepared: datetime, brin: str) -> str:
        from oso.dossier import Nationaliteit, edit

        p = data["personalia"]
        d = codec.decode(super().export(data, prepared, brin).encode())
        d = edit(
            d,
            "huidigeschool.leerling",
            geboorteplaats=p.get("geboorteplaats"),
            nationaliteit=tuple(
                Nationaliteit(code=n["code"], omschrijving=n.get("omschrijving")) for n in p.get("nationaliteiten", ())
            ),
        )
        return codec.to_text(d, "dossier")


class _ServesEdited(ReferenceLas):
    """A bron that edits its dossier on the way out; the edit applies to dossiers of some profiles."""

    profiles: tuple[Profile, ...] = tuple(Profile)

    def serve(self, pupil: Pupil, version: Version) -> str:
        d = codec.decode(version.xml.encode())
        if profile_of(d.overdrachtsoort, d.metadata.overstap) not in self.profiles:
            return version.xml
        try:
            return self.edit(d, version.xml)
        except (AttributeError, IndexError, TypeError, ValueError):
            return version.xml  # this dossier lacks what the edit needs: served as it is

    def edit(self, d: Any, xml: str) -> str:
        raise NotImplementedError


@mutant("bron-wrong-namespace", "sends the dossier in the namespace of an older gegevensset (2018)", "bron")
class WrongNamespace(_ServesEdited):
    def edit(self, d: Any, xml: str) -> str:
        return xml.replace("oso_gegevensset/2019/dossier", "oso_gegevensset/2018/dossier")


@mutant("bron-vovo-without-toestemming", "sends a VOVO dossier without the parents' toestemming", "bron", ("vovo",))
class VovoWithoutToestemming(_ServesEdited):
    profiles = (Profile.VOVO,)

    def edit(self, d: Any, xml: str) -> str:
        from oso.dossier import edit

        return codec.to_text(edit(d, "inzage", toestemming=None), "dossier")


@mutant(
    "bron-forbidden-category", "sends vve data in a POVO dossier, a category the profile forbids", "bron", ("povo",)
)
class ForbiddenCategory(_ServesEdited):
    profiles = (Profile.POVO,)

    def edit(self, d: Any, xml: str) -> str:
        from oso.dossier import edit

        return codec.to_text(edit(d, "huidigeschool.leerling", vanpeuterspeelzaal=True), "dossier")


class _EditsXml(_ServesEdited):
    """A bron that changes its dossier's XML on the way out: defects the typed model cannot express
    (data the schema no longer has) or that break a rule only together with another."""

    def edit(self, d: Any, xml: str) -> str:
        root = parse(xml.encode())
        leerling = root.find(f".//{{{DOSSIER}}}leerling")
        if leerling is None:
            return xml
        self.change(root, leerling)
        return etree.tostring(root, encoding="unicode")

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        raise NotImplementedError


def _el(name: str, text: str | None = None, *children: etree._Element) -> etree._Element:
    element = etree.Element(f"{{{DOSSIER}}}{name}")
    element.text = text
    element.extend(children)
    return element


def _optout_but_sends(category: str) -> type[ReferenceLas]:
    class OptOutButSends(_EditsXml):
        def change(self, root: etree._Element, leerling: etree._Element) -> None:
            for flag in root.iter(f"{{{DOSSIER}}}cat_{category}"):
                flag.text = "OPT-UIT"

    OptOutButSends.__name__ = f"OptOutButSends_{category}"
    return OptOutButSends


for _category in ("ouderinzage", "oudersverzorgers", "schoolloopbaan", "overstapadvies"):
    mutant(
        f"bron-optout-but-sends-{_category}",
        f"marks {_category} as left out (OPT-UIT) yet sends its data",
        "bron",
        ("povo",) if _category == "overstapadvies" else ALL_KINDS,
    )(_optout_but_sends(_category))


@mutant(
    "bron-birth-month-only",
    "sends the birth month (geboortemaand) instead of the birth date",
    "bron",
    ALL_KINDS + SWV_KINDS,
)
class BirthMonthOnly(_EditsXml):
    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        born = leerling.find(f"{{{DOSSIER}}}geboortedatum")
        if born is not None:
            born.tag, born.text = f"{{{DOSSIER}}}geboortemaand", (born.text or "2014-01-01")[:7]


@mutant(
    "bron-voorschools-outside-popo",
    "sends voorschoolse educatie (voorschools) in a POVO/VOVO dossier",
    "bron",
    ("povo", "vovo"),
)
class VoorschoolsOutsidePopo(_EditsXml):
    profiles = (Profile.POVO, Profile.VOVO)

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.append(
            _el("voorschools", None, _el("codevoorschoolsprogramma", "1"), _el("voorschoolsemaanden", "12"))
        )


@mutant(
    "bron-vroegschools-outside-popo",
    "sends vroegschoolse educatie (vroegschools) in a POVO/VOVO dossier",
    "bron",
    ("povo", "vovo"),
)
class VroegschoolsOutsidePopo(_EditsXml):
    profiles = (Profile.POVO, Profile.VOVO)

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.append(
            _el(
                "vroegschools",
                None,
                _el("codevroegschoolsprogramma", "1"),
                _el("vroegschoolsdatumingang", "2015-09-01"),
            )
        )


@mutant(
    "bron-drops-eindtoetsresultaat",
    "leaves out the eindtoets result of a pupil who took the eindtoets",
    "bron",
    ("povo",),
)
class DropsEindtoetsresultaat(_EditsXml):
    profiles = (Profile.POVO,)

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        for eindtoets in leerling.iterfind(f"{{{DOSSIER}}}eindtoets_basisonderwijs"):
            for result in eindtoets.findall(f"{{{DOSSIER}}}eindtoetsresultaat"):
                eindtoets.remove(result)


@mutant(
    "bron-sends-vir", "still sends verwijsindex (vir) data, a block the 2019 gegevensset dropped", "bron", EVERY_KIND
)
class SendsVir(_EditsXml):
    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.append(_el("zorg", None, _el("vir", None, _el("signaal", "ja"))))


@mutant(
    "bron-sends-zat", "still sends zorgadviesteam (zat) data, a block the 2019 gegevensset dropped", "bron", EVERY_KIND
)
class SendsZat(_EditsXml):
    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.append(_el("zorg", None, _el("zat", None, _el("besproken", "ja"))))


@mutant(
    "bron-poswv-sends-eindtoets", "sends the eindtoets in a POSWV dossier, which may not carry it", "bron", ("poswv",)
)
class PoswvSendsEindtoets(_EditsXml):
    profiles = (Profile.POSWV,)

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.append(_el("eindtoets_basisonderwijs", None, _el("vrijstelling", "false")))


@mutant(
    "bron-poswv-sends-vombo", "sends its vo-mbo blocks (bevorderd, examens, ...) in a POSWV dossier", "bron", ("poswv",)
)
class PoswvSendsVombo(_EditsXml):
    profiles = (Profile.POSWV,)
    BLOCKS = (
        "bevorderd",
        "examenresultaat",
        "resultaatvakkenvo",
        "certificaat",
        "competenties",
        "stage",
        "overigvombo",
    )

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.extend(_el(block) for block in self.BLOCKS)


@mutant("bron-voswv-sends-vve", "sends the pupil's pre-school (vve) data in a VOSWV dossier", "bron", ("voswv",))
class VoswvSendsVve(_EditsXml):
    profiles = (Profile.VOSWV,)
    BLOCKS = ("vanpeuterspeelzaal", "naampeuterspeelzaal", "voorschools", "vroegschools")

    def change(self, root: etree._Element, leerling: etree._Element) -> None:
        leerling.extend(_el(block) for block in self.BLOCKS)


# --- dossier mutants: one per known-bad variant of the fixtures --------------------------------------


def _dossier_mutant(case_name: str) -> type[ReferenceLas]:
    case = CASES[case_name]

    class ServesBadDossier(_ServesEdited):
        profiles = case.profiles

        def edit(self, d: Any, xml: str) -> str:
            opted_out = d.metadata.categorie_uitlevering and d.metadata.categorie_uitlevering.cat_verzuim == "OPT-UIT"
            if case.size is Size.OPT_OUT and not opted_out or case.size is Size.FULL and opted_out:
                return xml  # the variant needs the other size
            return codec.to_text(case.mutate(d), "dossier")  # type: ignore[misc]

    ServesBadDossier.__name__ = f"Serves_{case.breaks}"
    return ServesBadDossier


for _case in CASES.values():
    profiles = tuple(p.value for p in _case.profiles)  # every kind is certified in the bron role
    if _case.known_bad and profiles:
        mutant(
            f"bron-dossier-{_case.breaks}",
            f"serves a dossier that breaks {_case.breaks}: {_case.description}",
            "bron",
            profiles,
        )(_dossier_mutant(_case.name))
