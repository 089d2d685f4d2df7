"""The simulator as one object: configuration, state, the Traffic Center, the reference LAS, and
how every exchange is recorded. The HTTP routes (``simulator/app.py``) stay thin around it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from oso import envelope, faults, zoeksleutel
from oso import transport as t
from oso.faults import OsoFault
from simulator.broker import TrafficCenter
from simulator.clock import Clock
from simulator.faultinject import DROPPED, DUPLICATE, INJECTED_FAULT, Action, FaultProfile, InjectedFault
from simulator.las import ReferenceLas
from simulator.pupils import Catalogue, Prepared, PupilSource
from simulator.register import REFERENCE, Endpoint, School, Vendor, load_scenario, routeringskenmerk
from simulator.store import MIB, Message, Store, StoreUnavailable

DB_NAME = "simulator.db"
VUT = "vut"  # the vendor id of the vendor-under-test slot
VUT_SCHOOLS = {"80AA": "po", "80AB": "vo"}


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
    vut: str | None = None  # host a vendor under test: "reference" or "mutant:<name>" (conformance runs)


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
        self.register = self.scenario.register
        self.clock = self._restore_clock()
        self.scheme = zoeksleutel.make(config.zoeksleutel_scheme, self._instance_key())
        self.faults = FaultProfile.load(config.faults) if config.faults else FaultProfile.none()
        self.catalogue = Catalogue(self.scenario, self.scheme)
        self.base_url = "http://127.0.0.1"
        self.tc = TrafficCenter(
            self.register,
            self.store,
            self.clock,
            self.scheme,
            timedelta(minutes=self.scenario.settings.session_ttl_minutes),
            self.endpoint_url,
        )
        self.lases: dict[str, ReferenceLas] = {REFERENCE: self._las(ReferenceLas, REFERENCE, self.catalogue)}
        if config.vut:
            self._add_vendor_under_test(config.vut)
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._replay_admin_changes()

    def _las(self, cls: type[ReferenceLas], vendor: str, source: PupilSource) -> ReferenceLas:
        return cls(
            vendor,
            self.tc,
            source,
            self.store,
            self.clock,
            self.register,
            self.scenario.settings.dossier_expiry,
            self.record_internal,
            functools.partial(self.send, vendor=vendor),
            tls=self.config.tls,
            injected=self.injected,
        )

    def injected(self, operation: str, message: object) -> Action:
        """The fault profile's decision for a hosted LAS's in-process call to the Traffic Center."""
        return self.faults.decide(operation, school_of(message), "in")

    @property
    def las(self) -> ReferenceLas:
        """The reference LAS of the counterpart schools."""
        return self.lases[REFERENCE]

    def _add_vendor_under_test(self, which: str) -> None:
        """The vendor-under-test slot: two schools (po, vo) whose LAS is the reference or a mutant."""
        from simulator.mutants import mutant_class

        cls = ReferenceLas if which == REFERENCE else mutant_class(which.removeprefix("mutant:"))
        vendor = Vendor(VUT, f"vendor under test ({which})", 80)
        self.register.add_vendor(vendor)
        for brin, sector in VUT_SCHOOLS.items():
            self.register.add_school(
                School(brin, "00", f"School under test ({sector})", sector, "-", VUT),
                [Endpoint(routeringskenmerk(vendor, brin, "00"), brin, VUT, REFERENCE)],
            )
        self.prepared = Prepared(self.store, self.scheme)
        self.lases[VUT] = self._las(cls, VUT, self.prepared)

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

    def apply_admin_change(self, change: dict[str, Any], *, persist: bool = True) -> None:
        """Register changes through the admin API; replayed on restart so they survive it. A change that
        cannot be stored is undone in memory too: what runs is what a restart gives back."""
        before = self.register.snapshot()
        kind = change["kind"]
        if kind == "vendor":
            self.register.add_vendor(Vendor(change["id"], change.get("name", change["id"]), int(change["number"])))
        elif kind == "school":
            school = School(
                change["brin"],
                change.get("vestiging", "00"),
                change.get("name", change["brin"]),
                change.get("sector", "po"),
                change.get("region", "-"),
                change["vendor"],
            )
            endpoints = [
                Endpoint(
                    e["routeringskenmerk"],
                    school.brin,
                    school.vendor,
                    e.get("url", REFERENCE),
                    e.get("doel", "LAS"),
                    e.get("active", True),
                )
                for e in change["endpoints"]
            ]
            self.register.add_school(school, endpoints)
        elif kind == "endpoint":
            self.register.set_endpoint_active(change["routeringskenmerk"], bool(change["active"]))
        elif kind == "endpoint-add":
            school = self.register.schools[change["brin"]]
            self.register.endpoints[change["routeringskenmerk"]] = Endpoint(
                change["routeringskenmerk"],
                school.brin,
                school.vendor,
                change.get("url", REFERENCE),
                change.get("doel", "LAS"),
            )
        if persist:
            changes = json.loads(self.store.get_meta("admin_changes") or "[]")
            try:
                with self.store.transaction():
                    self.store.set_meta("admin_changes", json.dumps([*changes, change]))
            except StoreUnavailable:
                self.register.restore(before)
                raise

    def _replay_admin_changes(self) -> None:
        for change in json.loads(self.store.get_meta("admin_changes") or "[]"):
            self.apply_admin_change(change, persist=False)

    # --- addresses -------------------------------------------------------------------------------------

    def endpoint_url(self, endpoint: Endpoint) -> str:
        return f"{self.base_url}/schools/{endpoint.routeringskenmerk}" if endpoint.reference else endpoint.url

    # --- the evidence log --------------------------------------------------------------------------------

    def record_internal(
        self, endpoint: str, operation: str, request: object, answer: object, vendor: str, body: bytes
    ) -> None:
        """An in-process call of a LAS hosted here (to the TC), in the evidence log like any other;
        ``body`` is the request as the LAS encoded it."""
        now, peer, sessie = self.clock.now(), f"{vendor}-las", sessie_of(request) or sessie_of(answer)
        failed = isinstance(answer, OsoFault)
        self.store.add_exchange(
            Message(
                "internal",
                endpoint,
                operation,
                now,
                peer=peer,
                vendor=vendor,
                sessie_id=sessie,
                body=body,
            ),
            Message(
                "internal",
                endpoint,
                operation.replace("Request", "Response"),
                now,
                peer=peer,
                vendor=vendor,
                sessie_id=sessie,
                http_status=500 if failed else 200,
                fault=answer.code if failed else None,
                body=envelope.fault(answer) if failed else envelope.message(answer),
                injected=INJECTED_FAULT if isinstance(answer, InjectedFault) else None,
            ),
        )

    # --- outbound calls (the reference LAS calling a vendor's endpoint) -------------------------------------

    def client(self, vendor: str) -> httpx.AsyncClient:
        """The HTTP client a hosted LAS calls out with; with TLS it presents its own vendor's certificate."""
        if vendor not in self._clients:
            verify: ssl.SSLContext | bool = True
            if self.config.tls and self.config.pki_dir:
                from simulator.pki import Pki

                pki = Pki.load(self.config.pki_dir)
                verify = ssl.create_default_context(cafile=str(pki.ca_cert))
                verify.load_cert_chain(str(pki.vendor_cert(vendor)), str(pki.vendor_key(vendor)))
            self._clients[vendor] = httpx.AsyncClient(timeout=self.config.outbound_timeout, verify=verify)
        return self._clients[vendor]

    async def close_clients(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    async def close(self) -> None:
        await self.close_clients()
        self.store.close()

    async def send(self, ap: t.Aanleverpunt, request: object, expected: type, vendor: str = REFERENCE) -> Any:
        """A SOAP call by a hosted LAS to a vendor endpoint, with the fault profile's delays and duplicates."""
        operation = t.element_name(request)
        action = self.faults.decide(operation, ap.routeringskenmerk, "out")
        if action.latency or action.delay:
            await asyncio.sleep(action.latency + action.delay)
        body = envelope.message(request)
        if action.drop:
            with self.store.transaction():
                self.store.add_exchange(
                    Message(
                        "out",
                        ap.url,
                        operation,
                        self.clock.now(),
                        peer=ap.url,
                        sessie_id=sessie_of(request),
                        fault=DROPPED,
                        body=body,
                        injected=DROPPED,
                    )
                )
            raise OsoFault(faults.AANLEVERPUNT_ONBEREIKBAAR, f"{ap.url}: message lost (dropped by the fault profile)")
        answers = [await self._post(vendor, ap.url, operation, request, body)]
        if action.duplicate:
            answers.append(await self._post(vendor, ap.url, operation, request, body, injected=DUPLICATE))
        status, data = answers[0]
        if status is None:
            raise OsoFault(faults.AANLEVERPUNT_ONBEREIKBAAR, f"{ap.url}: {data.decode(errors='replace')}")
        return envelope.read_response(data, expected)

    async def _post(
        self, vendor: str, url: str, operation: str, request: object, body: bytes, injected: str | None = None
    ) -> tuple[int | None, bytes]:
        started = time.perf_counter()
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation.removesuffix("Request")}"'}
        try:
            response = await self.client(vendor).post(url, content=body, headers=headers)
            status, data = response.status_code, response.content
        except httpx.HTTPError as exc:
            status, data = None, f"{type(exc).__name__}: {exc}".encode()
        elapsed = (time.perf_counter() - started) * 1000
        now = self.clock.now()
        with self.store.transaction():
            self.store.add_exchange(
                Message(
                    "out",
                    url,
                    operation,
                    now,
                    peer=url,
                    sessie_id=sessie_of(request),
                    headers=headers,
                    body=body,
                    injected=injected,
                ),
                Message(
                    "in",
                    url,
                    operation.replace("Request", "Response"),
                    now,
                    peer=url,
                    sessie_id=sessie_of(request),
                    http_status=status,
                    duration_ms=elapsed,
                    fault=None
                    if status == 200
                    else (
                        faults.AANLEVERPUNT_ONBEREIKBAAR
                        if status is None
                        else getattr(envelope.fault_in(data), "code", None)
                    ),
                    body=data,
                ),
            )
        return status, data


def school_of(message: object) -> str | None:
    """The school a TC message concerns, for fault profiles that target one school."""
    return getattr(message, "doel_brin", None) or getattr(message, "bron_brin", None)


def sessie_of(message: object) -> str | None:
    return getattr(message, "sessie_id", None)
