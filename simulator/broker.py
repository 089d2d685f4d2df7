"""The Traffic Center: grants, checks and closes sessions; hands out koppelsleutels; lists endpoints.

Each operation takes a typed request and the caller's identity and returns a typed response, or
raises an :class:`~oso.faults.OsoFault`. Lifecycle decisions come from the pure state machine in
:mod:`oso.session`; this module adds the register (who exists, who is mandated) and the store.
Callers run every operation inside one store transaction with the evidence of the exchange.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from oso import faults
from oso import session as lifecycle
from oso import transport as t
from oso.faults import OsoFault
from oso.session import Claim, State
from oso.zoeksleutel import Scheme, pgns_in_clear
from simulator.clock import Clock
from simulator.register import Endpoint, Register
from simulator.store import Store, StoreUnavailable

SESSIE_VALIDE, AFMELDING_ONTVANGEN = "SessieValide", "AfmeldingOntvangen"


@dataclass(frozen=True)
class Caller:
    """Who sent a message: the vendor named by the client certificate, when TLS is on."""

    tls: bool = False
    vendor: str | None = None
    peer: str | None = None


def authorise(register: Register, caller: Caller, brin: str, routeringskenmerk: str | None = None) -> None:
    """With TLS on, the caller's vendor must be mandated by ``brin`` and own ``routeringskenmerk``: the
    TC's check, and a LAS's of the doel or bron that calls it."""
    if not caller.tls:
        return
    if caller.vendor is None:
        raise OsoFault(faults.CERTIFICAAT_ONTBREEKT, "present the vendor's client certificate")
    if caller.vendor not in register.vendors:
        raise OsoFault(
            faults.CERTIFICAAT_ONBEKEND, f"certificate of '{caller.vendor}', a vendor the register does not know"
        )
    if not register.mandated(caller.vendor, brin):
        raise OsoFault(faults.NIET_GEMACHTIGD, f"vendor '{caller.vendor}' is not mandated by school {brin}")
    endpoint = register.endpoints.get(routeringskenmerk or "")
    if routeringskenmerk and (endpoint is None or endpoint.vendor != caller.vendor):
        raise OsoFault(
            faults.NIET_GEMACHTIGD, f"aanleverpunt {routeringskenmerk} does not belong to vendor '{caller.vendor}'"
        )


class TrafficCenter:
    def __init__(
        self,
        register: Register,
        store: Store,
        clock: Clock,
        scheme: Scheme,
        ttl: timedelta,
        endpoint_url: Callable[[Endpoint], str],
    ) -> None:
        self.register, self.store, self.clock, self.scheme, self.ttl = register, store, clock, scheme, ttl
        self.endpoint_url = endpoint_url
        self.operations: dict[type, Callable[..., object]] = {
            t.OverdrachtRequest: self.overdracht,
            t.SessiecontroleRequest: self.sessiecontrole,
            t.AfmeldingRequest: self.afmelding,
            t.MeldenNotificatieRequest: self.melden_notificatie,
            t.MeldenTerugkoppelingRequest: self.melden_terugkoppeling,
            t.OverzichtAanleverpuntRequest: self.overzicht_aanleverpunt,
        }

    def handle(self, request: object, caller: Caller) -> object:
        return self.operations[type(request)](request, caller)

    # --- who may act for whom ---------------------------------------------------------------------

    def authorise(self, caller: Caller, brin: str, routeringskenmerk: str | None = None) -> None:
        authorise(self.register, caller, brin, routeringskenmerk)

    def _school(self, brin: str, code: str, role: str) -> None:
        school = self.register.schools.get(brin)
        if school is None or not school.active:
            raise OsoFault(code, f"{role} school {brin} is not in the register (or not active)")

    def _own_endpoint(self, rk: str, brin: str, code: str, role: str) -> Endpoint:
        endpoint = self.register.endpoints.get(rk)
        if endpoint is None or not endpoint.active or endpoint.brin != brin:
            raise OsoFault(code, f"{role} aanleverpunt {rk} is unknown, inactive or not of school {brin}")
        return endpoint

    def _sleutel(self, request: t.OverdrachtRequest | t.SessiecontroleRequest) -> str:
        """The one key the message carries, checked: never a PGN in clear."""
        given = t.sleutel(request)
        if given is None:
            raise OsoFault(faults.SLEUTEL_KEUZE)
        kind, value = given
        if kind == "zoeksleutel":
            self.check_zoeksleutel(value)
        elif kind == "koppelsleutel":
            if self.store.koppelsleutel(value) is None:
                raise OsoFault(faults.KOPPELSLEUTEL_ONBEKEND, f"koppelsleutel {value} was never handed out")
        return f"{kind}:{value}"

    def check_zoeksleutel(self, value: str) -> None:
        if self.scheme.name == "plain":
            if not value.startswith("plain:"):
                raise OsoFault(faults.ZOEKSLEUTEL_ONGELDIG, "this simulator runs the plain scheme: plain:<PGN>")
            return
        if pgns_in_clear(value):
            raise OsoFault(
                faults.PGN_ONVERSLEUTELD, "the zoeksleutel holds a pupil number in clear", where="zoeksleutel"
            )
        try:
            ok = len(base64.b64decode(value, validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise OsoFault(
                faults.ZOEKSLEUTEL_ONGELDIG,
                f"not a {self.scheme.name} zoeksleutel (base64 of 32 bytes)",
                where="zoeksleutel",
            )

    def _open_session(self, sessie_id: str) -> lifecycle.Session:
        found = self.store.get_session(sessie_id)
        if found is None:
            raise OsoFault(faults.SESSIE_ONBEKEND, f"no session {sessie_id}")
        return lifecycle.expire(found, self.clock.now(), self.ttl)

    def expire_idle(self) -> int:
        """Record every open session idle longer than the TTL as verlopen; returns how many.

        Housekeeping for the listings: while the store cannot write it is skipped (every session is
        checked for expiry again when it is used), so reading the state keeps working."""
        try:
            with self.store.transaction():
                return self.store.expire_sessions(
                    self.clock.now() - self.ttl, (State.AANGEVRAAGD, State.GECONTROLEERD), State.VERLOPEN
                )
        except StoreUnavailable:
            return 0

    # --- operations --------------------------------------------------------------------------------

    def overdracht(self, req: t.OverdrachtRequest, caller: Caller) -> t.OverdrachtResponse:
        self.authorise(caller, req.doel_brin, req.doel_rk)
        sleutel = self._sleutel(req)  # a PGN in clear is refused before anything else is looked at
        self._school(req.doel_brin, faults.AANVRAGER_NIET_BEKEND, "doel")
        self._own_endpoint(req.doel_rk, req.doel_brin, faults.AANLEVERPUNT_NIET_ACTIEF, "doel")
        self._school(req.bron_brin, faults.VERSTREKKER_NIET_BEKEND, "bron")
        if req.bron_rk:
            endpoints = [self._own_endpoint(req.bron_rk, req.bron_brin, faults.GEEN_ACTIEVE_AANLEVERPUNTEN, "bron")]
        else:
            endpoints = self.register.endpoints_of(req.bron_brin)
            if not endpoints:
                raise OsoFault(faults.GEEN_ACTIEVE_AANLEVERPUNTEN, f"school {req.bron_brin} has no active aanleverpunt")
        self.store.check_floor()  # a session is started only with room to finish it
        claim = Claim(req.bron_brin, req.doel_brin, req.doel_rk, req.overdrachtsoort, sleutel, req.bron_rk)
        session = lifecycle.grant(str(uuid.uuid4()), claim, self.clock.now())
        self.store.put_session(session)
        return t.OverdrachtResponse(
            sessie_id=session.sessie_id,
            aanleverpunt=tuple(
                t.Aanleverpunt(
                    brin=e.brin, routeringskenmerk=e.routeringskenmerk, url=self.endpoint_url(e), doel=e.doel
                )
                for e in endpoints
            ),
        )

    def sessiecontrole(self, req: t.SessiecontroleRequest, caller: Caller) -> t.SessiecontroleResponse:
        self.authorise(caller, req.bron_brin, req.bron_rk)
        sleutel = self._sleutel(req)
        session = self._open_session(req.sessie_id)
        self._school(req.bron_brin, faults.VERSTREKKER_NIET_BEKEND, "bron")
        self._own_endpoint(req.bron_rk, req.bron_brin, faults.VERSTREKKER_AANLEVERPUNT, "bron")
        claim = Claim(req.bron_brin, req.doel_brin, req.doel_rk, req.overdrachtsoort, sleutel, req.bron_rk)
        checked = lifecycle.controle(session, claim, self.clock.now(), self.ttl)
        self.store.put_session(checked)
        doel = self.register.schools[checked.granted.doel_brin]
        return t.SessiecontroleResponse(resultaat=SESSIE_VALIDE, sector=doel.sector.upper())

    def afmelding(self, req: t.AfmeldingRequest, caller: Caller) -> t.AfmeldingResponse:
        session = self._open_session(req.sessie_id)
        self.authorise(caller, session.granted.doel_brin, req.doel_rk)
        closed = lifecycle.afmelding(session, req.resultaat, req.doel_rk, self.clock.now(), self.ttl)
        self.store.put_session(closed)
        return t.AfmeldingResponse(resultaat=AFMELDING_ONTVANGEN)

    def melden_notificatie(self, req: t.MeldenNotificatieRequest, caller: Caller) -> t.MeldenNotificatieResponse:
        self.authorise(caller, req.bron_brin, req.bron_rk)
        self._school(req.bron_brin, faults.VERSTREKKER_NIET_BEKEND, "bron")
        self._own_endpoint(req.bron_rk, req.bron_brin, faults.VERSTREKKER_AANLEVERPUNT, "bron")
        self._school(req.doel_brin, faults.AANVRAGER_NIET_BEKEND, "doel")
        doel = self._own_endpoint(req.doel_rk, req.doel_brin, faults.AANLEVERPUNT_NIET_ACTIEF, "doel")
        key = str(uuid.uuid4()).upper()
        self.store.add_koppelsleutel(
            key, "notificatie", req.bron_brin, req.bron_rk, req.doel_brin, req.doel_rk, self.clock.now()
        )
        return t.MeldenNotificatieResponse(koppelsleutel=key, url=self.endpoint_url(doel))

    def melden_terugkoppeling(
        self, req: t.MeldenTerugkoppelingRequest, caller: Caller
    ) -> t.MeldenTerugkoppelingResponse:
        self.authorise(caller, req.bron_brin, req.bron_rk)
        known = self.store.koppelsleutel(req.koppelsleutel)
        # The koppelsleutel was handed out for a notification from this LAS (doel here) to this SWV (bron here).
        if known is None or {known["bron_rk"], known["doel_rk"]} != {req.bron_rk, req.doel_rk}:
            raise OsoFault(
                faults.KOPPELSLEUTEL_ONBEKEND,
                f"koppelsleutel {req.koppelsleutel} does not link {req.bron_rk} and {req.doel_rk}",
            )
        las = self._own_endpoint(req.doel_rk, req.doel_brin, faults.AANLEVERPUNT_NIET_ACTIEF, "doel")
        return t.MeldenTerugkoppelingResponse(url=self.endpoint_url(las))

    def overzicht_aanleverpunt(
        self, req: t.OverzichtAanleverpuntRequest, caller: Caller
    ) -> t.OverzichtAanleverpuntResponse:
        if caller.tls and (caller.vendor is None or caller.vendor not in self.register.vendors):
            raise OsoFault(faults.CERTIFICAAT_ONBEKEND if caller.vendor else faults.CERTIFICAAT_ONTBREEKT)
        chosen = [
            e
            for e in self.register.endpoints.values()
            if e.active
            and (req.brin is None or e.brin == req.brin)
            and (req.doel is None or e.doel == req.doel)
            and (req.routeringskenmerk is None or e.routeringskenmerk == req.routeringskenmerk)
        ]
        return t.OverzichtAanleverpuntResponse(
            aanleverpunt=tuple(
                t.Aanleverpunt(
                    brin=e.brin, routeringskenmerk=e.routeringskenmerk, url=self.endpoint_url(e), doel=e.doel
                )
                for e in chosen
            )
        )
