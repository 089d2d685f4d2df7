"""The simulator as one object: configuration, state, the Traffic Center, the reference LAS, and
how every exchange is recorded. The HTTP routes (``simulator/app.py``) stay thin around it.
"""

from __future__ import annotations

import asyncio
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
from simulator.faultinject import FaultProfile
from simulator.las import ReferenceLas
from simulator.pupils import Catalogue
from simulator.register import REFERENCE, Endpoint, School, Vendor, load_scenario
from simulator.store import Message, Store

DB_NAME = "simulator.db"


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
    zoeksleutel_scheme: str = "hmac-sha256"
    max_request_bytes: int = envelope.MAX_REQUEST_BYTES
    body_timeout: float = 10.0  # seconds a request body may take to arrive
    outbound_timeout: float = 10.0
    cohort: dict[str, int] | None = None  # override the scenario's cohort sizes (load runs)


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
        self.las = ReferenceLas(
            self.tc,
            self.catalogue,
            self.store,
            self.clock,
            self.register,
            self.scenario.settings.dossier_expiry,
            self.record_internal,
            self.send,
        )
        self._client: httpx.AsyncClient | None = None
        self._replay_admin_changes()

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
        saved = self.store.get_meta("clock")
        clock = Clock()
        if saved:
            state = json.loads(saved)
            clock.offset = timedelta(seconds=state["offset_seconds"])
            clock.frozen_at = datetime.fromisoformat(state["frozen_at"]) if state.get("frozen_at") else None
        elif self.scenario.settings.clock_start:
            clock.set(self.scenario.settings.clock_start)
            self.save_clock(clock)
        return clock

    def save_clock(self, clock: Clock | None = None) -> None:
        clock = clock or self.clock
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

    def apply_admin_change(self, change: dict[str, Any], *, persist: bool = True) -> None:
        """Register changes through the admin API; replayed on restart so they survive it."""
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
        if persist:
            changes = json.loads(self.store.get_meta("admin_changes") or "[]")
            with self.store.transaction():
                self.store.set_meta("admin_changes", json.dumps([*changes, change]))

    def _replay_admin_changes(self) -> None:
        for change in json.loads(self.store.get_meta("admin_changes") or "[]"):
            self.apply_admin_change(change, persist=False)

    # --- addresses -------------------------------------------------------------------------------------

    def endpoint_url(self, endpoint: Endpoint) -> str:
        return f"{self.base_url}/schools/{endpoint.routeringskenmerk}" if endpoint.reference else endpoint.url

    # --- the evidence log --------------------------------------------------------------------------------

    def record_internal(self, endpoint: str, operation: str, request: object, answer: object) -> None:
        """An in-process call (the reference LAS to the TC, or to one of its own endpoints)."""
        now = self.clock.now()
        out_body = envelope.fault(answer) if isinstance(answer, OsoFault) else envelope.message(answer)
        self.store.add_exchange(
            Message(
                "internal",
                endpoint,
                operation,
                now,
                peer="reference-las",
                vendor=REFERENCE,
                sessie_id=sessie_of(request),
                body=envelope.message(request),
            ),
            Message(
                "internal",
                endpoint,
                operation.replace("Request", "Response"),
                now,
                peer="reference-las",
                sessie_id=sessie_of(request) or sessie_of(answer),
                http_status=500 if isinstance(answer, OsoFault) else 200,
                fault=answer.code if isinstance(answer, OsoFault) else None,
                body=out_body,
            ),
        )

    # --- outbound calls (the reference LAS calling a vendor's endpoint) -------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        """The reference LAS's HTTP client; with TLS it presents the reference vendor's certificate."""
        if self._client is None:
            verify: ssl.SSLContext | bool = True
            if self.config.tls and self.config.pki_dir:
                from simulator.pki import Pki

                pki = Pki.load(self.config.pki_dir)
                verify = ssl.create_default_context(cafile=str(pki.ca_cert))
                verify.load_cert_chain(str(pki.vendor_cert(REFERENCE)), str(pki.vendor_key(REFERENCE)))
            self._client = httpx.AsyncClient(timeout=self.config.outbound_timeout, verify=verify)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self.store.close()

    async def send(self, ap: t.Aanleverpunt, request: object, expected: type) -> Any:
        """A SOAP call to a vendor endpoint, with the fault profile's delays and duplicates."""
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
                        fault="dropped",
                        body=body,
                    )
                )
            raise OsoFault(faults.AANLEVERPUNT_ONBEREIKBAAR, f"{ap.url}: message lost (dropped by the fault profile)")
        answers = [await self._post(ap.url, operation, request, body) for _ in range(2 if action.duplicate else 1)]
        status, data = answers[0]
        if status is None:
            raise OsoFault(faults.AANLEVERPUNT_ONBEREIKBAAR, f"{ap.url}: {data.decode(errors='replace')}")
        return envelope.read_response(data, expected)

    async def _post(self, url: str, operation: str, request: object, body: bytes) -> tuple[int | None, bytes]:
        started = time.perf_counter()
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation.removesuffix("Request")}"'}
        try:
            response = await self.client.post(url, content=body, headers=headers)
            status, data = response.status_code, response.content
        except httpx.HTTPError as exc:
            status, data = None, f"{type(exc).__name__}: {exc}".encode()
        elapsed = (time.perf_counter() - started) * 1000
        now = self.clock.now()
        with self.store.transaction():
            self.store.add_exchange(
                Message("out", url, operation, now, peer=url, sessie_id=sessie_of(request), headers=headers, body=body),
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


def sessie_of(message: object) -> str | None:
    return getattr(message, "sessie_id", None)
