"""The simulator as one object: configuration, state, the Traffic Center, the LASes it hosts, and the
transports every message goes through, received or sent, each wrapped in the fault profile and the
evidence log. The HTTP routes (``simulator/app.py``) stay thin around it.
"""

from __future__ import annotations

import functools
import json
import secrets
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fixtures import pools
from oso import envelope, faults, zoeksleutel
from oso.exchange import Answer, AsyncTransport, Call
from oso.faults import OsoFault
from simulator.broker import Caller, TrafficCenter
from simulator.calendar import Calendars
from simulator.clock import Clock
from simulator.evidence import IN, INTERNAL, OUT, Recorded
from simulator.faultinject import FaultProfile, WireAnswer
from simulator.las import IN_PROCESS_TC, LasTransport, ReferenceLas, VendorUnderTest
from simulator.pupils import Catalogue, Prepared, PupilSource
from simulator.records import LasRecords
from simulator.register import (
    REFERENCE,
    Endpoint,
    RegisterChange,
    School,
    Vendor,
    load_scenario,
    routeringskenmerk,
    stored_change,
)
from simulator.store import MIB, Store, StoreUnavailable
from simulator.transports import Faulty, HttpTransport, Loopback, Routed, no_soap

DB_NAME = "simulator.db"
VUT = "vut"  # the vendor id of the vendor-under-test slot
VUT_SCHOOLS = {"80AA": "po", "80AB": "vo"}
ADMIN_CHANGES = "admin_changes"  # the meta key of the register changes made through the admin API


@dataclass(frozen=True)
class Config:
    data_dir: Path
    scenario: Path | None = None
    faults: Path | None = None
    tls: bool = False
    pki_dir: Path | None = None
    fsync: bool = False
    evidence_bodies: int = 1  # keep the body of every Nth exchange: 1 = all, 0 = none
    show_pgn: bool = False  # evidence bodies keep pupil numbers in clear (default: masked)
    evidence_max_mb: int = 1024  # the evidence log's cap: the oldest exchanges go first (0: no cap)
    disk_floor_mb: int = 64  # below this much free space new sessions are refused (0: no floor)
    zoeksleutel_scheme: str = "hmac-sha256"
    max_request_bytes: int = envelope.MAX_REQUEST_BYTES
    body_timeout: float = 10.0  # seconds a request body may take to arrive
    header_timeout: float = 10.0  # seconds a connection may take to send its request headers (0: no limit)
    max_connections_per_client: int = 256  # connections one IP address may hold at once (0: no limit)
    outbound_timeout: float = 10.0
    cohort: dict[str, int] | None = None  # override the scenario's cohort sizes (load runs)
    vut: VendorUnderTest | None = None  # host a vendor under test: the reference LAS or a mutant


class Simulator:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.scenario = load_scenario(config.scenario)
        if config.cohort:
            from oso.profiles import Profile

            self.scenario.settings.cohort.update({Profile(k): v for k, v in config.cohort.items()})
        self.store = Store(
            config.data_dir / DB_NAME,
            fsync=config.fsync,
            evidence_bodies=config.evidence_bodies,
            show_pgn=config.show_pgn,
            evidence_max_bytes=config.evidence_max_mb * MIB,
            disk_floor_bytes=config.disk_floor_mb * MIB,
        )
        self.records = LasRecords(self.store)
        self.register = self.scenario.register
        self.clock = self._restore_clock()
        self.scheme = zoeksleutel.make(config.zoeksleutel_scheme, self._instance_key())
        self.faults = FaultProfile.load(config.faults) if config.faults else FaultProfile.none()
        self.catalogue = Catalogue(self.scenario, self.scheme)
        self.calendars = Calendars(
            {s.brin: s.vakantieregio for s in pools.schools_per_region() if s.brin in self.register.schools},
            self.scenario.settings.calendar,
        )
        self.base_url = "http://127.0.0.1"
        self.tc = TrafficCenter(
            self.register,
            self.store,
            self.clock,
            self.scheme,
            timedelta(minutes=self.scenario.settings.session_ttl_minutes),
            self.endpoint_url,
        )
        self._http: dict[str, HttpTransport] = {}  # per hosted vendor: it calls out with its own certificate
        self.inbound: Recorded[AsyncTransport] = Recorded(
            Faulty(Dispatch(self), self.fault_profile, IN), self.store, self.clock, IN
        )
        self.lases: dict[str, ReferenceLas] = {REFERENCE: self._las(ReferenceLas, REFERENCE, self.catalogue)}
        if config.vut:
            self._add_vendor_under_test(config.vut)
        self._replay_admin_changes()

    def fault_profile(self) -> FaultProfile:
        return self.faults

    def _las(self, cls: type[ReferenceLas], vendor: str, source: PupilSource) -> ReferenceLas:
        return cls(
            vendor,
            source,
            transport=self._transport(vendor),
            records=self.records,
            clock=self.clock,
            register=self.register,
            scheme=self.scheme,
            dossier_expiry=self.scenario.settings.dossier_expiry,
            calendars=self.calendars if vendor == REFERENCE else None,  # never the vendor's LAS
        )

    def _transport(self, vendor: str) -> LasTransport:
        """A hosted LAS's calls: to the TC in process (or at a URL), to aanleverpunten over HTTP; faulted, logged."""
        http = self._http[vendor] = HttpTransport(
            verify=functools.partial(self._tls, vendor), timeout=self.config.outbound_timeout
        )
        tc = Routed(Loopback(self.tc, Caller(tls=self.config.tls, vendor=vendor)), http)
        return LasTransport(
            tc=Recorded(
                Faulty(tc, self.fault_profile, IN),
                self.store,
                self.clock,
                INTERNAL,
                endpoint=IN_PROCESS_TC,
                peer=f"{vendor}-las",
                vendor=vendor,
            ),
            aanleverpunten=Recorded(Faulty(http, self.fault_profile, OUT), self.store, self.clock, OUT),
        )

    def _tls(self, vendor: str) -> ssl.SSLContext | bool:
        """What a hosted LAS trusts and presents when it calls out: with TLS, the run's CA and its own certificate."""
        if not (self.config.tls and self.config.pki_dir):
            return True
        from simulator.pki import Pki

        pki = Pki.load(self.config.pki_dir)
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.vendor_cert(vendor)), str(pki.vendor_key(vendor)))
        return context

    @property
    def las(self) -> ReferenceLas:
        """The reference LAS of the counterpart schools."""
        return self.lases[REFERENCE]

    def _add_vendor_under_test(self, vut: VendorUnderTest) -> None:
        """The vendor-under-test slot: two schools (po, vo) whose LAS is the reference or a mutant."""
        vendor = Vendor(VUT, f"vendor under test ({vut.name})", 80)
        self.register.add_vendor(vendor)
        for brin, sector in VUT_SCHOOLS.items():
            self.register.add_school(
                School(brin, "00", f"School under test ({sector})", sector, "-", VUT),
                [Endpoint(routeringskenmerk(vendor, brin, "00"), brin, VUT, REFERENCE)],
            )
        self.prepared = Prepared(self.records, self.scheme)
        self.lases[VUT] = self._las(vut.las, VUT, self.prepared)

    def las_for(self, routeringskenmerk: str) -> ReferenceLas:
        """The in-process LAS that answers at this aanleverpunt."""
        endpoint = self.register.endpoints.get(routeringskenmerk)
        las = self.lases.get(endpoint.vendor) if endpoint is not None and endpoint.reference else None
        if las is None:
            raise OsoFault(faults.DOEL_ONBEKEND, f"no aanleverpunt {routeringskenmerk} is served here")
        return las

    # --- state kept across restarts ---------------------------------------------------------------

    def _instance_key(self) -> bytes:
        """The zoeksleutel key of this simulator instance, made once and kept in the data dir."""
        key = self.store.get_meta("zoeksleutel_key")
        if key is None:
            key = secrets.token_hex(32)
            with self.store.transaction():
                self.store.set_meta("zoeksleutel_key", key)
        return bytes.fromhex(key)

    def _restore_clock(self) -> Clock:
        clock = Clock()
        if not self._load_clock(clock) and self.scenario.settings.clock_start:
            clock.set(self.scenario.settings.clock_start)
            self.save_clock(clock)
        return clock

    def _load_clock(self, clock: Clock) -> bool:
        """Set ``clock`` as stored; False when nothing is stored."""
        saved = self.store.get_meta("clock")
        state = json.loads(saved) if saved else {}
        clock.offset = timedelta(seconds=state.get("offset_seconds", 0))
        clock.frozen_at = datetime.fromisoformat(state["frozen_at"]) if state.get("frozen_at") else None
        return bool(saved)

    def save_clock(self, clock: Clock | None = None) -> None:
        """Store the clock's setting; if that fails the clock goes back to the stored one (what a restart gives)."""
        clock = clock or self.clock
        try:
            with self.store.transaction():
                self.store.set_meta(
                    "clock",
                    json.dumps(
                        {
                            "offset_seconds": clock.offset.total_seconds(),
                            "frozen_at": clock.frozen_at.isoformat() if clock.frozen_at else None,
                        }
                    ),
                )
        except StoreUnavailable:
            self._load_clock(clock)
            raise

    def apply_admin_change(self, change: RegisterChange, *, persist: bool = True) -> None:
        """A register change through the admin API; kept, and applied again on restart, so it survives it.
        A change that cannot be stored is undone in memory too: what runs is what a restart gives back."""
        before = self.register.snapshot()
        self.register.apply(change)
        if persist:
            changes = json.loads(self.store.get_meta(ADMIN_CHANGES) or "[]")
            try:
                with self.store.transaction():
                    self.store.set_meta(ADMIN_CHANGES, json.dumps([*changes, change.as_dict()]))
            except StoreUnavailable:
                self.register.restore(before)
                raise

    def _replay_admin_changes(self) -> None:
        for data in json.loads(self.store.get_meta(ADMIN_CHANGES) or "[]"):
            self.apply_admin_change(stored_change(data, self.register), persist=False)

    # --- addresses -------------------------------------------------------------------------------------

    def endpoint_url(self, endpoint: Endpoint) -> str:
        return f"{self.base_url}/schools/{endpoint.routeringskenmerk}" if endpoint.reference else endpoint.url

    # --- closing --------------------------------------------------------------------------------------

    async def close_clients(self) -> None:
        """The hosted LASes' outbound connections (before the server stops: see ``simulator.server``)."""
        for http in self._http.values():
            await http.aclose()

    async def close(self) -> None:
        await self.close_clients()
        self.store.close()


class Dispatch:
    """The simulator's receiving end: a message read at the HTTP edge goes to the Traffic Center or to the
    hosted LAS at its aanleverpunt.

    Handlers check before they write, so a fault leaves nothing half-done; what was written before a
    later fault (the bron's sessiecontrole at the TC, say) happened and stays, with its evidence. Any
    other error undoes the handler's writes and reaches the HTTP edge, which answers InterneFout.
    """

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def exchange_async(self, call: Call) -> Answer:
        caller = Caller(tls=self.sim.config.tls, vendor=call.vendor, peer=call.peer)
        with self.sim.store.group():
            try:
                if call.to_tc:
                    answer = self.sim.tc.handle(call.message, caller)
                else:
                    rk = call.school or ""
                    answer = self.sim.las_for(rk).handle(rk, call.message, caller)
            except OsoFault as fault:
                return Answer.refusing(fault)
            except WireAnswer as wire:  # a faulty hosted LAS that answers no SOAP message: its own doing
                return no_soap(call, wire.action, injected=False)
        return Answer.of(answer)
